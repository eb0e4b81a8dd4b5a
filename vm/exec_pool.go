package vm

import (
	"sync"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/ww"
)

// pairPool recycles acquire contexts: GEM_VA takes one per call.
var pairPool = sync.Pool{New: func() any { return new(pairLock) }}

// pairLock is drm_exec reduced to at most two reservations, without its
// per-call allocations.
type pairLock struct {
	ctx  ww.AcquireCtx
	held [2]*resv.Resv
	n    int
	fn   func()
}

func (p *pairLock) unlock() {
	for i := p.n - 1; i >= 0; i-- {
		p.held[i].Unlock()
		p.held[i] = nil
	}
	p.n = 0
	p.ctx.Fini()
	pairPool.Put(p)
}

// lockPair locks bo (if not nil) and root in one ww transaction with the
// wait-die back-off of drm_exec: on EDEADLK everything is dropped and the
// contended reservation is taken first with the slow path. It mirrors the
// drm_exec loop of amdgpu_gem_va_ioctl() (DRM_EXEC_IGNORE_DUPLICATES: the
// caller passes nil for a per-VM BO, whose resv is the root's). It
// returns the function unlocking both.
func lockPair(root, bo *resv.Resv) (func(), error) {
	p := pairPool.Get().(*pairLock)
	if p.fn == nil {
		p.fn = p.unlock
	}
	p.ctx.Init(ww.ReservationClass)
	objs := [2]*resv.Resv{bo, root}
	var slow *resv.Resv
	for {
		p.n = 0
		if slow != nil {
			slow.WW().LockSlow(&p.ctx)
			p.held[0], p.n = slow, 1
		}
		var err error
		var failed *resv.Resv
		for _, r := range objs {
			if r == nil || r == slow {
				continue
			}
			if err = r.Lock(&p.ctx); err != nil {
				failed = r
				break
			}
			p.held[p.n] = r
			p.n++
		}
		if err == nil {
			return p.fn, nil
		}
		for i := p.n - 1; i >= 0; i-- {
			p.held[i].Unlock()
			p.held[i] = nil
		}
		p.n = 0
		if err != errno.EDEADLK {
			p.ctx.Fini()
			pairPool.Put(p)
			return nil, err
		}
		slow = failed
	}
}
