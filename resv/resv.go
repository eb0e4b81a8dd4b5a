package resv

import (
	"fmt"
	"math/bits"
	"sync"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/ww"
)

// Usage is enum dma_resv_usage.
type Usage uint8

const (
	// KERNEL: memory management (moves, clears, evictions); every user waits.
	KERNEL Usage = iota
	// WRITE: implicitly synchronised writers.
	WRITE
	// READ: implicitly synchronised readers.
	READ
	// BOOKKEEP: taking no part in implicit sync; only memory management
	// (free, move) waits for these.
	BOOKKEEP
)

func (u Usage) String() string {
	switch u {
	case KERNEL:
		return "KERNEL"
	case WRITE:
		return "WRITE"
	case READ:
		return "READ"
	case BOOKKEEP:
		return "BOOKKEEP"
	}
	return fmt.Sprintf("Usage(%d)", u)
}

// UsageRW mirrors dma_resv_usage_rw(): what an access must wait for. A
// writer waits for readers and writers (READ); a reader only for writers
// (WRITE).
func UsageRW(write bool) Usage {
	if write {
		return READ
	}
	return WRITE
}

type slot struct {
	f     *fence.Fence
	usage Usage
}

// Resv is struct dma_resv.
type Resv struct {
	lock ww.Mutex

	mu sync.Mutex
	// slots are the fences. Written with both the reservation lock and mu
	// held; either suffices to read them.
	slots []slot
	// max is the allocated capacity (fobj->max_fences). Written with both
	// the reservation lock and mu held; either suffices to read it.
	max int
	// reserved counts slots reserved and not yet used under the current
	// lock. Protected by lock: only its holder reads or writes it.
	reserved int
	// containerAdds counts container fences added, which the kernel warns
	// about. Protected by mu.
	containerAdds int
}

// New returns an empty reservation object (dma_resv_init()).
func New() *Resv { return &Resv{} }

// WW returns the reservation's ww_mutex; Resv implements ww.Object.
func (r *Resv) WW() *ww.Mutex { return &r.lock }

// Lock locks the reservation in acquire context ctx (dma_resv_lock()); nil
// ctx takes it alone.
func (r *Resv) Lock(ctx *ww.AcquireCtx) error { return r.lock.Lock(ctx) }

// Unlock unlocks it (dma_resv_unlock()), forgetting unused reservations as
// CONFIG_DEBUG_MUTEXES kernels do (dma_resv_reset_max_fences()).
func (r *Resv) Unlock() {
	r.reserved = 0
	r.lock.Unlock()
}

func (r *Resv) assertLocked(op string) {
	if !r.lock.IsLocked() {
		panic("resv: " + op + " without the reservation lock held")
	}
}

// ReserveFences mirrors dma_resv_reserve_fences(): it guarantees n free
// slots for AddFence. n = 0 is a caller bug (EINVAL). When the list must
// grow it takes max(num+n, 2×max), or max(4, roundup_pow_of_two(n)) for the
// first allocation, dropping signaled fences while copying.
//
// Preconditions: the reservation lock is held.
func (r *Resv) ReserveFences(n int) error {
	r.assertLocked("ReserveFences")
	if n <= 0 {
		return errno.EINVAL
	}
	num := len(r.slots)
	if r.max != 0 && num+r.reserved+n <= r.max {
		// Room already: only the count changes, and it belongs to the
		// lock holder (slots and max change only under the reservation
		// lock, so they are read here without the leaf lock).
		r.reserved += n
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.max == 0 {
		r.max = max(4, 1<<bits.Len(uint(n-1)))
	} else if num+r.reserved+n > r.max {
		r.max = max(num+r.reserved+n, 2*r.max)
		kept := r.slots[:0]
		for _, s := range r.slots {
			if !s.f.IsSignaled() {
				kept = append(kept, s)
			}
		}
		clear(r.slots[len(kept):])
		r.slots = kept
	}
	r.reserved += n
	return nil
}

// AddFence mirrors dma_resv_add_fence().
//
// Preconditions: the reservation lock is held and a slot was reserved under
// it (a missing reservation is a kernel BUG; vmemu panics).
func (r *Resv) AddFence(f *fence.Fence, usage Usage) {
	r.assertLocked("AddFence")
	if fence.ToChain(f) != nil || fence.ToArray(f) != nil {
		r.mu.Lock()
		r.containerAdds++ // WARN_ON(dma_fence_is_container(fence))
		r.mu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.slots {
		old := r.slots[i]
		if (old.f.Context() == f.Context() && old.usage >= usage && fence.IsLaterOrSame(f, old.f)) ||
			old.f.IsSignaled() {
			r.slots[i] = slot{f: f, usage: usage}
			return
		}
	}
	if r.reserved == 0 {
		panic(fmt.Sprintf("resv: AddFence(%v, %v) with no reserved slot (kernel BUG_ON)", f, usage))
	}
	r.reserved--
	r.slots = append(r.slots, slot{f: f, usage: usage})
}

// ContainerAdds reports how many container fences were added (each a kernel
// warning).
func (r *Resv) ContainerAdds() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.containerAdds
}

// ReplaceFences mirrors dma_resv_replace_fences(): every fence of context is
// swapped for replacement with the given usage.
//
// Preconditions: the reservation lock is held.
func (r *Resv) ReplaceFences(context uint64, replacement *fence.Fence, usage Usage) {
	r.assertLocked("ReplaceFences")
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.slots {
		if r.slots[i].f.Context() == context {
			r.slots[i] = slot{f: replacement, usage: usage}
		}
	}
}

// Each is the locked iterator (dma_resv_for_each_fence()): every slot with
// usage ≤ u, signaled ones included, in slot order, until fn returns false.
//
// Preconditions: the reservation lock is held.
func (r *Resv) Each(u Usage, fn func(f *fence.Fence, usage Usage) bool) {
	r.assertLocked("Each")
	for _, s := range r.snapshot() {
		if s.usage <= u && !fn(s.f, s.usage) {
			return
		}
	}
}

func (r *Resv) snapshot() []slot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]slot(nil), r.slots...)
}

