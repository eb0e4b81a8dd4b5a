package vm

import (
	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/ww"
)

// owner classifies a fence as amdgpu_sync_get_owner() does.
type owner uint8

const (
	ownerUndefined owner = iota // moves, clears, foreign fences
	ownerVMUpdate               // page-table updates (AMDGPU_FENCE_OWNER_VM)
	ownerSelf                   // a CS of this VM
	ownerOther                  // a CS of another VM
)

// ownerOf mirrors amdgpu_sync_get_owner(): a scheduler fence answers its
// entity's owner. Page-table entities are VM updates; other kernel
// entities (TTM moves, clears, wipes) and anything that is not a
// scheduler fence are UNDEFINED; a user entity is a CS of the VM its owner
// names.
func (v *VM) ownerOf(f *fence.Fence) owner {
	j := gpu.JobOf(f)
	if j == nil {
		return ownerUndefined
	}
	en := j.Entity()
	switch o := en.Owner().(type) {
	case *ptOwner:
		return ownerVMUpdate
	case *VM:
		if o == v {
			return ownerSelf
		}
		return ownerOther
	case OwnerVM:
		if o.OwnerVM() == v {
			return ownerSelf
		}
		return ownerOther
	}
	if en.Kernel() {
		return ownerUndefined
	}
	return ownerOther
}

// SyncMode is enum amdgpu_sync_mode (amdgpu_sync.h).
type SyncMode uint8

const (
	// SyncAlways keeps every fence but VM updates.
	SyncAlways SyncMode = iota
	// SyncNEOwner drops this VM's own CS fences: a process never waits
	// implicitly for itself. The mode for ordinary BOs at CS.
	SyncNEOwner
	// SyncEQOwner keeps only this VM's CS fences (and undefined ones):
	// clearing freed PTEs.
	SyncEQOwner
	// SyncExplicit keeps only undefined-owner (kernel) fences: BOs created
	// with AMDGPU_GEM_CREATE_EXPLICIT_SYNC, and explicit VM updates.
	SyncExplicit
)

func (m SyncMode) String() string {
	return [...]string{"ALWAYS", "NE_OWNER", "EQ_OWNER", "EXPLICIT"}[m]
}

// TestFence mirrors amdgpu_sync_test_fence() with this VM's CS as the
// requester (never UNDEFINED or KFD): undefined-owner fences always pass,
// VM updates never, then the mode decides.
func (v *VM) TestFence(mode SyncMode, f *fence.Fence) bool {
	switch v.ownerOf(f) {
	case ownerUndefined:
		return true
	case ownerVMUpdate:
		return false
	case ownerSelf:
		return mode == SyncAlways || mode == SyncEQOwner
	}
	return mode == SyncAlways || mode == SyncNEOwner // a CS of another VM
}

// SyncResv mirrors amdgpu_sync_resv() with this VM's CS as the owner: the
// unsignalled fences of r up to READ (6.16+) whose unwrapped contents
// include one that passes TestFence, appended to out.
//
// Preconditions: r's reservation lock is held (dma_resv_for_each_fence()).
func (v *VM) SyncResv(r *resv.Resv, mode SyncMode, out []*fence.Fence) []*fence.Fence {
	r.EachUnsignaledLocked(resv.READ, func(f *fence.Fence) {
		if fence.ToChain(f) == nil && fence.ToArray(f) == nil {
			if v.TestFence(mode, f) {
				out = append(out, f)
			}
			return
		}
		take := false
		fence.Unwrap(f, func(leaf *fence.Fence) {
			if !take && !leaf.IsSignaled() && v.TestFence(mode, leaf) {
				take = true
			}
		})
		if take {
			out = append(out, f)
		}
	})
	return out
}

// ptWork is the Work of a page-table job: the PTE writes of one
// amdgpu_vm_update_range() call, applied to the page tables when the job
// executes on its ring. The placement was captured when the job was built,
// as the kernel reads bo->tbo.resource then.
type ptWork struct {
	vm          *VM
	start, last uint64
	valid, prt  bool
	placement   Placement
	off         uint64
	flags       uint32
	flush       bool
	origin      Origin
}

// Run implements gpu.Work.Run.
func (w *ptWork) Run(gpu.RunContext) gpu.Usage {
	if !w.valid && !w.prt {
		w.apply() // cleared entries vanish when the update starts
	}
	// 8 bytes per PTE written by SDMA (amdgpu_vm_sdma_set_ptes()).
	return gpu.Usage{Bytes: int64(w.last-w.start+1) * 8, Packets: 1}
}

// Complete implements gpu.Completer: new entries are in place once the
// SDMA job has written them, at its end, before its fence signals.
//
// Real hardware writes entries while the job runs, so a CS running
// concurrently may see either state. vmemu puts each effect at the edge
// that exposes the most hazards: new entries appear when the update
// completes (a CS nobody made wait for its map faults, rule E1), cleared
// entries vanish when it starts while TLBs keep caching them until the
// flush that follows its completion (stale translations are visible).
func (w *ptWork) Complete(gpu.RunContext) {
	if w.valid || w.prt {
		w.apply()
	}
}

