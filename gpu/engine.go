package gpu

import (
	"fmt"
	"sort"
	"sync"
	"syscall"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
)

// Engine is the emulated GPU's execution engine: its rings, their
// schedulers and the entities feeding them. See the package documentation.
//
// Engine is safe for concurrent use.
type Engine struct {
	clock  *sim.Clock
	domain *fence.Domain
	sink   Sink
	// onTimeout, resetTime and keepAfterError come from Config; immutable.
	onTimeout      func(TimeoutReport)
	resetTime      int64
	keepAfterError bool
	// rings lists every ring, by IP then index; byIP indexes it. Immutable.
	rings []*Ring
	byIP  [NumIP][]*Ring

	// mu guards the scheduling state of the engine, its rings, entities
	// and jobs. It is never held while calling out (fence signaling and
	// callbacks, Work.Run, the Sink, OnTimeout); it may be held while
	// scheduling clock events, reading fence state and registering a
	// callback on a fence without ops or a scheduler fence. Lock order:
	// mu -> sim.Clock's lock, mu -> a fence's lock.
	mu sync.Mutex
	// nextID is the last job id handed out. Protected by mu.
	nextID uint64
	// inflight counts pushed jobs not yet completed. Protected by mu.
	inflight int
}

// NewEngine returns an engine with the rings cfg describes, on clock, with
// fences from domain.
func NewEngine(clock *sim.Clock, domain *fence.Domain, cfg Config) (*Engine, error) {
	e := &Engine{
		clock: clock, domain: domain, sink: cfg.Sink,
		onTimeout: cfg.OnTimeout, resetTime: cfg.ResetTime,
		keepAfterError: cfg.KeepEntityAfterError,
	}
	if cfg.ResetTime < 0 {
		return nil, fmt.Errorf("%w: negative reset time", ErrBadConfig)
	}
	ips := make([]int, 0, len(cfg.Rings))
	for ip, n := range cfg.Rings {
		if ip >= NumIP || n < 0 {
			return nil, fmt.Errorf("%w: %d rings of %v", ErrBadConfig, n, ip)
		}
		ips = append(ips, int(ip))
	}
	sort.Ints(ips) // map order must not leak into fence contexts
	for _, i := range ips {
		ip := IP(i)
		cost, ok := cfg.Cost[ip]
		if !ok {
			cost = DefaultCost(ip)
		}
		timeout, ok := cfg.Timeout[ip]
		if !ok {
			timeout = DefaultTimeout
			if ip == COMPUTE {
				timeout = DefaultComputeTimeout
			}
		}
		for idx := 0; idx < cfg.Rings[ip]; idx++ {
			r := &Ring{
				e: e, ip: ip, idx: idx, name: ringName(ip, idx),
				ctx: domain.ContextAlloc(1), cost: cost, timeout: timeout,
			}
			r.completeFn = r.complete
			r.timeoutFn = r.timedOut
			r.wakeFn = r.wake
			r.resetDoneFn = r.resetDone
			e.rings = append(e.rings, r)
			e.byIP[ip] = append(e.byIP[ip], r)
		}
	}
	if len(e.rings) == 0 {
		return nil, ErrNoRings
	}
	return e, nil
}

// Clock returns the engine's clock.
func (e *Engine) Clock() *sim.Clock { return e.clock }

// Domain returns the engine's fence domain.
func (e *Engine) Domain() *fence.Domain { return e.domain }

// Rings returns every ring, ordered by IP and index. The slice must not be
// modified.
func (e *Engine) Rings() []*Ring { return e.rings }

// RingsOf returns the rings of ip. The slice must not be modified.
func (e *Engine) RingsOf(ip IP) []*Ring {
	if ip >= NumIP {
		return nil
	}
	return e.byIP[ip]
}

// Ring returns ring idx of ip, or nil.
func (e *Engine) Ring(ip IP, idx int) *Ring {
	rs := e.RingsOf(ip)
	if idx < 0 || idx >= len(rs) {
		return nil
	}
	return rs[idx]
}

// RingByName returns the ring called name, or nil.
func (e *Engine) RingByName(name string) *Ring {
	for _, r := range e.rings {
		if r.name == name {
			return r
		}
	}
	return nil
}

