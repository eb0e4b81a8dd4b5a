package check

// FaultReason says why a GPU access faulted.
type FaultReason uint8

const (
	// FaultNotMapped: no mapping ever covered the VA.
	FaultNotMapped FaultReason = iota + 1
	// FaultPTEPending: the mapping exists (its GEM_VA ioctl returned) but
	// its page-table update job has not executed (E1: the CS did not wait
	// for vm_timeline_syncobj_out).
	FaultPTEPending
	// FaultUnmapped: the VA was mapped, and its unmap's page-table update
	// has executed.
	FaultUnmapped
)

var faultNames = [...]string{
	FaultNotMapped:  "not mapped",
	FaultPTEPending: "page-table update not executed yet",
	FaultUnmapped:   "already unmapped",
}

func (r FaultReason) String() string {
	if r > 0 && int(r) < len(faultNames) {
		return faultNames[r]
	}
	return "FaultReason(?)"
}

// FaultEvent is a GPU VM fault seen by the VM model.
type FaultEvent struct {
	Agent  *Agent // the faulting job
	VA     uint64
	Len    uint64
	Write  bool
	VMID   uint32
	Reason FaultReason
	// Mapping is the ioctl behind the reason: the GEM_VA map whose update
	// is pending, or the unmap. Nil if none.
	Mapping *Origin
	Label   string
}

// Fault reports a GPU VM fault. Safe for concurrent use.
func (c *Checker) Fault(f FaultEvent) {
	if c == nil {
		return
	}
	mustAgent(f.Agent, "Fault")
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.time()
	s := Side{CPU: f.Agent.cpu, Write: f.Write, VA: Range{f.VA, f.Len}, Label: f.Label, Time: now}
	if f.Agent.cpu {
		s.Thread = f.Agent.name
	} else {
		s.Job = f.Agent.origin
	}
	r := &Report{
		Kind: KindFault, Time: now, VA: s.VA, VMID: f.VMID,
		Access: s, Reason: f.Reason.String(),
	}
	if f.Mapping != nil {
		m := *f.Mapping
		r.Cause = &m
	}
	c.emit(r)
}

// WaitEvent is GPU time a job spent waiting for a fence the kernel added.
type WaitEvent struct {
	Job   *Agent
	Fence FenceKey
	// FenceOrigin is what produced the fence; nil takes the origin the
	// fence was published with.
	FenceOrigin *Origin
	// Cause is the ioctl that made the wait necessary (the GEM_CLOSE or
	// unmap for a forced wait); nil if none.
	Cause *Origin
	NS    int64 // GPU time waited
}

// ForcedWait reports an E4 mandatory wait: Job waited NS for Fence because
// memory was freed without waiting for it. It is silent when NS is 0 or
// Job had asked for the fence (Deps, its Submit snapshot or ring order
// already cover it). Safe for concurrent use.
func (c *Checker) ForcedWait(w WaitEvent) {
	if c == nil {
		return
	}
	c.wait(KindForcedWait, &w)
}

// ImplicitStall reports GPU time Job spent waiting for a fence it did not
// ask for (implicit sync). Silent under the same conditions as ForcedWait.
// Safe for concurrent use.
func (c *Checker) ImplicitStall(w WaitEvent) {
	if c == nil {
		return
	}
	c.wait(KindImplicitStall, &w)
}

func (c *Checker) wait(k Kind, w *WaitEvent) {
	mustAgent(w.Job, k.String())
	c.mu.Lock()
	defer c.mu.Unlock()
	if w.NS <= 0 {
		return
	}
	f := c.fences[w.Fence]
	if f != nil && !w.Job.cpu && f.vc.leq(w.Job.user) {
		return // asked for: not forced, not a stall
	}
	now := c.time()
	fk := w.Fence
	r := &Report{
		Kind: k, Time: now, CostNS: w.NS, Fence: &fk,
		Access: Side{Job: w.Job.origin, Time: now},
	}
	switch {
	case w.FenceOrigin != nil:
		o := *w.FenceOrigin
		r.FenceOrigin = &o
	case f != nil:
		o := f.origin
		r.FenceOrigin = &o
	}
	if w.Cause != nil {
		o := *w.Cause
		r.Cause = &o
	}
	c.emit(r)
}
