package gpu

import (
	"fmt"

	"github.com/vmemu/vmemu/fence"
)

// Entity is a drm_sched_entity: a FIFO queue of jobs feeding one ring's
// scheduler at a priority, with its own scheduled and finished fence
// contexts. User contexts have one per (IP, ring) they submit to
// (amdgpu_ctx_entity); the kernel has its own (Kernel).
//
// Jobs of an entity run in push order. Only the head job's dependencies are
// examined, one at a time, as drm_sched_entity_pop_job() does.
type Entity struct {
	e      *Engine
	ring   *Ring
	name   string
	kernel bool
	owner  any
	// schedCtx is the scheduled fences' context; finished fences use
	// schedCtx+1 (entity->fence_context).
	schedCtx uint64
	// wakeFn is the dependency callback (drm_sched_entity_wakeup),
	// allocated once.
	wakeFn func(*fence.Fence)
	// cb is the storage of the dependency callback (entity->cb): the
	// entity waits for one dependency at a time, so one is enough. It is
	// linked only while waiting is set and the callback has not run.
	cb fence.Callback

	// prio is the run-queue priority. Protected by Engine.mu.
	prio Priority
	// seq is the last scheduler fence seqno (entity->fence_seq). Protected
	// by Engine.mu.
	seq uint64
	// head, tail and count form the job queue. Protected by Engine.mu.
	head, tail *Job
	count      int
	// waiting is the dependency the head job is blocked on
	// (entity->dependency). Protected by Engine.mu.
	waiting *fence.Fence
	// advancing and again serialise advance. Protected by Engine.mu.
	advancing, again bool
	// heapIdx is the index in the ring's ready heap, -1 if absent.
	// Protected by Engine.mu.
	heapIdx int
	// lastScheduled is the finished fence of the last job picked
	// (entity->last_scheduled), lastErr its error: the engine sets every
	// error its finished fences carry, so it need not ask the fence.
	// Protected by Engine.mu.
	lastScheduled *fence.Fence
	lastErr       int32
	// guilty cancels the entity's later jobs (*entity->guilty). Protected
	// by Engine.mu.
	guilty bool
}

// Name returns the entity's name.
func (en *Entity) Name() string { return en.name }

// Ring returns the ring the entity feeds.
func (en *Entity) Ring() *Ring { return en.ring }

// Kernel reports whether the entity is kernel-owned.
func (en *Entity) Kernel() bool { return en.kernel }

// Owner returns EntityConfig.Owner.
func (en *Entity) Owner() any { return en.owner }

// FenceContexts returns the contexts of the entity's scheduled and finished
// fences (entity->fence_context and +1).
func (en *Entity) FenceContexts() (scheduled, finished uint64) {
	return en.schedCtx, en.schedCtx + 1
}

// Priority returns the entity's priority.
func (en *Entity) Priority() Priority {
	en.e.mu.Lock()
	defer en.e.mu.Unlock()
	return en.prio
}

// SetPriority changes the entity's priority
// (drm_sched_entity_set_priority()). It applies to the next pick.
func (en *Entity) SetPriority(p Priority) {
	en.e.mu.Lock()
	defer en.e.mu.Unlock()
	en.prio = p
	if en.heapIdx >= 0 {
		en.ring.ready.fix(en.heapIdx)
	}
}

// SetGuilty marks the entity guilty (atomic_set(entity->guilty, 1), which
// amdgpu does for the context of a job blamed by a GPU reset): its jobs
// picked from now on are skipped, their finished fences signaling with
// -ECANCELED.
func (en *Entity) SetGuilty() {
	en.e.mu.Lock()
	en.guilty = true
	en.e.mu.Unlock()
}

// Guilty reports whether SetGuilty was called.
func (en *Entity) Guilty() bool {
	en.e.mu.Lock()
	defer en.e.mu.Unlock()
	return en.guilty
}

// Error returns the error of the entity's last picked job's finished fence
// (drm_sched_entity_error()), 0 if none.
func (en *Entity) Error() int32 {
	en.e.mu.Lock()
	defer en.e.mu.Unlock()
	return en.lastErr
}

