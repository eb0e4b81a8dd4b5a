package check

import (
	"fmt"
	"slices"
)

// FenceKey names a dma_fence: its fence context and seqno. The zero key
// means "no fence".
type FenceKey struct {
	Context uint64 `json:"context"`
	Seqno   uint64 `json:"seqno"`
}

// IsZero reports whether k is the zero key.
func (k FenceKey) IsZero() bool { return k == FenceKey{} }

func (k FenceKey) String() string { return fmt.Sprintf("%d:%d", k.Context, k.Seqno) }

// RingID names a ring: a timeline on which jobs execute one after another.
// The zero RingID is invalid.
type RingID uint32

// vclock is a vector clock indexed by component (ring or CPU thread). A
// missing entry is 0. Clocks stored in fences, jobs and snapshots are
// immutable; only a CPU thread's own clock is updated in place.
type vclock []uint64

func (v vclock) get(i uint32) uint64 {
	if int(i) < len(v) {
		return v[i]
	}
	return 0
}

// join sets v to the pointwise maximum of v and o; v must be owned.
func (v vclock) join(o vclock) vclock {
	if len(o) > len(v) {
		v = append(v, make(vclock, len(o)-len(v))...)
	}
	for i, x := range o {
		if x > v[i] {
			v[i] = x
		}
	}
	return v
}

// set sets v[i] = x, growing v; v must be owned.
func (v vclock) set(i uint32, x uint64) vclock {
	if int(i) >= len(v) {
		v = append(v, make(vclock, int(i)+1-len(v))...)
	}
	v[i] = x
	return v
}

// leq reports v ≤ o pointwise.
func (v vclock) leq(o vclock) bool {
	for i, x := range v {
		if x > o.get(uint32(i)) {
			return false
		}
	}
	return true
}

// Snapshot is what a CPU thread knew when it released work (Submit): the
// jobs it submitted after that point are ordered after everything the
// thread did before it. The zero Snapshot carries no knowledge. Snapshots
// are immutable values.
type Snapshot struct{ vc vclock }

// Agent is an agent of the happens-before relation: one GPU job execution
// (from JobStart) or one CPU thread (from CPU). Accesses name the agent
// that performed them. Agents are handles owned by the Checker; a nil
// *Agent comes from a nil Checker.
type Agent struct {
	cpu  bool
	name string // thread name, or the ring name for jobs
	comp uint32 // vector-clock component: the thread's, or the job's ring's
	// clk is a job's epoch on comp; unused for threads (vc[comp]).
	clk uint64
	// vc is the agent's clock. A job's is immutable after JobStart; a
	// thread's grows. Protected by Checker.mu.
	vc vclock
	// user is a job's clock over explicit edges only (submit, declared
	// dependencies, ring order): what user space asked for. Immutable.
	user   vclock
	origin Origin   // the job's submission; immutable
	fence  FenceKey // the job's fence; immutable
	ended  bool     // JobEnd seen. Protected by Checker.mu.
}

// IsCPU reports whether a is a CPU thread. Safe for concurrent use.
func (a *Agent) IsCPU() bool { return a != nil && a.cpu }

// Name is the CPU thread's name, or the job's ring name.
func (a *Agent) Name() string {
	if a == nil {
		return ""
	}
	return a.name
}

// Origin is the job's submission (zero for CPU threads).
func (a *Agent) Origin() Origin {
	if a == nil {
		return Origin{}
	}
	return a.origin
}

// epoch is the clock value of a's current event on its component.
//
// Preconditions: Checker.mu held.
func (a *Agent) epoch() uint64 {
	if a.cpu {
		return a.vc.get(a.comp)
	}
	return a.clk
}

// ringState is one ring's timeline.
type ringState struct {
	name string
	comp uint32
	clk  uint64 // epoch of the last job started
	last vclock // clock of the last job started (immutable)
	user vclock // its explicit-only clock (immutable)
}

// fenceEntry is the clock published on a fence.
type fenceEntry struct {
	vc       vclock // immutable
	origin   Origin
	producer *Agent // the job, or nil for CPU signals
	signaled bool
}