// Inflight returns the number of pushed jobs that have not completed.
func (e *Engine) Inflight() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inflight
}

// EntityConfig configures an entity.
type EntityConfig struct {
	// Name labels the entity in events and messages.
	Name string
	// Priority is the run-queue priority.
	Priority Priority
	// Kernel marks an entity owned by the kernel (VM page-table updates,
	// buffer moves) rather than by a user context.
	Kernel bool
	// Owner is opaque to the engine (the context or VM owning the entity).
	Owner any
}

// NewEntity returns a scheduler entity feeding ring r. It mirrors
// drm_sched_entity_init() with a single scheduler: two fence contexts are
// allocated, one for scheduled and one for finished fences.
func (e *Engine) NewEntity(r *Ring, cfg EntityConfig) *Entity {
	if r == nil || r.e != e {
		panic("gpu: NewEntity: ring of another engine")
	}
	en := &Entity{
		e: e, ring: r, name: cfg.Name, kernel: cfg.Kernel, owner: cfg.Owner,
		schedCtx: e.domain.ContextAlloc(2), prio: cfg.Priority, heapIdx: -1,
	}
	en.wakeFn = en.depSignaled
	return en
}

// NewKernelEntity returns a kernel-owned entity on r: the form of
// amdgpu_vm's immediate/delayed page-table entities (PriorityNormal) and of
// TTM's buffer-move entities (adev->mman.high_pr: PriorityKernel).
func (e *Engine) NewKernelEntity(r *Ring, name string, prio Priority, owner any) *Entity {
	return e.NewEntity(r, EntityConfig{Name: name, Priority: prio,
		Kernel: true, Owner: owner})
}

// emit sends ev to the sink. The caller checks e.sink != nil first, so that
// a nil sink costs one comparison.
//
// The sink gets a pooled copy of ev: a Sink may use the *Event only during
// the call (see Sink), so events need not be allocated one by one.
func (e *Engine) emit(ev *Event) {
	p := eventPool.Get().(*Event)
	*p = *ev
	e.sink.Event(p)
	*p = Event{} // drop the references before pooling
	eventPool.Put(p)
}

// eventPool recycles the Events handed to sinks.
var eventPool = sync.Pool{New: func() any { return new(Event) }}

func (e *Engine) event(kind EventKind, j *Job, now int64) {
	en := j.entity
	r := en.ring
	e.mu.Lock()
	ev := Event{
		Kind: kind, Time: now, Ring: r, RingName: r.name, Job: j, Entity: en,
		ID:       j.id,
		Fence:    FenceKey{j.Finished().Context(), j.Finished().Seqno()},
		JobCount: en.count,
	}
	if r.cur != nil {
		ev.HWJobCount = 1
	}
	if j.flags&jobHasHW != 0 {
		ev.HW = FenceKey{r.ctx, j.hwSeq}
	}
	e.mu.Unlock()
	if kind == EventDone || kind == EventTimeout {
		ev.Error = j.Finished().Error()
	}
	e.emit(&ev)
}

// ringState is the state of a ring.
type ringState uint8

const (
	// ringIdle: no job on the ring; the scheduler may pick one.
	ringIdle ringState = iota
	// ringBusy: a job is executing (or its completion is being processed).
	ringBusy
	// ringResetting: the ring is being reset after a timeout.
	ringResetting
)

func (s ringState) String() string {
	switch s {
	case ringIdle:
		return "idle"
	case ringBusy:
		return "busy"
	case ringResetting:
		return "resetting"
	}
	return fmt.Sprintf("ringState(%d)", uint8(s))
}