// Fences mirrors dma_resv_get_fences(): the unsignaled fences with usage ≤ u.
func (r *Resv) Fences(u Usage) []*fence.Fence {
	var out []*fence.Fence
	r.mu.Lock()
	for _, s := range r.slots {
		if s.usage <= u && !s.f.IsSignaled() {
			out = append(out, s.f)
		}
	}
	r.mu.Unlock()
	return out
}

// EachUnsignaledLocked calls fn for every unsignaled fence with usage ≤ u,
// in slot order, without allocating, for a caller holding the reservation
// lock, as dma_resv_for_each_fence() runs under dma_resv_lock(): every
// writer of the slots holds that lock too, so they are read without the
// internal leaf lock, and fn may call back into the Resv. It panics if the
// reservation lock is not held.
func (r *Resv) EachUnsignaledLocked(u Usage, fn func(f *fence.Fence)) {
	r.assertLocked("EachUnsignaledLocked")
	for _, s := range r.slots {
		if s.usage <= u && !s.f.IsSignaled() {
			fn(s.f)
		}
	}
}

// FencesLocked appends the unsignaled fences with usage ≤ u to out, under
// the reservation lock the caller holds (see EachUnsignaledLocked).
func (r *Resv) FencesLocked(u Usage, out []*fence.Fence) []*fence.Fence {
	r.EachUnsignaledLocked(u, func(f *fence.Fence) { out = append(out, f) })
	return out
}

// FencesWithUsage is Fences with each fence's usage.
func (r *Resv) FencesWithUsage(u Usage) (fs []*fence.Fence, us []Usage) {
	r.mu.Lock()
	for _, s := range r.slots {
		if s.usage <= u && !s.f.IsSignaled() {
			fs = append(fs, s.f)
			us = append(us, s.usage)
		}
	}
	r.mu.Unlock()
	return fs, us
}

// Len returns the number of slots, signaled ones included.
func (r *Resv) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.slots)
}

// Singleton mirrors dma_resv_get_singleton(): nil when no unsignaled fence
// has usage ≤ u, the fence itself when there is one, else a new signal-on-all
// array on a fresh context of d.
func (r *Resv) Singleton(d *fence.Domain, u Usage) *fence.Fence {
	fs := r.Fences(u)
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return d.NewArray(fs, d.ContextAlloc(1), 1, false).Fence()
}

// TestSignaled mirrors dma_resv_test_signaled(): no unsignaled fence with
// usage ≤ u.
func (r *Resv) TestSignaled(u Usage) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.slots {
		if s.usage <= u && !s.f.IsSignaled() {
			return false
		}
	}
	return true
}

// Wait mirrors dma_resv_wait_timeout() with an absolute deadline on clock:
// it waits for every unsignaled fence with usage ≤ u and reports whether
// all signaled in time. A deadline at or before now polls.
func (r *Resv) Wait(clock *sim.Clock, u Usage, deadline int64) bool {
	fs := r.Fences(u)
	if len(fs) == 0 {
		return true
	}
	_, ok := fence.WaitMany(clock, fs, true, deadline)
	return ok
}

// SetDeadline mirrors dma_resv_set_deadline().
func (r *Resv) SetDeadline(u Usage, ns int64) {
	for _, f := range r.Fences(u) {
		f.SetDeadline(ns)
	}
}
