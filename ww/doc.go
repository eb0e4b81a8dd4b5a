// Package ww models the kernel's wound/wait mutexes and the drm_exec
// transaction helper: the locks that make BO reservations deadlock-free when
// several ioctls lock overlapping sets of buffers concurrently.
//
// # Kernel objects modelled
//
//   - struct ww_mutex, struct ww_acquire_ctx, struct ww_class: Mutex,
//     AcquireCtx, Class. From include/linux/ww_mutex.h,
//     kernel/locking/ww_mutex.h, kernel/locking/mutex.c and
//     Documentation/locking/ww-mutex-design.rst. The wait list, the stamp
//     order, the die and wound decisions and the lazy wound check
//     (__ww_mutex_add_waiter, __ww_mutex_check_kill, __ww_mutex_check_waiters,
//     __ww_mutex_die, __ww_mutex_wound) follow ww_mutex.h.
//   - reservation_ww_class (drivers/dma-buf/dma-resv.c): ReservationClass.
//   - struct drm_exec (drivers/gpu/drm/drm_exec.c, include/drm/drm_exec.h;
//     6.6, nr argument 6.8): Exec, with the flags Interruptible and
//     IgnoreDuplicates, the lock list, the contended and prelocked objects.
//   - ttm_lru_walk_trylock() and ttm_lru_walk_ticketlock()
//     (drivers/gpu/drm/ttm/ttm_bo_util.c, 6.12): Exec.BeginWalk and
//     Exec.LockVictim, with victims kept locked on a second list until the
//     transaction ends, as in Thomas Hellström's "transaction lock lists"
//     (dri-devel/intel-gfx, 2021-04-13).
//
// # Wait-Die or Wound-Wait
//
// A Class chooses its algorithm; both are implemented. Under Wait-Die a
// younger context asking for a lock held (or already waited for) by an
// older one gets EDEADLK; the older waits. Under Wound-Wait an older context
// that waits for a lock held by a younger one wounds it; the younger gets
// EDEADLK the next time it has to wait for a lock, or at once if it is
// already waiting (it is woken). The wound is checked lazily, only on
// contention, as the kernel does ("lazy-preemption scheme",
// ww-mutex-design.rst): a wounded context that only takes free locks
// carries on and finishes. A context that holds nothing never gets EDEADLK
// and never wounds.
//
// reservation_ww_class, the class of every dma_resv and so of every lock
// TTM, drm_exec and amdgpu take on BOs, is a Wait-Die class:
// drivers/dma-buf/dma-resv.c has DEFINE_WD_CLASS(reservation_ww_class).
// ReservationClass is therefore WaitDie. "Wound-wait as TTM uses it" is the
// old name: until v4.19 every ww_mutex was called "wound/wait" although the
// algorithm was Wait-Die. Thomas Hellström's "locking: Implement an
// algorithm choice for Wound-Wait mutexes" (v4, 2018-06-19, merged for
// v4.19) added real Wound-Wait as DEFINE_WW_CLASS and switched
// reservation_ww_class and crtc_ww_class to DEFINE_WD_CLASS to keep their
// behaviour. Wound-Wait is selectable here with NewClass(name, WoundWait)
// and NewExecClass; per that commit it backs off less with few contending
// transactions and does worse with many.
//
// # Usage
//
//	e := ww.NewExec(ww.Interruptible, len(bos))
//	defer e.Fini()
//	err := e.Run(func(e *ww.Exec) error {
//		for _, bo := range bos {
//			if err := e.Prepare(bo, 1); err != nil {
//				return err // EDEADLK makes Run retry the pass
//			}
//		}
//		return nil
//	})
//	// On success every bo is locked; e.Objects() is the set that receives
//	// the job's fence.
//
// Callers' obligations: an Exec or AcquireCtx belongs to one goroutine;
// every Exec is Fini'd; after EDEADLK from Mutex.Lock the context unlocks
// everything and takes the contended Mutex with LockSlow first (Exec does
// this itself).
//
// # Lock order and thread safety
//
// Within a class, ww Mutexes may be taken in any order by a context: that
// is their point. Plain locks (Mutex.Lock(nil)) of a ww Mutex get no
// deadlock avoidance and must not be held across ww transactions. A
// caller's order is: device → file → VM → reservations (ww, any order,
// through Exec) → per-object inner locks. The internal wait lock of a Mutex
// (Mutex.mu) is a leaf: nothing else is locked while it is held.
//
// Mutex and Class are safe for concurrent use. AcquireCtx and Exec are not:
// each belongs to one goroutine.
//
// # Validator
//
// Built with the lockdep (or invariants) tag, the package checks the ww
// rules and panics on a violation (see Lockdep). Without the tag the checks
// compile away.
package ww