// Ring is an amdgpu_ring together with its drm_gpu_scheduler: a hardware
// queue that executes one job at a time, in the order its scheduler picks
// them, each completion signaling the next seqno of the ring's fence
// context (amdgpu_fence_driver).
type Ring struct {
	e       *Engine
	ip      IP
	idx     int
	name    string
	ctx     uint64
	cost    Cost
	timeout int64
	// Clock callbacks, allocated once.
	completeFn, timeoutFn, wakeFn, resetDoneFn func()

	// seq is the last hardware seqno emitted (fence_drv.sync_seq).
	// Protected by Engine.mu.
	seq uint64
	// state is the ring's state. Protected by Engine.mu.
	state ringState
	// cur is the job on the ring. Protected by Engine.mu.
	cur *Job
	// ready holds the entities whose head job is ready. Protected by
	// Engine.mu.
	ready entityHeap
	// wakePending records a scheduled wake event. Protected by Engine.mu.
	wakePending bool
	// resets counts ring resets. Protected by Engine.mu.
	resets int

	// curUsage and curEnd are the current job's usage and the time of its
	// completion (or timeout). Only accessed by clock events, which are
	// serialised by the clock.
	curUsage Usage
	curEnd   int64
}

// Name returns the ring's kernel name (gfx_0.0.0, comp_1.0.0, sdma0, …).
func (r *Ring) Name() string { return r.name }

// IP returns the ring's IP type.
func (r *Ring) IP() IP { return r.ip }

// Index returns the ring's index among the rings of its IP.
func (r *Ring) Index() int { return r.idx }

// FenceContext returns the context of the ring's hardware fences.
func (r *Ring) FenceContext() uint64 { return r.ctx }

// Timeout returns the ring's job timeout in ns (NoTimeout for none).
func (r *Ring) Timeout() int64 { return r.timeout }

// Cost returns the ring's cost model.
func (r *Ring) Cost() Cost { return r.cost }

// Current returns the job on the ring, or nil.
func (r *Ring) Current() *Job {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return r.cur
}

// Seqno returns the last hardware fence seqno emitted on the ring.
func (r *Ring) Seqno() uint64 {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return r.seq
}

// Resets returns how many times the ring was reset after a timeout.
func (r *Ring) Resets() int {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return r.resets
}

func (r *Ring) String() string { return r.name }

// makeReadyLocked puts en, whose head job just became ready, on the ring's
// ready queue and arranges for the scheduler to run if the ring is idle.
// Engine.mu held.
func (r *Ring) makeReadyLocked(en *Entity) {
	r.ready.push(en)
	if r.state == ringIdle && !r.wakePending {
		r.wakePending = true
		// A time in the past means "now" to Schedule.
		r.e.clock.Post(0, r.wakeFn)
	}
}

// wake is the scheduler's work item (drm_sched_run_job_work), run as a
// clock event.
func (r *Ring) wake() {
	r.e.mu.Lock()
	r.wakePending = false
	r.runNextLocked(r.e.clock.Now())
}

// runNextLocked starts jobs while the ring is idle and a job is ready;
// skipped jobs complete at once, so the loop may start several. Called on
// the clock's event goroutine at time now with Engine.mu held, which it
// releases.
func (r *Ring) runNextLocked(now int64) {
	e := r.e
	for {
		if r.state != ringIdle || len(r.ready) == 0 {
			e.mu.Unlock()
			return
		}
		en := r.ready.pop()
		j := en.popLocked()
		r.state, r.cur = ringBusy, j
		j.becomeRunning(now)
		// amdgpu_job_prepare_job(): the entity's error (that of its last
		// scheduled job, drm_sched_entity_error()) is copied to the job;
		// then drm_sched_entity_pop_job() cancels jobs of a guilty entity.
		var errno int32
		if !e.keepAfterError {
			errno = en.lastErr
		}
		if en.guilty {
			errno = -int32(syscall.ECANCELED)
		}
		en.lastScheduled, en.lastErr = j.Finished(), errno
		if errno == 0 {
			r.seq++
			j.hwSeq = r.seq
			j.flags |= jobHasHW
		}
		// The next job of the entity becomes its head: look at its
		// dependencies (the scheduler's next drm_sched_entity_pop_job()),
		// here under the lock when none needs waiting for, else below.
		more := en.head != nil && !en.readyFastLocked()
		e.mu.Unlock()

		if errno != 0 {
			j.Finished().SetError(errno)
		}
		if e.sink != nil {
			e.event(EventRun, j, now)
		}
		j.Scheduled().SignalAt(now)
		if more {
			// The next job of the entity becomes its head: look at its
			// dependencies (the scheduler's next drm_sched_entity_pop_job).
			en.advance()
		}
		if errno != 0 {
			// amdgpu_job_run() skips the IBs and returns no fence, so
			// the scheduler completes the job at once.
			r.finishLocked(j, now, JobSkipped)
			continue
		}
		var u Usage
		if j.work != nil {
			u = j.work.Run(RunContext{Now: now, Ring: r, Job: j})
		}
		// Only the clock's event goroutine touches curUsage and curEnd, and
		// clock events never run concurrently: no lock needed.
		r.curUsage = u
		d := r.cost.Duration(u)
		switch {
		case r.timeout >= 0 && (u.Hang || d > r.timeout):
			r.curEnd = now + r.timeout
			e.clock.Post(r.curEnd, r.timeoutFn)
		case u.Hang:
			// No timeout: the ring stays busy for ever.
		default:
			r.curEnd = now + d
			e.clock.Post(r.curEnd, r.completeFn)
		}
		return
	}
}