// JobInfo describes a job execution for JobStart.
type JobInfo struct {
	// Ring is the timeline the job runs on. Jobs on one ring are ordered in
	// JobStart order (ring order): the engine runs one job per ring at a
	// time. Rings whose jobs may overlap must be registered as separate
	// rings.
	Ring RingID
	// Fence is the job's fence, published with the job's clock. Zero for
	// none. Publish other keys of the same job (a scheduler's finished
	// fence and hardware fence) with FenceSignal.
	Fence FenceKey
	// Origin identifies the submission in reports. Its FenceContext and
	// Seqno default to Fence's.
	Origin Origin
	// Submit is the submitting thread's knowledge at the CS ioctl, from
	// Checker.Submit. Zero for kernel jobs.
	Submit Snapshot
	// Deps are the fences user space asked the job to wait for (CS
	// dependency and syncobj chunks), as leaf keys: the caller flattens
	// chains and arrays.
	Deps []FenceKey
	// KernelDeps are the fences the kernel made the job wait for on its own
	// (implicit sync, E4 mandatory fences, page-table updates, moves). They
	// order like Deps; ForcedWait and ImplicitStall reports are kept only
	// for fences Deps, Submit and ring order do not already cover.
	KernelDeps []FenceKey
}

// Ring returns the RingID named name, creating it on first use. A nil
// Checker returns 0. Safe for concurrent use.
func (c *Checker) Ring(name string) RingID {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.ringNames[name]; ok {
		return id
	}
	c.rings = append(c.rings, &ringState{name: name, comp: c.newComponent("ring " + name)})
	id := RingID(len(c.rings))
	c.ringNames[name] = id
	return id
}

// CPU returns the CPU thread agent named name (one per client file, or per
// goroutine the caller names), creating it on first use. A nil Checker
// returns nil. Safe for concurrent use.
func (c *Checker) CPU(name string) *Agent {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.threads[name]; ok {
		return a
	}
	a := &Agent{cpu: true, name: name, comp: c.newComponent("cpu " + name)}
	a.vc = vclock(nil).set(a.comp, 1)
	c.threads[name] = a
	return a
}

// Submit records a release by CPU thread t, as a CS ioctl does: the
// returned Snapshot, passed in JobInfo.Submit, orders everything t did
// before Submit before the job. t's later work is not ordered before the
// job. Safe for concurrent use.
func (c *Checker) Submit(t *Agent) Snapshot {
	if c == nil {
		return Snapshot{}
	}
	mustAgent(t, "Submit")
	c.mu.Lock()
	defer c.mu.Unlock()
	return Snapshot{c.release(t)}
}

// release returns a copy of thread t's clock and advances t to a new epoch.
//
// Preconditions: c.mu held; t.cpu.
func (c *Checker) release(t *Agent) vclock {
	if !t.cpu {
		panic("check: release of a job agent")
	}
	s := slices.Clone(t.vc)
	t.vc[t.comp]++
	return s
}

// JobStart records that a job starts executing, and returns its agent. Its
// clock is the join of the previous job on its ring, its Submit snapshot,
// and the clocks published on Deps and KernelDeps, plus a new epoch on its
// ring. Its fence key is registered now and marked signaled by JobEnd.
// Safe for concurrent use. JobStart panics on an unknown ring.
func (c *Checker) JobStart(j JobInfo) *Agent {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if j.Ring == 0 || int(j.Ring) > len(c.rings) {
		panic(fmt.Sprintf("check: JobStart on unknown ring %d", j.Ring))
	}
	r := c.rings[j.Ring-1]
	c.stats.Jobs++
	r.clk++
	base := c.joinDeps(r.last, j.Submit, j.Deps, true).set(r.comp, r.clk)
	user := base
	if !sameClock(r.user, r.last) {
		// The ring's previous job had kernel waits: what user space asked
		// for excludes them.
		user = c.joinDeps(r.user, j.Submit, j.Deps, false).set(r.comp, r.clk)
	}
	vc := base
	if len(j.KernelDeps) > 0 {
		vc = slices.Clone(base)
		for _, d := range j.KernelDeps {
			vc = vc.join(c.fenceClock(d))
		}
	}
	o := j.Origin
	if o.Ring == "" {
		o.Ring = r.name
	}
	if o.FenceContext == 0 && o.Seqno == 0 {
		o.FenceContext, o.Seqno = j.Fence.Context, j.Fence.Seqno
	}
	a := &Agent{name: r.name, comp: r.comp, clk: r.clk, vc: vc, user: user, origin: o, fence: j.Fence}
	r.last, r.user = vc, user
	if !j.Fence.IsZero() {
		c.fences[j.Fence] = &fenceEntry{vc: vc, origin: o, producer: a}
	}
	return a
}

