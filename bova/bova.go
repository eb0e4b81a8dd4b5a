package bova

import (
	"fmt"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/resv"
)

// Placement is where a BO's backing store currently is: an allocation of
// the memory layer (bo package) and its generation, which changes when the
// allocation is released and its memory reused. A PTE written from a
// Placement keeps pointing at that generation; an access through it after
// the release is a use-after-free the memory layer reports.
type Placement struct {
	// Alloc identifies the backing allocation; 0 means none (the BO has no
	// backing store: evicted to nowhere, or never allocated).
	Alloc uint64
	// Gen is the allocation's generation when the placement was taken.
	Gen uint64
	// Domain is the AMDGPU_GEM_DOMAIN_* of the allocation.
	Domain uint32
	// Offset is the BO's byte offset inside the allocation.
	Offset uint64
}

// Valid reports whether the placement names an allocation.
func (p Placement) Valid() bool { return p.Alloc != 0 }

func (p Placement) String() string {
	if !p.Valid() {
		return "none"
	}
	return fmt.Sprintf("alloc%d.g%d+%#x", p.Alloc, p.Gen, p.Offset)
}

// BO is what the VM needs of a buffer object (struct amdgpu_bo). The bo
// package implements it; tests use fakes.
type BO interface {
	// Size is the BO size in bytes (amdgpu_bo_size()).
	Size() uint64
	// Resv is the BO's reservation object. Per-VM ("always valid") BOs
	// return the VM's root resv: amdgpu_vm_is_bo_always_valid() tests
	// exactly that identity.
	Resv() *resv.Resv
	// Placement is the current backing store.
	Placement() Placement
	// InPreferredDomain reports whether the current placement is in one of
	// the BO's preferred domains (bo->preferred_domains).
	InPreferredDomain() bool
	// VMBases is the BO's list of bo_vas, one per VM it is opened in
	// (amdgpu_bo.vm_bo), which amdgpu_vm_bo_find() walks.
	VMBases() *Bases
}

// State is the per-VM status of a bo_va's base: which list of struct
// amdgpu_vm its vm_status link is on (amdgpu_vm.h).
type State uint8

const (
	// None: on no list. An own-resv BO just opened (GEM_OPEN) and not yet
	// updated, or a removed base.
	None State = iota
	// Evicted: vm->evicted. PD/PT BOs and per-VM BOs whose memory moved
	// away or is not in a preferred domain; amdgpu_vm_validate() brings
	// them back.
	Evicted
	// EvictedUser: vm->evicted_user (6.9+). DMA-buf imports of compute VMs
	// whose backing is gone.
	EvictedUser
	// Relocated: vm->relocated. PT BOs whose PDE must be rewritten.
	Relocated
	// Moved: vm->moved. Per-VM BOs whose PTEs must be rewritten.
	Moved
	// Idle: vm->idle. Per-VM BOs and PTs that are up to date.
	Idle
	// Invalidated: vm->invalidated. Own-resv BOs whose backing moved.
	Invalidated
	// Done: vm->done. Own-resv BOs whose PTEs reflect the current state.
	Done

	numStates
)

var stateNames = [numStates]string{"none", "evicted", "evicted_user",
	"relocated", "moved", "idle", "invalidated", "done"}

func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// BoVA is struct amdgpu_bo_va with its struct amdgpu_vm_bo_base.
//
// All fields are protected by the owning VM's mutex.
type BoVA struct {
	// owner is the VM (opaque here); bo is nil for the PRT bo_va.
	owner any
	bo    BO
	// alwaysValid caches amdgpu_vm_is_bo_always_valid(vm, bo).
	alwaysValid bool

	state State
	// moved is amdgpu_vm_bo_base.moved.
	moved bool
	// sprev, snext link the base on its status list.
	sprev, snext *BoVA

	// refCount is ref_count: GEM handle opens in this VM.
	refCount int
	// lastPTUpdate is last_pt_update, never nil (stub at creation).
	lastPTUpdate *fence.Fence
	// lastUnmap is the EXPLICIT-mode last unmap fence (rule E3), nil until
	// a PT_CLEAR of one of its mappings was pushed.
	lastUnmap *fence.Fence
	// invalids and valids are the mapping lists.
	invalids, valids List
	// cleared is bo_va->cleared: the last update wrote invalid PTEs.
	cleared bool
	// deleted is set by amdgpu_vm_bo_del.
	deleted bool
}