// Queued returns the number of jobs in the entity's queue (pushed, not yet
// picked by the scheduler).
func (en *Entity) Queued() int {
	en.e.mu.Lock()
	defer en.e.mu.Unlock()
	return en.count
}

func (en *Entity) String() string {
	return fmt.Sprintf("entity %s on %s", en.name, en.ring.name)
}

// Push creates a job running w (nil for a NOP costing the ring's launch
// time) after deps, and queues it. It mirrors drm_sched_job_init(),
// drm_sched_job_add_dependency() for each dep, drm_sched_job_arm() (the
// job's scheduled and finished fences get the entity's next seqno) and
// drm_sched_entity_push_job(). The job runs after the entity's earlier jobs
// and once every dependency is satisfied:
//
//   - a scheduled or finished fence of the same entity is ignored (the
//     entity is FIFO anyway);
//   - a scheduler fence of a job on the same ring (any entity) needs only
//     that job's scheduled fence, since the ring executes in order, unless
//     the fence already has an error or the job is flagged DontPipeline;
//   - any other fence must signal. Its error, if any, does not propagate.
//
// Push may be called from any goroutine. It returns the job; its fences are
// valid at once.
func (en *Entity) Push(w Work, deps ...*fence.Fence) *Job {
	e := en.e
	j := &Job{entity: en, work: w}
	j.setDeps(deps)
	now := e.clock.Now()
	e.mu.Lock()
	en.seq++
	e.nextID++
	e.inflight++
	j.id, j.queuedAt = e.nextID, now
	e.domain.Init(&j.fences[0], en.schedCtx, en.seq, (*schedOps)(j))
	e.domain.Init(&j.fences[1], en.schedCtx+1, en.seq, (*schedOps)(j))
	j.state = JobQueued
	if en.tail == nil {
		en.head = j
	} else {
		en.tail.next = j
	}
	en.tail = j
	en.count++
	first := en.head == j
	if first && j.ndeps == 0 && j.depsMore == nil && !en.advancing && en.waiting == nil {
		// Fast path of advance: nothing to wait for.
		j.becomeReady()
		en.ring.makeReadyLocked(en)
		first = false
	}
	e.mu.Unlock()
	if e.sink != nil {
		e.event(EventQueued, j, now)
	}
	if first {
		en.advance()
	}
	return j
}

// popLocked removes the head job. Engine.mu held.
func (en *Entity) popLocked() *Job {
	j := en.head
	en.head = j.next
	if en.head == nil {
		en.tail = nil
	}
	j.next = nil
	en.count--
	return j
}

// readyFastLocked makes the head job ready if advance would do so without
// dropping the lock: no advance is running, nothing is awaited and each
// remaining dependency is a fence of the entity or already signaled. It
// reports whether it did. Engine.mu held.
func (en *Entity) readyFastLocked() bool {
	j := en.head
	if j == nil || en.advancing || en.waiting != nil || j.state != JobQueued {
		return false
	}
	for deps := j.depList(); int(j.nextDep) < len(deps); {
		dep := deps[j.nextDep]
		if c := dep.Context(); c != en.schedCtx && c != en.schedCtx+1 &&
			!dep.SignaledFlag() {
			return false
		}
		j.nextDep++
	}
	j.becomeReady()
	en.ring.makeReadyLocked(en)
	return true
}

// advance examines the head job's dependencies until one blocks (a
// callback is registered on it) or none is left (the entity becomes ready
// on its ring). It mirrors the dependency loop of
// drm_sched_entity_pop_job(). Callers hold no lock; concurrent calls are
// folded into the one running.
func (en *Entity) advance() {
	en.e.mu.Lock()
	en.advanceLocked()
}

