package amdgpu

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/cs"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/vm"
)

// Stats are a device's counters for reports.
type Stats struct {
	// Ioctls counts ioctls issued on the device's files.
	Ioctls uint64
	// Jobs counts GPU jobs completed (CS, page-table updates, moves).
	Jobs uint64
	// RingBusyNS is the GPU time each ring spent executing jobs.
	RingBusyNS map[string]int64
	// Faults counts GPU VM faults.
	Faults uint64
	// ForcedWaits (rule E4) and Stalls (implicit sync) with their GPU cost.
	ForcedWaits, Stalls         uint64
	ForcedWaitNS, StallNS       int64
	Evictions, BytesMoved       uint64
	VRAMHighWater, GTTHighWater uint64
}

// observer feeds the device's counters and, when enabled, the hazard
// checker from the GPU engine (job start and end), the VM (translated
// accesses, faults), the memory pools (allocation lifetimes) and the CS
// (submission knowledge, forced waits, stalls).
type observer struct {
	d   *Device
	chk *check.Checker
	// user is Config.Events.
	user gpu.Sink

	// closedIoctls counts the ioctls of files already closed; Stats adds
	// those of the open files (File.ioctls), so that an ioctl costs one
	// atomic counter, not two.
	closedIoctls atomic.Uint64
	jobs         atomic.Uint64
	faults       atomic.Uint64
	forced       atomic.Uint64
	forcedNS     atomic.Int64
	stalls       atomic.Uint64
	stallNS      atomic.Int64
	vramUsed     atomic.Int64
	gttUsed      atomic.Int64
	vramHigh     atomic.Int64
	gttHigh      atomic.Int64
	files        atomic.Uint32

	mu sync.Mutex
	// agents are the checker agents of running jobs; busy the per-ring
	// busy time. Protected by mu.
	agents map[*gpu.Job]*check.Agent
	busy   map[string]int64
}

func newObserver(d *Device, chk *check.Checker, user gpu.Sink) *observer {
	return &observer{d: d, chk: chk, user: user, agents: map[*gpu.Job]*check.Agent{}, busy: map[string]int64{}}
}

func fenceKey(f *fence.Fence) check.FenceKey {
	if f == nil {
		return check.FenceKey{}
	}
	return check.FenceKey{Context: f.Context(), Seqno: f.Seqno()}
}

// leafKeys flattens chains and arrays (the checker takes leaf fences).
func leafKeys(fs []*fence.Fence) []check.FenceKey {
	var out []check.FenceKey
	for _, f := range fs {
		fence.Unwrap(f, func(l *fence.Fence) { out = append(out, fenceKey(l)) })
	}
	return out
}

// submitTag is what a CS ioctl attaches to its jobs (cs.SubmitEnv.Tag).
type submitTag struct {
	snap   check.Snapshot
	origin check.Origin
}

// Event implements gpu.Sink.
func (o *observer) Event(ev *gpu.Event) {
	switch ev.Kind {
	case gpu.EventRun:
		if o.chk != nil {
			o.jobStart(ev)
		}
	case gpu.EventDone, gpu.EventTimeout:
		o.jobs.Add(1)
		_, start, _ := ev.Job.Times()
		o.mu.Lock()
		o.busy[ev.RingName] += ev.Time - start
		a := o.agents[ev.Job]
		delete(o.agents, ev.Job)
		o.mu.Unlock()
		if a != nil {
			if hw := ev.HW; hw.Context != 0 {
				o.chk.FenceSignal(check.FenceKey{Context: hw.Context, Seqno: hw.Seqno}, a, check.Origin{})
			}
			o.chk.JobEnd(a)
		}
	}
	if o.user != nil {
		o.user.Event(ev)
	}
}

func (o *observer) jobStart(ev *gpu.Event) {
	j := ev.Job
	ji := check.JobInfo{Ring: o.chk.Ring(ev.RingName), Fence: fenceKey(j.Finished())}
	if w := cs.JobWorkOf(j); w != nil {
		if tag, ok := w.Tag.(*submitTag); ok {
			ji.Submit = tag.snap
			ji.Origin = tag.origin
		}
		ji.Deps = leafKeys(w.UserDeps)
		ji.KernelDeps = leafKeys(w.KernelDeps)
	} else {
		ji.KernelDeps = leafKeys(j.Deps())
		ji.Origin = check.Origin{Label: ev.Entity.Name()}
	}
	ji.Origin.Ring = ev.RingName
	a := o.chk.JobStart(ji)
	o.chk.FenceSignal(fenceKey(j.Scheduled()), a, ji.Origin)
	o.mu.Lock()
	o.agents[j] = a
	o.mu.Unlock()
}