// joinDeps returns a new clock: prev joined with s and the deps' clocks;
// count selects whether unknown and early fences are counted in Stats.
//
// Preconditions: c.mu held.
func (c *Checker) joinDeps(prev vclock, s Snapshot, deps []FenceKey, count bool) vclock {
	vc := make(vclock, len(prev), len(c.comps))
	copy(vc, prev)
	vc = vc.join(s.vc)
	for _, d := range deps {
		if count {
			vc = vc.join(c.fenceClock(d))
		} else if f := c.fences[d]; f != nil {
			vc = vc.join(f.vc)
		}
	}
	return vc
}

// sameClock reports whether a and b are the same stored clock.
func sameClock(a, b vclock) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// fenceClock returns the clock published on k, or nil if none.
//
// Preconditions: c.mu held.
func (c *Checker) fenceClock(k FenceKey) vclock {
	f := c.fences[k]
	if f == nil {
		c.stats.UnknownFences++
		return nil
	}
	if !f.signaled {
		c.stats.EarlyFences++
	}
	return f.vc
}

// JobEnd records that job finished: its fence is signaled. Safe for
// concurrent use.
func (c *Checker) JobEnd(job *Agent) {
	if c == nil {
		return
	}
	mustAgent(job, "JobEnd")
	c.mu.Lock()
	defer c.mu.Unlock()
	if job.cpu || job.ended {
		c.misuse()
		return
	}
	job.ended = true
	if f := c.fences[job.fence]; f != nil && f.producer == job {
		f.signaled = true
	}
}

// FenceSignal publishes what from knows on fence k: a CPU signal
// (SYNCOBJ_SIGNAL, sw_sync) when from is a thread, which then starts a new
// epoch; another key of the same job (hardware fence, chain point) when
// from is a job. o names the signaling ioctl; zero takes the job's origin.
// Signaling an already published key joins the clocks. Safe for concurrent
// use.
func (c *Checker) FenceSignal(k FenceKey, from *Agent, o Origin) {
	if c == nil {
		return
	}
	mustAgent(from, "FenceSignal")
	c.mu.Lock()
	defer c.mu.Unlock()
	var vc vclock
	if from.cpu {
		vc = c.release(from)
	} else {
		vc = from.vc
		if o == (Origin{}) {
			o = from.origin
		}
	}
	f := &fenceEntry{vc: vc, origin: o, signaled: true}
	if !from.cpu {
		f.producer = from
		f.signaled = from.ended
	}
	if old := c.fences[k]; old != nil {
		f.vc = slices.Clone(old.vc).join(vc)
		f.signaled = old.signaled || f.signaled
	}
	c.fences[k] = f
}

// CPUWait records that CPU thread t waited for fences ks to signal
// (GEM_WAIT_IDLE, syncobj WAIT, WAIT_CS, WAIT_FENCES, DMA_BUF_IOCTL_SYNC
// START, a poll on a sync_file): t acquires their clocks. Pass leaf keys.
// Safe for concurrent use.
func (c *Checker) CPUWait(t *Agent, ks ...FenceKey) {
	if c == nil {
		return
	}
	mustAgent(t, "CPUWait")
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.cpu {
		panic("check: CPUWait by a job agent")
	}
	for _, k := range ks {
		t.vc = t.vc.join(c.fenceClock(k))
	}
}

// ForgetFence drops the clock published on k, when the fence is destroyed.
// Later dependencies on k count as unknown. Safe for concurrent use.
func (c *Checker) ForgetFence(k FenceKey) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.fences, k)
}

// Ordered reports whether everything agent from has done so far happens
// before agent to's current point (for tests and assertions). Safe for
// concurrent use.
func (c *Checker) Ordered(from, to *Agent) bool {
	if c == nil || from == nil || to == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return to.vc.get(from.comp) >= from.epoch()
}
