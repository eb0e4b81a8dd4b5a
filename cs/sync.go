package cs

import (
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
)

// SyncMode is enum amdgpu_sync_mode (amdgpu_sync.h).
type SyncMode uint8

const (
	// SyncAlways keeps every fence.
	SyncAlways SyncMode = iota
	// SyncNEOwner drops fences of the same owner (a process never waits
	// implicitly for itself): the mode for ordinary BOs at CS.
	SyncNEOwner
	// SyncEQOwner keeps only fences of the same owner: clearing freed PTEs.
	SyncEQOwner
	// SyncExplicit drops everything but undefined-owner (kernel) fences:
	// BOs created with AMDGPU_GEM_CREATE_EXPLICIT_SYNC.
	SyncExplicit
)

func (m SyncMode) String() string {
	return [...]string{"ALWAYS", "NE_OWNER", "EQ_OWNER", "EXPLICIT"}[m]
}

// Fence owners (AMDGPU_FENCE_OWNER_*). A CS's owner is its file's VM, any
// comparable value that identifies it.
type ownerKind uint8

const (
	ownerUndefined ownerKind = iota // moves, clears, foreign fences
	ownerVMUpdate                   // page-table updates
	ownerKFD                        // KFD eviction fences
	ownerCS                         // a CS of some VM
)

// CSOwner is the scheduler-entity owner of a context's entities: the VM (by
// identity) whose CS they carry.
type CSOwner struct {
	VM  any
	Ctx *Context
}

// VMUpdateOwner marks entities carrying page-table updates
// (AMDGPU_FENCE_OWNER_VM); the vm package's entities use it.
type VMUpdateOwner interface{ IsVMUpdateOwner() }

// FenceOwner mirrors amdgpu_sync_get_owner(): a scheduler fence answers
// its entity's owner; anything else (hardware fences, stubs, other drivers,
// containers) is undefined.
func FenceOwner(f *fence.Fence) (kind ownerKind, vm any) {
	j := gpu.JobOf(f)
	if j == nil {
		return ownerUndefined, nil
	}
	switch o := j.Entity().Owner().(type) {
	case *CSOwner:
		return ownerCS, o.VM
	case VMUpdateOwner:
		return ownerVMUpdate, nil
	}
	return ownerUndefined, nil
}

// TestFence mirrors amdgpu_sync_test_fence() for a requester owner that is
// a CS of VM vm (never UNDEFINED or KFD here): undefined-owner fences are
// always kept; KFD and VM-update fences never; then the mode decides.
func TestFence(mode SyncMode, vm any, f *fence.Fence) bool {
	kind, fvm := FenceOwner(f)
	switch kind {
	case ownerUndefined:
		return true
	case ownerKFD, ownerVMUpdate:
		return false
	}
	switch mode {
	case SyncAlways:
		return true
	case SyncNEOwner:
		return fvm != vm
	case SyncEQOwner:
		return fvm == vm
	}
	return false // SyncExplicit
}

// SyncResv mirrors amdgpu_sync_resv() (6.16+: usages up to READ): for each
// fence of the resv, walk its chain and take the first link whose
// contained fence passes TestFence. Only the latest fence per context is
// kept by the caller's dedup (amdgpu_sync_fence()).
func SyncResv(r *resv.Resv, mode SyncMode, vm any) []*fence.Fence {
	var out []*fence.Fence
	for _, f := range r.Fences(resv.READ) {
		fence.ForEach(f, func(link *fence.Fence) bool {
			if TestFence(mode, vm, fence.Contained(link)) {
				out = append(out, link)
				return false
			}
			return true
		})
	}
	return out
}

// Dedup keeps the latest fence per context, as struct amdgpu_sync's hash
// does (amdgpu_sync_fence() keeps the later of two fences of a context),
// dropping nil and signaled fences. Order is stable.
func Dedup(fs []*fence.Fence) []*fence.Fence {
	idx := map[uint64]int{}
	var out []*fence.Fence
	for _, f := range fs {
		if f == nil || f.IsSignaled() {
			continue
		}
		if i, ok := idx[f.Context()]; ok {
			if fence.IsLater(f, out[i]) {
				out[i] = f
			}
			continue
		}
		idx[f.Context()] = len(out)
		out = append(out, f)
	}
	return out
}
