package ww

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/errno"
)

// Mutex is struct ww_mutex: a sleeping lock that an AcquireCtx can take
// together with other Mutexes of its class without deadlock. The zero Mutex
// is unlocked and belongs to ReservationClass; Init puts it in another
// class. A Mutex must not be copied after first use.
//
// All methods are safe for concurrent use. A lock taken without a context
// may be unlocked from any goroutine; one taken in a context is unlocked
// by the goroutine using the context, which alone counts its locks.
type Mutex struct {
	// class is set by Init before the Mutex is shared; nil means
	// ReservationClass.
	class *Class

	// owner is the kernel's mutex owner word: nil when free, the holding
	// context (ww->ctx), or plainOwner for a lock taken without one. An
	// uncontended Lock is one compare-and-swap on it without mu, as
	// __mutex_trylock_fast() is; an Unlock without waiters one store.
	owner atomic.Pointer[AcquireCtx]
	// waiting is MUTEX_FLAG_WAITERS: set, with mu held, before a locker
	// looks at the owner to decide whether to sleep, and cleared when the
	// wait list empties. Unlock stores the owner, then reads waiting; a
	// waiter stores waiting, then reads the owner: one of the two sees the
	// other, so no wake-up is lost.
	waiting atomic.Bool
	// mu is the kernel's wait_lock: it serialises the slow paths and the
	// wait list. No other lock is taken while mu is held.
	mu sync.Mutex
	// waiters is the wait list: waiters with a context in stamp order,
	// oldest first, waiters without one interspersed in FIFO order.
	// Protected by mu.
	waiters []*waiter
}

// plainOwner stands in the owner word for a lock taken without a context.
var plainOwner = new(AcquireCtx)

// holder is what the owner word holds for ctx.
func holder(ctx *AcquireCtx) *AcquireCtx {
	if ctx == nil {
		return plainOwner
	}
	return ctx
}

// ctxOf is the context an owner word names, nil for none.
func ctxOf(o *AcquireCtx) *AcquireCtx {
	if o == plainOwner {
		return nil
	}
	return o
}

// testWaitHook, when set by a test, runs each time a lock goes to sleep on
// m, queued on its wait list. Tests use it to order goroutines without
// sleeping.
var testWaitHook func(m *Mutex)

// waiter is struct mutex_waiter.
type waiter struct {
	ctx  *AcquireCtx
	wake chan struct{} // ctx.wake, or a channel of its own without ctx
}

func (w *waiter) wakeUp() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Init sets the class of m, as ww_mutex_init() does.
//
// Preconditions: m is unused and not yet shared with other goroutines.
func (m *Mutex) Init(c *Class) { m.class = c }

// Class returns the class of m.
func (m *Mutex) Class() *Class {
	if m.class == nil {
		return ReservationClass
	}
	return m.class
}

// Lock locks m in context ctx. It mirrors ww_mutex_lock(). A nil ctx takes
// m as a plain mutex, outside any transaction, and never fails.
//
// It returns nil when m is locked; errno.EALREADY when ctx already holds m;
// errno.EDEADLK when ctx must back off: unlock every Mutex held in ctx,
// then take m with LockSlow. The first lock taken in a context never
// returns EDEADLK.
//
// Preconditions: ctx, if not nil, is initialised, belongs to m's class and
// is used by this goroutine only.
func (m *Mutex) Lock(ctx *AcquireCtx) error {
	return m.lock(ctx, nil, false, false)
}

// LockInterruptible is Lock that gives up with errno.EINTR when cancel is
// closed (or receives) while it sleeps: the Go stand-in for a pending
// signal. It mirrors ww_mutex_lock_interruptible(). A free lock is taken
// even if cancel has fired, as the kernel takes it before looking at
// signals.
func (m *Mutex) LockInterruptible(ctx *AcquireCtx, cancel <-chan struct{}) error {
	return m.lock(ctx, cancel, false, false)
}

// LockSlow locks m after ctx backed off from EDEADLK. It sleeps without
// deadlock checks, since ctx holds nothing. It mirrors ww_mutex_lock_slow().
//
// Preconditions: ctx is not nil and holds no lock (the lockdep tag checks
// it, and that m is the lock that returned EDEADLK, if any did).
func (m *Mutex) LockSlow(ctx *AcquireCtx) {
	_ = m.lock(ctx, nil, true, false)
}

// LockSlowInterruptible is LockSlow that returns errno.EINTR when cancel
// fires while it sleeps. It mirrors ww_mutex_lock_slow_interruptible().
func (m *Mutex) LockSlowInterruptible(ctx *AcquireCtx, cancel <-chan struct{}) error {
	return m.lock(ctx, cancel, true, false)
}

// TryLock locks m if it is free and reports whether it did. With a non-nil
// ctx the lock joins the transaction (it counts in ctx and takes part in
// wound and die decisions), as ww_mutex_trylock() with a context does. It
// returns false when ctx already holds m.
func (m *Mutex) TryLock(ctx *AcquireCtx) bool {
	return m.tryLock(ctx, false)
}