// New returns a bo_va of bo (nil for PRT) in the VM owner, with ref_count 1
// and last_pt_update the stub, on no status list. It mirrors the allocation
// half of amdgpu_vm_bo_add(); the VM then places it with StatusLists.
func New(owner any, bo BO, alwaysValid bool, stub *fence.Fence) *BoVA {
	b := &BoVA{owner: owner, bo: bo, alwaysValid: alwaysValid,
		refCount: 1, lastPTUpdate: stub}
	b.invalids.where, b.invalids.owner = WhereInvalid, b
	b.valids.where, b.valids.owner = WhereValid, b
	return b
}

// Owner returns the VM the bo_va belongs to.
func (b *BoVA) Owner() any { return b.owner }

// BO returns the buffer object, nil for the PRT bo_va.
func (b *BoVA) BO() BO { return b.bo }

// AlwaysValid reports whether the BO is per-VM (shares the root resv).
func (b *BoVA) AlwaysValid() bool { return b.alwaysValid }

// State returns the base's status.
func (b *BoVA) State() State { return b.state }

// Moved returns amdgpu_vm_bo_base.moved.
func (b *BoVA) Moved() bool { return b.moved }

// SetMoved sets or clears the moved flag (the kernel writes it from
// amdgpu_vm_bo_invalidate() and at the end of amdgpu_vm_bo_update()).
func (b *BoVA) SetMoved(m bool) { b.moved = m }

// RefCount returns ref_count.
func (b *BoVA) RefCount() int { return b.refCount }

// Ref increments ref_count (GEM_OPEN of an already opened BO).
func (b *BoVA) Ref() { b.refCount++ }

// Unref decrements ref_count and returns the new count.
func (b *BoVA) Unref() int {
	b.refCount--
	return b.refCount
}

// LastPTUpdate returns last_pt_update (never nil).
func (b *BoVA) LastPTUpdate() *fence.Fence { return b.lastPTUpdate }

// SetLastPTUpdate replaces last_pt_update; nil is ignored.
func (b *BoVA) SetLastPTUpdate(f *fence.Fence) {
	if f != nil {
		b.lastPTUpdate = f
	}
}

// LastUnmap returns the last unmap fence (rule E3), or nil.
func (b *BoVA) LastUnmap() *fence.Fence { return b.lastUnmap }

// SetLastUnmap records the fence of a PT_CLEAR of one of its mappings.
func (b *BoVA) SetLastUnmap(f *fence.Fence) { b.lastUnmap = f }

// Cleared returns bo_va->cleared.
func (b *BoVA) Cleared() bool { return b.cleared }

// SetCleared sets bo_va->cleared.
func (b *BoVA) SetCleared(c bool) { b.cleared = c }

// Invalids returns the invalids list.
func (b *BoVA) Invalids() *List { return &b.invalids }

// Valids returns the valids list.
func (b *BoVA) Valids() *List { return &b.valids }

// Deleted reports whether amdgpu_vm_bo_del() ran on it.
func (b *BoVA) Deleted() bool { return b.deleted }

// MarkDeleted records amdgpu_vm_bo_del().
func (b *BoVA) MarkDeleted() { b.deleted = true }

func (b *BoVA) String() string {
	if b.bo == nil {
		return "bo_va(prt)"
	}
	return fmt.Sprintf("bo_va(%v)", b.bo)
}

// StatusLists are the per-VM status lists of amdgpu_vm (evicted,
// evicted_user, relocated, moved, idle, invalidated, done), in FIFO order
// except where the kernel inserts at the head. Its become methods are the
// only writers of BoVA.State.
type StatusLists struct {
	heads, tails [numStates]*BoVA
	counts       [numStates]int
}

