package vm

import (
	"sync"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/ww"
)

// ctxPool recycles acquire contexts for GemVA callers that bring none
// (GemVAEnv.Ctx nil). An AcquireCtx must live on the heap: a held Mutex
// points at it.
var ctxPool = sync.Pool{New: func() any { return new(ww.AcquireCtx) }}

// testLockPairHook, when set by a test, runs in lockPair between the BO's
// lock and the root's, to order goroutines without sleeping.
var testLockPairHook func()

// lockPair locks bo (if not nil) and root in one ww transaction in ctx,
// with the wait-die back-off of drm_exec: on EDEADLK everything is dropped
// and the contended reservation is taken first with the slow path. It
// mirrors the drm_exec loop of amdgpu_gem_va_ioctl()
// (DRM_EXEC_IGNORE_DUPLICATES: the caller passes nil for a per-VM BO,
// whose resv is the root's). On success both are held until unlockPair;
// on error nothing is held and ctx is finished.
//
// Preconditions: ctx is not in a transaction.
func lockPair(ctx *ww.AcquireCtx, root, bo *resv.Resv) error {
	ctx.Init(ww.ReservationClass)
	// The first lock of a transaction never backs off (ww_mutex_lock()
	// returns EDEADLK only to a context that holds something), and the
	// non-interruptible Lock has no other error for a Mutex not yet held.
	first := bo
	if first == nil {
		first = root
	}
	if err := first.Lock(ctx); err != nil {
		ctx.Fini()
		return err
	}
	if bo == nil {
		return nil
	}
	if testLockPairHook != nil {
		testLockPairHook()
	}
	return lockOther(ctx, bo, root)
}

// lockOther locks other while held is held. On EDEADLK it drops held,
// takes other with the slow path and goes on with the roles swapped, until
// both are held; on another error nothing is held and ctx is finished.
func lockOther(ctx *ww.AcquireCtx, held, other *resv.Resv) error {
	for {
		err := other.Lock(ctx)
		if err == nil {
			return nil
		}
		held.Unlock()
		if err != errno.EDEADLK {
			ctx.Fini()
			return err
		}
		other.WW().LockSlow(ctx)
		held, other = other, held
	}
}

// unlockPair drops what lockPair took and finishes ctx.
func unlockPair(ctx *ww.AcquireCtx, root, bo *resv.Resv) {
	root.Unlock()
	if bo != nil {
		bo.Unlock()
	}
	ctx.Fini()
}