func (m *Mutex) tryLock(ctx *AcquireCtx, victim bool) bool {
	if lockdepEnabled && ctx != nil {
		ctx.dbg.checkLock(ctx, m, false, victim)
	}
	resetWound(ctx)
	if !m.owner.CompareAndSwap(nil, holder(ctx)) {
		return false
	}
	m.acquiredFast(ctx)
	return true
}

// resetWound clears a wound left from before a back-off: nobody can wound
// a context that holds nothing. Only ctx's goroutine calls it.
func resetWound(ctx *AcquireCtx) {
	if ctx != nil && ctx.acquired == 0 && ctx.wounded.Load() {
		ctx.wounded.Store(false)
	}
}

// acquiredFast completes an acquisition made without mu: it mirrors
// ww_mutex_set_context_fastpath(). A waiter that queued meanwhile decided
// on a stale owner, so with waiters present run the waiter checks now,
// under mu, as the kernel does after its smp_mb().
func (m *Mutex) acquiredFast(ctx *AcquireCtx) {
	if ctx == nil {
		return
	}
	ctx.counted()
	if m.waiting.Load() {
		m.mu.Lock()
		if len(m.waiters) > 0 {
			m.checkWaiters(ctx)
		}
		m.mu.Unlock()
	}
}

// Unlock unlocks m and wakes the first waiter. It mirrors ww_mutex_unlock().
// It panics if m is not locked.
//
// Without waiters it is one store of the owner word
// (__mutex_unlock_fast()); with waiters the first is also woken under mu.
func (m *Mutex) Unlock() {
	o := m.owner.Load()
	if o == nil {
		panic("ww: Unlock of unlocked Mutex")
	}
	if ctx := ctxOf(o); ctx != nil {
		if lockdepEnabled {
			ctx.dbg.checkUnlock(ctx, m)
		}
		ctx.acquired--
	}
	m.owner.Store(nil)
	if !m.waiting.Load() {
		return
	}
	m.mu.Lock()
	if len(m.waiters) > 0 {
		m.waiters[0].wakeUp()
	}
	m.mu.Unlock()
}

// IsLocked reports whether m is held, as ww_mutex_is_locked() does. The
// answer may be stale by the time the caller looks at it.
func (m *Mutex) IsLocked() bool { return m.owner.Load() != nil }

// Owner returns the context holding m, or nil when m is unlocked or was
// taken without a context. It mirrors dma_resv_locking_ctx(). The answer
// is stable only when the caller's own context is the owner.
func (m *Mutex) Owner() *AcquireCtx { return ctxOf(m.owner.Load()) }

// lock is __ww_mutex_lock(): take m at once if free, else queue on the wait
// list and sleep until m is free, ctx must back off, or cancel fires.
// victim exempts the Done check (see Exec.LockVictim).
func (m *Mutex) lock(ctx *AcquireCtx, cancel <-chan struct{}, slow, victim bool) error {
	if lockdepEnabled && ctx != nil {
		ctx.dbg.checkLock(ctx, m, slow, victim)
	}
	resetWound(ctx)
	h := holder(ctx)
	// Fast path: free (ww_mutex_lock() taking __mutex_trylock_fast()).
	if m.owner.CompareAndSwap(nil, h) {
		m.acquiredFast(ctx)
		return nil
	}
	m.mu.Lock()
	if ctx != nil && m.owner.Load() == ctx {
		m.mu.Unlock()
		return errno.EALREADY
	}
	// Raise the waiters flag before looking at the owner again, so that
	// an Unlock either is seen here or sees the flag and wakes the first
	// waiter; a fast-path locker likewise runs the waiter checks
	// (acquiredFast).
	m.waiting.Store(true)
	if m.owner.CompareAndSwap(nil, h) {
		if len(m.waiters) == 0 {
			m.waiting.Store(false)
		}
		m.acquire(ctx)
		m.mu.Unlock()
		return nil
	}

	w := &waiter{ctx: ctx}
	if ctx != nil {
		w.wake = ctx.wake
		// Drop a stale token, so that the first sleep really sleeps.
		select {
		case <-w.wake:
		default:
		}
	} else {
		w.wake = make(chan struct{}, 1)
	}
	if err := m.addWaiter(w); err != nil {
		if len(m.waiters) == 0 {
			m.waiting.Store(false)
		}
		m.mu.Unlock()
		return err
	}
	for {
		if m.owner.CompareAndSwap(nil, h) {
			m.removeWaiter(w)
			m.acquire(ctx)
			m.mu.Unlock()
			return nil
		}
		if cancelled(cancel) {
			m.removeWaiter(w)
			m.mu.Unlock()
			return errno.EINTR
		}
		if ctx != nil {
			if err := m.checkKill(w, ctx); err != nil {
				m.removeWaiter(w)
				m.mu.Unlock()
				return err
			}
		}
		m.mu.Unlock()
		if testWaitHook != nil {
			testWaitHook(m)
		}
		select {
		case <-w.wake:
		case <-cancel:
		}
		m.mu.Lock()
	}
}

func cancelled(cancel <-chan struct{}) bool {
	if cancel == nil {
		return false
	}
	select {
	case <-cancel:
		return true
	default:
		return false
	}
}