func (w *ptWork) apply() {
	v := w.vm
	v.ptMu.Lock()
	switch {
	case w.valid || w.prt:
		v.pt.set(pte{start: w.start, last: w.last, placement: w.placement,
			off: w.off, flags: w.flags, prt: w.prt})
	default:
		v.pt.clear(w.start, w.last)
	}
	v.ptMu.Unlock()
}

// PTOrigin reports whether f is the finished fence of a page-table job, and
// its origin. The CS uses it to keep KERNEL updates as dependencies in
// EXPLICIT mode.
func PTOrigin(f *fence.Fence) (Origin, bool) {
	j := gpu.JobOf(f)
	if j == nil {
		return 0, false
	}
	w, ok := j.Work().(*ptWork)
	if !ok {
		return 0, false
	}
	return w.origin, true
}

// updateRange mirrors amdgpu_vm_update_range() with the SDMA backend: one
// job on the VM's delayed entity after deps, its finished fence added to
// the root resv as BOOKKEEP (amdgpu_vm_sdma_commit()) and flagged
// DONT_PIPELINE; with flush, vm->tlb_seq is bumped when it signals
// (amdgpu_vm_tlb_flush(), 6.10+). errno.EBUSY while the VM is evicting.
//
// Preconditions: mu and the root resv are held.
func (v *VM) updateRange(w *ptWork, deps []*fence.Fence) (*fence.Fence, error) {
	if v.evicting {
		return nil, errno.EBUSY
	}
	w.vm = v
	j := v.delayed.Push(w, deps...)
	j.SetDontPipeline()
	f := j.Finished()
	if w.flush {
		if f.AddCallback(func(*fence.Fence) { v.tlbSeq.Add(1) }) == nil {
			v.tlbSeq.Add(1)
		}
	}
	v.addFence(v.root, f, resv.BOOKKEEP)
	v.lastPT = f
	v.ptJobs++
	return f, nil
}

// BoUpdate mirrors amdgpu_vm_bo_update(bo_va, clear): it writes the PTEs of
// every mapping on the bo_va's invalids, one page-table job each.
//
//   - Dependencies: clear → EQ_OWNER on the root resv (this VM's CS fences,
//     moves, foreign fences); PRT map → none (6.13+); BO map → EXPLICIT on
//     the BO's resv (moves and foreign fences only). extra is appended: the
//     EXPLICIT-mode input fences of a GEM_VA.
//   - Fence slot: vm->last_update when clear or per-VM, else the bo_va's
//     last_pt_update.
//   - !clear with moved set: every valid mapping is rewritten and the TLB
//     flushed; cleared ≠ clear: every valid mapping is rewritten.
//   - Then: per-VM BO → idle (evicted if not in a preferred domain),
//     own-resv BO → done; invalids → valids; cleared = clear; moved =
//     false.
//
// The job's origin is KERNEL when the update follows a move (moved set),
// USER otherwise.
//
// Preconditions: the root resv and the BO's resv are locked.
// UpdateBOs is the CS's loop over its BO list in amdgpu_cs_vm_handling():
// for each BO opened in this VM, BoUpdate(bo_va, false), under one VM lock.
// fn sees each bo_va's last_pt_update before and after, so the caller can
// tell an update it caused from an earlier one.
//
// Preconditions: the root resv and every BO's resv are locked.
func (v *VM) UpdateBOs(bos []BO, fn func(b *bova.BoVA, before, after *fence.Fence)) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, bo := range bos {
		b := v.lookupLocked(bo)
		if b == nil {
			continue
		}
		before := b.LastPTUpdate()
		if err := v.boUpdateLocked(b, false, OriginUser, nil); err != nil {
			return err
		}
		fn(b, before, b.LastPTUpdate())
	}
	return nil
}

func (v *VM) BoUpdate(b *bova.BoVA, clear bool, extra ...*fence.Fence) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.boUpdateLocked(b, clear, OriginUser, extra)
}

