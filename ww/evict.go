package ww

import (
	"iter"

	"github.com/vmemu/vmemu/errno"
)

// BeginWalk starts an eviction walk over an LRU list: it re-arms the one
// sleeping ticketed lock that ttm_lru_walk_for_evict() allows per walk
// (drivers/gpu/drm/ttm/ttm_bo_util.c, 6.12+).
// With TrylockVictims the walk gets no sleeping lock.
func (e *Exec) BeginWalk() { e.walkTicket = e.flags&TrylockVictims == 0 }

// LockVictim locks obj as an eviction victim of the transaction and keeps
// it on the victim list, separate from the lock list: victims do not
// receive the job's fence, are not released at the end of the current
// validation, and stay locked until the transaction backs off (Retry after
// contention) or ends (Fini). This is the eviction list of Thomas
// Hellström's transaction lock lists (dri-devel, April 2021): a victim stays
// locked until the allocation it made room for has succeeded, so nobody
// else takes the room meanwhile.
//
// Locking follows ttm_lru_walk_trylock() and ttm_lru_walk_ticketlock():
// first a trylock; if obj is busy, one sleeping lock with the ticket per
// walk (see BeginWalk), then trylocks only. Both take the lock in the
// ticket's name, as ww_mutex_trylock() with a context does, so that held
// victims take part in wound and die decisions. TTM's trylock passes no
// context because it unlocks the victim straight after the move; a victim
// held for the rest of a transaction must be known to the ww algorithm or
// an older transaction waiting for it could deadlock.
//
// It returns nil when obj is locked and on the victim list;
// errno.EALREADY when the transaction already holds obj (on either list;
// TTM evicts such an object only with allow_res_evict, the caller's
// choice); errno.EBUSY when obj is busy and the walk has used its sleeping
// lock (skip it); errno.EDEADLK when the sleeping lock must back off
// (Contended reports true: retry the pass; the victim is then waited for,
// not relocked); errno.EINTR when interrupted.
//
// LockVictim may be called after the loop has ended (after Done), as TTM
// evicts with dma_resv_locking_ctx() of the BO being validated after
// drm_exec has finished locking. An EDEADLK there cannot be retried in
// place: TTM's walk locks with dma_resv_lock() on the ticket, not through
// drm_exec, and ttm_lru_walk_ticketlock() turns -EDEADLK into -ENOSPC
// ("Caller needs to exit the ww transaction"), after which TTM goes on
// with the next placement, and amdgpu_cs_bo_validate() with the allowed
// domains, locking victims with the same ticket again. So after Done an
// EDEADLK records no contention (Contended stays false, no later lock
// takes the victim with the slow path while others are held, and the
// lockdep build lets later victim locks through); the caller ends its
// walk. Inside the loop (validation inside Run) it is recorded and the
// pass retries instead.
func (e *Exec) LockVictim(obj Object) error {
	e.mustBeStarted()
	if err := e.lockContended(); err != nil {
		return err
	}
	m := obj.WW()
	if m.Owner() == &e.ticket {
		return errno.EALREADY
	}
	if m.tryLock(&e.ticket, true) {
		get(obj)
		e.victims = append(e.victims, obj)
		return nil
	}
	if !e.walkTicket {
		return errno.EBUSY
	}
	err := e.lockMutex(m, true)
	switch err {
	case nil:
		// Only one sleeping ticketed lock per walk: it may return EDEADLK
		// and fail the eviction, so the rest of the walk trylocks.
		e.walkTicket = false
		get(obj)
		e.victims = append(e.victims, obj)
		return nil
	case errno.EDEADLK:
		if e.done {
			if lockdepEnabled {
				e.ticket.dbg.contending = nil // see above: TTM walks on
			}
			return err
		}
		get(obj)
		e.contended = obj
		e.contendedVictim = true
		return err
	default:
		return err
	}
}

// Victims iterates over the victim list in locking order.
func (e *Exec) Victims() iter.Seq2[int, Object] {
	return func(yield func(int, Object) bool) {
		for i, obj := range e.victims {
			if !yield(i, obj) {
				return
			}
		}
	}
}

// NumVictims returns the length of the victim list.
func (e *Exec) NumVictims() int { return len(e.victims) }
