package ww

import (
	"fmt"
	"sync/atomic"
)

// Algorithm is the deadlock-avoidance algorithm of a Class. It mirrors the
// is_wait_die field of struct ww_class (include/linux/ww_mutex.h).
type Algorithm uint8

const (
	// WaitDie is DEFINE_WD_CLASS: a younger context that wants a lock held
	// by an older one dies (gets EDEADLK); an older context waits for a
	// younger holder.
	WaitDie Algorithm = iota
	// WoundWait is DEFINE_WW_CLASS: an older context that wants a lock held
	// by a younger one wounds the holder, which gets EDEADLK the next time
	// it contends for a lock (at once if it is already waiting); a younger
	// context waits for an older holder.
	WoundWait
)

// String returns the kernel's name for the algorithm.
func (a Algorithm) String() string {
	switch a {
	case WaitDie:
		return "Wait-Die"
	case WoundWait:
		return "Wound-Wait"
	default:
		return fmt.Sprintf("Algorithm(%d)", uint8(a))
	}
}

// Class is struct ww_class: a stamp counter and an algorithm shared by all
// mutexes and acquire contexts of the class. All locks taken under one
// AcquireCtx must belong to the context's class.
//
// A Class is safe for concurrent use.
type Class struct {
	name  string
	alg   Algorithm
	stamp atomic.Uint64
}

// NewClass returns a class, as DEFINE_WD_CLASS (alg == WaitDie) or
// DEFINE_WW_CLASS (alg == WoundWait) define one.
func NewClass(name string, alg Algorithm) *Class {
	return &Class{name: name, alg: alg}
}

// ReservationClass is reservation_ww_class from drivers/dma-buf/dma-resv.c,
// the class of every dma_resv lock and so of every BO reservation that TTM
// and drm_exec take. The kernel defines it with DEFINE_WD_CLASS: it is a
// Wait-Die class. A Wound-Wait class can be made with NewClass.
//
// The zero Mutex belongs to ReservationClass.
var ReservationClass = NewClass("reservation_ww_class", WaitDie)

// Name returns the class name given to NewClass.
func (c *Class) Name() string { return c.name }

// Algorithm returns the class's algorithm.
func (c *Class) Algorithm() Algorithm { return c.alg }

// String returns the name and the algorithm.
func (c *Class) String() string { return c.name + " (" + c.alg.String() + ")" }

// AcquireCtx is struct ww_acquire_ctx: one transaction. Init stamps it from
// its class counter; a lower stamp is older, and older wins. Done ends the
// acquire phase, Fini the transaction.
//
// The zero AcquireCtx must be initialised with Init before use. An
// AcquireCtx belongs to one goroutine at a time (the kernel's "one context
// per task"); Go cannot check that, since goroutines have no identity. An
// AcquireCtx may be reused: Init after Fini starts a new transaction with a
// new stamp.
type AcquireCtx struct {
	class *Class
	stamp uint64
	// acquired counts the Mutexes held under this context
	// (ww_acquire_ctx.acquired, a plain int in the kernel too). Only the
	// owning goroutine writes it. Another goroutine reads it only while
	// this context is queued on a Mutex's wait list, under that Mutex's
	// mu (die, wound): the owner wrote it before queueing under mu and
	// writes it again only after leaving the list under mu, so mu orders
	// every such pair of accesses and the field needs no atomics, which
	// the uncontended path would pay for on every Lock and Unlock.
	acquired int32
	// wounded is set by an older Wound-Wait context that waits for a lock
	// this context holds.
	wounded atomic.Bool
	// wake receives a token when this context, waiting for a Mutex, must
	// re-check its state: the lock was released, it was wounded, or an older
	// Wait-Die context asks it to die. Created by the first Init.
	wake chan struct{}

	dbg ctxDebug
}

// Init starts a transaction in class c. It mirrors ww_acquire_init().
//
// Preconditions: the context holds no lock (fresh, or after Fini).
func (ctx *AcquireCtx) Init(c *Class) {
	if lockdepEnabled {
		ctx.dbg.checkInit(ctx)
	}
	ctx.class = c
	ctx.stamp = c.stamp.Add(1)
	ctx.acquired = 0
	// Load first: a reused context is almost always unwounded, and a load
	// costs less than an atomic store.
	if ctx.wounded.Load() {
		ctx.wounded.Store(false)
	}
	if ctx.wake == nil {
		ctx.wake = make(chan struct{}, 1)
	}
	ctx.dbg = ctxDebug{inited: true}
}

// Done marks the end of the acquire phase: no more locks are taken in this
// context. It mirrors ww_acquire_done(); under the lockdep tag a later Lock
// panics.
func (ctx *AcquireCtx) Done() {
	if lockdepEnabled {
		ctx.dbg.checkDone(ctx)
	}
	ctx.dbg.done = true
}

// Fini ends the transaction. It mirrors ww_acquire_fini().
//
// Preconditions: every Mutex taken in this context has been unlocked (the
// lockdep tag checks it).
func (ctx *AcquireCtx) Fini() {
	if lockdepEnabled {
		ctx.dbg.checkFini(ctx)
	}
	ctx.dbg.done = true
	ctx.dbg.finished = true
}

// Stamp returns the context's ticket: lower is older.
func (ctx *AcquireCtx) Stamp() uint64 { return ctx.stamp }

// Class returns the class given to Init.
func (ctx *AcquireCtx) Class() *Class { return ctx.class }

// Acquired returns the number of Mutexes held in this context.
func (ctx *AcquireCtx) Acquired() int { return int(ctx.acquired) }

// younger reports whether ctx is younger than (loses against) other. It
// mirrors __ww_ctx_less() without the RT priority part, and is safe against
// stamp wraparound the same way.
func (ctx *AcquireCtx) younger(other *AcquireCtx) bool {
	return int64(ctx.stamp-other.stamp) > 0
}

// wakeUp hands ctx a wake-up token without blocking.
func (ctx *AcquireCtx) wakeUp() {
	select {
	case ctx.wake <- struct{}{}:
	default:
	}
}