func (v *VM) boUpdateLocked(b *bova.BoVA, clear bool, origin Origin, extra []*fence.Fence) error {
	bo := b.BO()
	// The placement is read only when some mapping needs a job.
	var pl Placement
	plDone := clear || bo == nil
	// The dependencies are collected only when some mapping needs a job:
	// most bo_vas of a CS's list have nothing to rewrite.
	var deps []*fence.Fence
	depsDone := false
	collect := func() {
		switch {
		case clear:
			deps = v.SyncResv(v.root, SyncEQOwner, nil)
		case bo == nil:
			// PRT map operations don't need to sync to anything.
		default:
			deps = v.SyncResv(bo.Resv(), SyncExplicit, nil)
		}
		deps = append(deps, extra...)
		depsDone = true
	}
	flush := clear
	if !clear && b.Moved() {
		flush = true
		origin = OriginKernel
		b.Valids().SpliceInit(b.Invalids())
	} else if b.Cleared() != clear {
		b.Valids().SpliceInit(b.Invalids())
	}
	var err error
	b.Invalids().Each(func(m *bova.Mapping) bool {
		w := &ptWork{start: m.Start, last: m.Last, flush: flush, origin: origin,
			flags: m.Flags}
		switch {
		case clear:
		case m.Flags&uapi.AMDGPU_VM_PAGE_PRT != 0:
			w.prt = true
		default:
			if !plDone {
				pl, plDone = bo.Placement(), true
			}
			if !pl.Valid() {
				break
			}
			w.valid, w.placement, w.off = true, pl, m.Offset
		}
		if !depsDone {
			collect()
		}
		var f *fence.Fence
		f, err = v.updateRange(w, deps)
		if err != nil {
			return false
		}
		if clear || b.AlwaysValid() {
			v.lastUpdate = f
		} else {
			b.SetLastPTUpdate(f)
		}
		return true
	})
	if err != nil {
		return err
	}
	if b.AlwaysValid() {
		if !bo.InPreferredDomain() {
			v.status.BecomeEvicted(b)
		} else {
			v.status.BecomeIdle(b)
		}
	} else {
		v.status.BecomeDone(b)
	}
	b.Invalids().SpliceInit(b.Valids())
	b.SetCleared(clear)
	b.SetMoved(false)
	return nil
}

// ClearFreed mirrors amdgpu_vm_clear_freed(): one PT_CLEAR job per mapping
// on the freed list (invalid PTEs, TLB flush), each mapping then destroyed
// (its PRT ref dropped when the clear signals). Baseline mappings depend on
// EQ_OWNER of the root resv: every earlier CS of this VM still on it, plus
// moves and foreign fences. Mappings unmapped with AMDGPU_VM_EXPLICIT_SYNC
// depend only on explicitDeps (the GEM_VA's input fences) and the VM order
// (rule E3). The clear fence becomes the last unmap fence of the mapping's
// bo_va.
//
// It returns the last clear fence, or nil when there was nothing to clear.
// The CS ignores it (it passes NULL in the kernel); GEM_VA stores it in
// vm->last_update.
//
// Preconditions: the root resv is locked.
func (v *VM) ClearFreed(explicitDeps ...*fence.Fence) (*fence.Fence, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.clearFreedLocked(explicitDeps)
}

func (v *VM) clearFreedLocked(explicitDeps []*fence.Fence) (*fence.Fence, error) {
	var last *fence.Fence
	var eqOwner []*fence.Fence
	eqDone := false
	for m := v.freed.First(); m != nil; m = v.freed.First() {
		deps := explicitDeps
		if !m.Explicit {
			if !eqDone {
				eqOwner, eqDone = v.SyncResv(v.root, SyncEQOwner, nil), true
			}
			deps = eqOwner
		}
		v.freed.Remove(m)
		f, err := v.updateRange(&ptWork{start: m.Start, last: m.Last, flush: true}, deps)
		b := m.Origin()
		v.freeMapping(m, f)
		if err != nil {
			return last, err
		}
		if b != nil {
			b.SetLastUnmap(f)
		}
		last = f
	}
	return last, nil
}

// HandleMoved mirrors amdgpu_vm_handle_moved(): every bo_va on moved is
// updated (clear=false); every bo_va on invalidated is updated at its new
// place if its resv can be trylocked or is held by ticket, else its PTEs
// are cleared (the next CS listing it, or GEM_VA on it, remaps it). These
// are KERNEL-origin updates.
//
// Preconditions: the root resv is locked.
func (v *VM) HandleMoved(ticket *ww.AcquireCtx) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for b := v.status.First(bova.Moved); b != nil; b = v.status.First(bova.Moved) {
		if err := v.boUpdateLocked(b, false, OriginKernel, nil); err != nil {
			return err
		}
	}
	for b := v.status.First(bova.Invalidated); b != nil; b = v.status.First(bova.Invalidated) {
		r := b.BO().Resv()
		clear, unlock := true, false
		switch {
		case r.WW().TryLock(nil):
			clear, unlock = false, true
		case ticket != nil && r.WW().Owner() == ticket:
			clear = false
		}
		err := v.boUpdateLocked(b, clear, OriginKernel, nil)
		if unlock {
			r.Unlock()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdatePDEs mirrors amdgpu_vm_update_pdes(): every base on relocated is
// written into its parent PD and goes to idle. vmemu does not model PD/PT
// BOs, so nothing is ever relocated and no job is created; the method is
// here so that the CS calls the kernel's sequence.
//
// Preconditions: the root resv is locked.
func (v *VM) UpdatePDEs() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for b := v.status.First(bova.Relocated); b != nil; b = v.status.First(bova.Relocated) {
		v.status.BecomeIdle(b)
	}
	return nil
}