func (o *observer) agent(j *gpu.Job) *check.Agent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.agents[j]
}

// Access implements vm.Observer.
func (o *observer) Access(a *vm.Access) {
	if o.chk == nil {
		return
	}
	label := "GPU access"
	if a.Conservative {
		label = "unknown packets (conservative)"
	}
	o.chk.Access(check.Access{Agent: o.agent(a.Job), Alloc: check.AllocID(a.Placement.Alloc),
		Gen: a.Placement.Gen, Off: a.Offset, Len: a.Len, Write: a.Write, VA: a.VA,
		TLB: a.Stale, Label: label})
}

// Fault implements vm.Observer.
func (o *observer) Fault(f *vm.Fault) {
	o.faults.Add(1)
	if o.chk == nil {
		return
	}
	reason := check.FaultNotMapped
	if f.VM != nil {
		if mapped, known := f.VM.MappedNow(f.Addr); known && mapped {
			reason = check.FaultPTEPending
		}
	}
	o.chk.Fault(check.FaultEvent{Agent: o.agent(f.Job), VA: f.Addr, Len: vm.GPUPageSize,
		Write: f.Write, VMID: f.VMID, Reason: reason})
}

// onWait receives the CS's forced waits and stalls.
func (o *observer) onWait(w cs.Wait) {
	if w.Forced {
		o.forced.Add(1)
		o.forcedNS.Add(w.CostNS)
	} else {
		o.stalls.Add(1)
		o.stallNS.Add(w.CostNS)
	}
	if o.chk == nil {
		return
	}
	ev := check.WaitEvent{Job: o.agent(w.Job), Fence: fenceKey(w.Fence), NS: w.CostNS}
	if w.Forced {
		o.chk.ForcedWait(ev)
	} else if w.CostNS > 0 {
		o.chk.ImplicitStall(ev)
	}
}

// allocHooks track pool usage high-water marks and allocation lifetimes.
func (o *observer) allocHooks() bo.AllocHooks {
	used := func(d bo.Domain) (*atomic.Int64, *atomic.Int64) {
		switch d {
		case bo.VRAM:
			return &o.vramUsed, &o.vramHigh
		case bo.GTT:
			return &o.gttUsed, &o.gttHigh
		}
		return nil, nil
	}
	return bo.AllocHooks{
		Create: func(ref bo.Ref, size uint64) {
			if u, h := used(ref.Domain); u != nil {
				n := u.Add(int64(size))
				for {
					old := h.Load()
					if n <= old || h.CompareAndSwap(old, n) {
						break
					}
				}
			}
			o.chk.AllocCreate(check.AllocID(bo.AllocID(ref)), ref.Gen, size)
		},
		Release: func(ref bo.Ref) {
			if u, _ := used(ref.Domain); u != nil {
				u.Add(-int64(ref.Pages * bo.PageSize))
			}
			o.chk.AllocRelease(check.AllocID(bo.AllocID(ref)), ref.Gen, check.Origin{Label: "released to the pool"})
		},
	}
}

// cpuAgent returns the checker's thread for a file.
func (o *observer) cpuAgent(f *File) *check.Agent {
	if o.chk == nil {
		return nil
	}
	return o.chk.CPU(fmt.Sprintf("file%d", f.id))
}

// Checker returns the device's hazard checker, or nil when it is off.
func (d *Device) Checker() *check.Checker { return d.obs.chk }

// Stats returns the device's counters.
func (d *Device) Stats() Stats {
	o := d.obs
	s := Stats{Ioctls: d.ioctls(), Jobs: o.jobs.Load(), Faults: o.faults.Load(),
		ForcedWaits: o.forced.Load(), ForcedWaitNS: o.forcedNS.Load(),
		Stalls: o.stalls.Load(), StallNS: o.stallNS.Load(),
		VRAMHighWater: uint64(o.vramHigh.Load()), GTTHighWater: uint64(o.gttHigh.Load()),
		RingBusyNS: map[string]int64{}}
	o.mu.Lock()
	for k, v := range o.busy {
		s.RingBusyNS[k] = v
	}
	o.mu.Unlock()
	ms := d.mem.Stats()
	s.Evictions, s.BytesMoved = ms.Evictions, ms.BytesMoved
	return s
}

// cpuWaited tells the checker that the file's thread waited for fs (and
// so knows everything they publish).
func (f *File) cpuWaited(fs ...*fence.Fence) {
	o := f.dev.obs
	if o.chk == nil || len(fs) == 0 {
		return
	}
	o.chk.CPUWait(o.cpuAgent(f), leafKeys(fs)...)
}