// complete handles the end of the current job: the hardware fence
// signals, then (drm_sched_job_done()) the finished fence, and the
// scheduler picks the next job.
func (r *Ring) complete() {
	now := r.curEnd
	j := r.cur // only this goroutine changes cur while the ring is busy
	if c, ok := j.work.(Completer); ok {
		c.Complete(RunContext{Now: now, Ring: r, Job: j})
	}
	r.signalHW(j, now)
	r.finishLocked(j, now, JobDone)
	r.runNextLocked(now)
}

// signalHW signals j's hardware fence at now: it marks it signaled for
// HWFence and signals the fence HWFence made, if any.
func (r *Ring) signalHW(j *Job, now int64) {
	e := r.e
	e.mu.Lock()
	j.flags |= jobHWSignaled
	j.end = now
	hw := j.hw
	e.mu.Unlock()
	if hw != nil {
		hw.SignalAt(now)
	}
}

// finishLocked emits EventDone, signals j's finished fence, moves j to
// state and frees the ring. It returns with Engine.mu held.
func (r *Ring) finishLocked(j *Job, now int64, state JobState) {
	e := r.e
	if e.sink != nil {
		e.event(EventDone, j, now)
	}
	j.Finished().SignalAt(now)
	e.mu.Lock()
	switch state {
	case JobDone:
		j.becomeDone(now, r.curUsage)
	case JobSkipped:
		j.becomeSkipped(now)
	case JobTimedOut:
		j.becomeTimedOut(now, r.curUsage)
	}
	r.cur = nil
	if r.state == ringBusy {
		r.state = ringIdle
	}
	e.inflight--
}

// timedOut handles a hang of the current job, as drm_sched_job_timedout()
// and amdgpu_job_timedout() do with a successful per-ring reset: the
// finished fence gets -ETIME, the ring is reset, which force-completes the
// guilty hardware fence (with -ETIME, as
// amdgpu_fence_driver_guilty_force_completion() does from 6.17; earlier
// kernels signaled it without error), and the scheduler restarts with the
// other jobs.
func (r *Ring) timedOut() {
	e := r.e
	now := r.curEnd
	etime := -int32(syscall.ETIME)
	e.mu.Lock()
	j := r.cur
	r.resets++
	if j.entity.lastScheduled == j.Finished() {
		j.entity.lastErr = etime
	}
	if e.resetTime > 0 {
		r.state = ringResetting
	}
	j.flags |= jobHWError // a hardware fence made from now on has it
	hw := j.hw
	e.mu.Unlock()
	j.Finished().SetError(etime)
	if hw != nil {
		hw.SetError(etime)
	}
	if e.sink != nil {
		e.event(EventTimeout, j, now)
	}
	r.signalHW(j, now)
	r.finishLocked(j, now, JobTimedOut)
	e.mu.Unlock()
	if e.onTimeout != nil {
		e.onTimeout(TimeoutReport{Time: now, Ring: r, Job: j, Entity: j.entity})
	}
	if e.resetTime > 0 {
		e.clock.Post(now+e.resetTime, r.resetDoneFn)
		return
	}
	e.mu.Lock()
	r.runNextLocked(now)
}

// resetDone ends a ring reset.
func (r *Ring) resetDone() {
	r.e.mu.Lock()
	r.state = ringIdle
	r.runNextLocked(r.e.clock.Now())
}