// counted records one more Mutex held in ctx (ww_mutex_lock_acquired()).
func (ctx *AcquireCtx) counted() {
	ctx.acquired++
	if lockdepEnabled {
		ctx.dbg.contending = nil
	}
}

// acquire completes an acquisition of m by ctx on the slow path. It
// mirrors ww_mutex_lock_acquired() followed by __ww_mutex_check_waiters().
//
// Preconditions: m.mu held; the owner word set to ctx by the caller; the
// caller is not on the wait list.
func (m *Mutex) acquire(ctx *AcquireCtx) {
	if ctx == nil {
		return
	}
	ctx.counted()
	if len(m.waiters) > 0 {
		m.checkWaiters(ctx)
	}
}

// checkWaiters is __ww_mutex_check_waiters(): ctx just took m; wake a
// younger Wait-Die waiter that holds locks so that it dies, or let an older
// Wound-Wait waiter that holds locks wound ctx.
//
// Preconditions: m.mu held; ctx holds m.
func (m *Mutex) checkWaiters(ctx *AcquireCtx) {
	for _, cur := range m.waiters {
		if cur.ctx == nil {
			continue
		}
		if m.die(cur, ctx) || m.wound(cur.ctx, ctx) {
			break
		}
	}
}

// die is __ww_mutex_die(): under Wait-Die, wake waiter cur when it holds
// locks and is younger than ctx, so that it backs off. It reports whether
// the class is Wait-Die.
func (m *Mutex) die(cur *waiter, ctx *AcquireCtx) bool {
	if ctx.class.alg != WaitDie {
		return false
	}
	if cur.ctx.acquired > 0 && cur.ctx.younger(ctx) {
		cur.wakeUp()
	}
	return true
}

// wound is __ww_mutex_wound(): under Wound-Wait, the older ctx that holds
// locks wounds the younger holder hold, and wakes it in case it sleeps on
// another Mutex. It reports whether it wounded.
func (m *Mutex) wound(ctx, hold *AcquireCtx) bool {
	if hold == nil {
		return false
	}
	if ctx.acquired > 0 && hold.younger(ctx) {
		hold.wounded.Store(true)
		if hold != ctx {
			hold.wakeUp()
		}
		return true
	}
	return false
}

// kill is __ww_mutex_kill(): back off with EDEADLK, unless ctx holds
// nothing, in which case it simply waits.
func (m *Mutex) kill(ctx *AcquireCtx) error {
	if ctx.acquired == 0 {
		return nil
	}
	if lockdepEnabled {
		ctx.dbg.contending = m
	}
	return errno.EDEADLK
}

// checkKill is __ww_mutex_check_kill(): whether the waiting ctx must back
// off now. Wound-Wait: when it was wounded. Wait-Die: when m is held by an
// older context, or an older context waits ahead of it.
//
// Preconditions: m.mu held; w is on the wait list.
func (m *Mutex) checkKill(w *waiter, ctx *AcquireCtx) error {
	if ctx.acquired == 0 {
		return nil
	}
	if ctx.class.alg != WaitDie {
		if ctx.wounded.Load() {
			return m.kill(ctx)
		}
		return nil
	}
	if hold := ctxOf(m.owner.Load()); hold != nil && ctx.younger(hold) {
		return m.kill(ctx)
	}
	for _, cur := range m.waiters {
		if cur == w {
			break
		}
		if cur.ctx != nil {
			// The list is in stamp order: a context ahead is older.
			return m.kill(ctx)
		}
	}
	return nil
}

// addWaiter is __ww_mutex_add_waiter(): queue w in stamp order. Under
// Wait-Die, die at once when an older context already waits, and wake the
// younger waiters passed over so that they die; under Wound-Wait, wound a
// younger holder.
//
// Preconditions: m.mu held; m locked.
func (m *Mutex) addWaiter(w *waiter) error {
	ctx := w.ctx
	if ctx == nil {
		m.waiters = append(m.waiters, w)
		return nil
	}
	waitDie := ctx.class.alg == WaitDie
	pos := len(m.waiters)
	for i := len(m.waiters) - 1; i >= 0; i-- {
		cur := m.waiters[i]
		if cur.ctx == nil {
			continue
		}
		if ctx.younger(cur.ctx) {
			// An older context waits: under Wait-Die there is no point
			// in queueing behind it.
			if waitDie {
				if err := m.kill(ctx); err != nil {
					return err
				}
			}
			break
		}
		pos = i
		m.die(cur, ctx)
	}
	m.waiters = slices.Insert(m.waiters, pos, w)
	if !waitDie {
		m.wound(ctx, ctxOf(m.owner.Load()))
	}
	return nil
}

// removeWaiter takes w off the wait list, and clears stateWaiters when
// the list is empty.
//
// Preconditions: m.mu held; w is on the list.
func (m *Mutex) removeWaiter(w *waiter) {
	if i := slices.Index(m.waiters, w); i >= 0 {
		m.waiters = slices.Delete(m.waiters, i, i+1)
	}
	if len(m.waiters) == 0 {
		m.waiting.Store(false)
	}
}
