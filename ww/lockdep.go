package ww

import "fmt"

// Lockdep reports whether the validator is compiled in (build tag lockdep
// or invariants). When it is, misuse of the ww API panics with a message
// starting "ww: lockdep:". The checks mirror DEBUG_WW_MUTEXES in
// kernel/locking/ww_mutex.h and the rules of
// Documentation/locking/ww-mutex-design.rst:
//
//   - all locks of one transaction belong to the context's class;
//   - after EDEADLK the context takes no lock until it has dropped every
//     lock it holds, and then takes the contended lock first (LockSlow);
//   - LockSlow is called with no lock held;
//   - no lock is taken after Done, nor with a context not initialised or
//     already finished;
//   - Unlock of a Mutex whose context counts no lock;
//   - Fini with locks still held.
//
// Eviction victims after Done (Exec.LockVictim) are exempt from the Done
// and the EDEADLK rules: TTM locks them with the ticket after drm_exec's
// ww_acquire_done(), and goes on walking after one of them returned
// EDEADLK, both of which DEBUG_WW_MUTEXES would flag; vmemu follows TTM.
//
// "One context per task" cannot be checked: goroutines have no identity.
// Unlock of an unlocked Mutex panics in every build, as sync.Mutex does.
const Lockdep = lockdepEnabled

// ctxDebug is the debug state of an AcquireCtx (the kernel keeps the same
// under CONFIG_DEBUG_MUTEXES). Only the owning goroutine touches it.
type ctxDebug struct {
	inited   bool
	done     bool
	finished bool
	// contending is the Mutex that returned EDEADLK, until it is taken.
	contending *Mutex
}

func lockdepPanic(format string, args ...any) {
	panic(fmt.Sprintf("ww: lockdep: "+format, args...))
}

func (d *ctxDebug) checkInit(ctx *AcquireCtx) {
	if d.inited && !d.finished {
		lockdepPanic("Init of a context (stamp %d) that was not Fini'd", ctx.stamp)
	}
	if n := ctx.acquired; n != 0 {
		lockdepPanic("Init of a context that holds %d locks", n)
	}
}

func (d *ctxDebug) checkDone(ctx *AcquireCtx) {
	if !d.inited || d.finished {
		lockdepPanic("Done on a context that is not initialised or already finished")
	}
	if d.contending != nil {
		lockdepPanic("Done after EDEADLK without backing off (stamp %d)", ctx.stamp)
	}
}

func (d *ctxDebug) checkFini(ctx *AcquireCtx) {
	if !d.inited || d.finished {
		lockdepPanic("Fini on a context that is not initialised or already finished")
	}
	if n := ctx.acquired; n != 0 {
		lockdepPanic("Fini of context (stamp %d) with %d locks held", ctx.stamp, n)
	}
}

// checkLock runs before ctx takes m: slow for the LockSlow path, victim
// for an eviction victim (allowed after Done, see Exec.LockVictim).
func (d *ctxDebug) checkLock(ctx *AcquireCtx, m *Mutex, slow, victim bool) {
	if !d.inited || d.finished {
		lockdepPanic("lock with a context that is not initialised or already finished")
	}
	if d.done && !victim {
		lockdepPanic("lock after Done (stamp %d)", ctx.stamp)
	}
	if c := m.Class(); c != ctx.class {
		lockdepPanic("lock of a %s mutex in a %s transaction: one class per transaction",
			c, ctx.class)
	}
	n := ctx.acquired
	if slow && n != 0 {
		lockdepPanic("LockSlow with %d locks held (stamp %d): unlock all first", n, ctx.stamp)
	}
	if d.contending != nil {
		if n != 0 {
			lockdepPanic("lock after EDEADLK with %d locks still held (stamp %d): unlock all, then LockSlow the contended lock",
				n, ctx.stamp)
		}
		if m != d.contending {
			lockdepPanic("after EDEADLK the contended lock must be taken first, with LockSlow (stamp %d)",
				ctx.stamp)
		}
	}
}

func (d *ctxDebug) checkUnlock(ctx *AcquireCtx, m *Mutex) {
	if ctx.acquired <= 0 {
		lockdepPanic("Unlock of a Mutex whose context (stamp %d) counts no lock", ctx.stamp)
	}
}