// advanceLocked is advance for a caller holding Engine.mu, which it
// releases.
func (en *Entity) advanceLocked() {
	e := en.e
	if en.advancing {
		en.again = true
		e.mu.Unlock()
		return
	}
	en.advancing = true
	for {
		j := en.head
		if j == nil || en.waiting != nil || j.state != JobQueued {
			if en.again {
				en.again = false
				continue
			}
			break
		}
		deps := j.depList()
		if int(j.nextDep) == len(deps) {
			j.becomeReady()
			en.ring.makeReadyLocked(en)
			break
		}
		dep := deps[j.nextDep]
		j.nextDep++
		if c := dep.Context(); c == en.schedCtx || c == en.schedCtx+1 ||
			dep.SignaledFlag() {
			continue // fast path of resolve, without dropping the lock
		}
		// resolve runs under Engine.mu. IsSignaled may call out
		// (Ops.Signaled, then the fence's callbacks): without ops, or for
		// a scheduler fence, whose ops never signal it, the flag tells
		// the same.
		wait := en.resolve(dep)
		if wait == nil || wait.SignaledFlag() {
			continue
		}
		if wait.Ops() != nil && JobOf(wait) == nil {
			e.mu.Unlock()
			signaled := wait.IsSignaled()
			e.mu.Lock()
			if signaled {
				continue
			}
		}
		en.waiting = wait
		if e.sink == nil && (wait.Ops() == nil || JobOf(wait) != nil) {
			// Registering the callback calls nothing out for such a
			// fence (no ops, or the scheduler's, whose EnableSignaling
			// does nothing), so it is done under the lock (Engine.mu,
			// then the fence's). With a Sink, EventWaitDep comes first,
			// with the lock dropped.
			if !wait.AddCallbackIn(&en.cb, en.wakeFn) {
				en.waiting = nil // signaled meanwhile
			}
			continue
		}
		e.mu.Unlock()
		if e.sink != nil {
			e.waitEvent(j, wait)
		}
		if !wait.AddCallbackIn(&en.cb, en.wakeFn) {
			// Signaled meanwhile; the callback will not run.
			e.mu.Lock()
			if en.waiting == wait {
				en.waiting = nil
			}
			continue
		}
		e.mu.Lock()
	}
	en.advancing = false
	e.mu.Unlock()
}

// depSignaled is the dependency callback (drm_sched_entity_wakeup()).
func (en *Entity) depSignaled(f *fence.Fence) {
	en.e.mu.Lock()
	if en.waiting == f {
		en.waiting = nil
	}
	en.advanceLocked()
}

// resolve returns the fence the entity must wait for to satisfy dep, or nil
// if dep can be ignored. It mirrors drm_sched_entity_add_dependency_cb().
// Engine.mu held.
func (en *Entity) resolve(dep *fence.Fence) *fence.Fence {
	if c := dep.Context(); c == en.schedCtx || c == en.schedCtx+1 {
		return nil // our own fence: the queue is FIFO
	}
	dj := JobOf(dep)
	if dj == nil || dj.entity.ring != en.ring {
		return dep
	}
	if dep == dj.Finished() && (dj.flags&jobDontPipeline != 0 || dep.Error() != 0) {
		return dep
	}
	return dj.Scheduled()
}

func (e *Engine) waitEvent(j *Job, dep *fence.Fence) {
	en := j.entity
	now := e.clock.Now()
	e.mu.Lock()
	ev := Event{
		Kind: EventWaitDep, Time: now, Ring: en.ring,
		RingName: en.ring.name, Job: j, Entity: en, ID: j.id,
		Fence:    FenceKey{j.Finished().Context(), j.Finished().Seqno()},
		Dep:      FenceKey{dep.Context(), dep.Seqno()},
		JobCount: en.count,
	}
	if en.ring.cur != nil {
		ev.HWJobCount = 1
	}
	e.mu.Unlock()
	e.emit(&ev)
}

// entityHeap is a ring's queue of ready entities, ordered by priority, then
// by the push order of their head job (drm_sched's FIFO policy).
type entityHeap []*Entity

func (h entityHeap) less(a, b *Entity) bool {
	if a.prio != b.prio {
		return a.prio < b.prio
	}
	return a.head.id < b.head.id
}

func (h *entityHeap) push(en *Entity) {
	en.heapIdx = len(*h)
	*h = append(*h, en)
	h.up(en.heapIdx)
}

func (h *entityHeap) pop() *Entity {
	old := *h
	n := len(old) - 1
	top := old[0]
	old[0] = old[n]
	old[0].heapIdx = 0
	old[n] = nil
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	top.heapIdx = -1
	return top
}

func (h entityHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h entityHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}

func (h entityHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h[i], h[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h entityHeap) down(i int) bool {
	start := i
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(h[r], h[l]) {
			m = r
		}
		if !h.less(h[m], h[i]) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}