func (s *StatusLists) unlink(b *BoVA) {
	st := b.state
	if st == None {
		return
	}
	if b.sprev != nil {
		b.sprev.snext = b.snext
	} else {
		s.heads[st] = b.snext
	}
	if b.snext != nil {
		b.snext.sprev = b.sprev
	} else {
		s.tails[st] = b.sprev
	}
	b.sprev, b.snext = nil, nil
	s.counts[st]--
	b.state = None
}

// become moves b to the list of st: list_move_tail(), or list_move() when
// head is set.
func (s *StatusLists) become(b *BoVA, st State, head bool) {
	s.unlink(b)
	b.state = st
	if st == None {
		return
	}
	s.counts[st]++
	if head {
		b.snext = s.heads[st]
		if b.snext != nil {
			b.snext.sprev = b
		} else {
			s.tails[st] = b
		}
		s.heads[st] = b
		return
	}
	b.sprev = s.tails[st]
	if b.sprev != nil {
		b.sprev.snext = b
	} else {
		s.heads[st] = b
	}
	s.tails[st] = b
}

// BecomeEvicted mirrors amdgpu_vm_bo_evicted(): moved is set; per-VM BOs go
// to the tail of evicted (PT BOs, not modelled, would go to the head).
func (s *StatusLists) BecomeEvicted(b *BoVA) {
	b.moved = true
	s.become(b, Evicted, false)
}

// BecomeEvictedUser mirrors amdgpu_vm_bo_evicted_user().
func (s *StatusLists) BecomeEvictedUser(b *BoVA) {
	b.moved = true
	s.become(b, EvictedUser, false)
}

// BecomeRelocated mirrors amdgpu_vm_bo_relocated(); a base without parent
// (the root) goes to idle instead.
func (s *StatusLists) BecomeRelocated(b *BoVA) { s.become(b, Relocated, false) }

// BecomeMoved mirrors amdgpu_vm_bo_moved().
func (s *StatusLists) BecomeMoved(b *BoVA) { s.become(b, Moved, false) }

// BecomeIdle mirrors amdgpu_vm_bo_idle(): moved is cleared.
func (s *StatusLists) BecomeIdle(b *BoVA) {
	b.moved = false
	s.become(b, Idle, false)
}

// BecomeInvalidated mirrors amdgpu_vm_bo_invalidated().
func (s *StatusLists) BecomeInvalidated(b *BoVA) { s.become(b, Invalidated, false) }

// BecomeDone mirrors amdgpu_vm_bo_done().
func (s *StatusLists) BecomeDone(b *BoVA) { s.become(b, Done, false) }

// Remove takes b off its list (list_del(&base->vm_status) in
// amdgpu_vm_bo_del()).
func (s *StatusLists) Remove(b *BoVA) { s.unlink(b) }

// First returns the head of the list of st, or nil.
func (s *StatusLists) First(st State) *BoVA { return s.heads[st] }

// Len returns the length of the list of st.
func (s *StatusLists) Len(st State) int { return s.counts[st] }

// Each calls fn for every bo_va on the list of st, in order, until fn
// returns false. fn must not move bo_vas between lists.
func (s *StatusLists) Each(st State, fn func(*BoVA) bool) {
	for b := s.heads[st]; b != nil; b = b.snext {
		if !fn(b) {
			return
		}
	}
}

// Check verifies the lists' links and counts and that every member's State
// names its list. It returns the first inconsistency found.
func (s *StatusLists) Check() error {
	for st := None + 1; st < numStates; st++ {
		n := 0
		var prev *BoVA
		for b := s.heads[st]; b != nil; b = b.snext {
			if b.state != st {
				return fmt.Errorf("%v on the %v list has state %v", b, st, b.state)
			}
			if b.sprev != prev {
				return fmt.Errorf("%v: broken back link on the %v list", b, st)
			}
			prev = b
			n++
		}
		if prev != s.tails[st] || n != s.counts[st] {
			return fmt.Errorf("%v list: %d members, count %d", st, n, s.counts[st])
		}
	}
	return nil
}
