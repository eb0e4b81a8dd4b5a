package bo

import (
	"io"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
)

// CPUView is a CPU mapping of a BO: what mmap() of the BO's fake offset
// gives a process. vmemu has no real mmap; in-process clients read and
// write through ReadAt and WriteAt, which act on the BO's current backing
// store and so stay correct across moves.
//
// Each access mirrors a page fault on the mapping (ttm_bo_vm_fault(),
// amdgpu_gem_fault()): it waits for the BO's KERNEL fences (moves, clears:
// ttm_bo_vm_fault_idle()), takes the reservation, and if the BO sits in
// CPU-invisible VRAM, counts a VRAM CPU page fault and moves it to visible
// VRAM or GTT first (amdgpu_bo_fault_reserve_notify()). It does not wait
// for user fences: as with a real mapping, synchronising with the GPU is
// the caller's job (GEM_WAIT_IDLE).
//
// A CPUView holds a reference to the BO until Close. Safe for concurrent
// use.
type CPUView struct {
	b *BO
}

// CPUView returns a CPU view of b. A BO created with
// AMDGPU_GEM_CREATE_NO_CPU_ACCESS cannot be mapped (errno.EPERM, as
// amdgpu_gem_object_mmap()).
func (b *BO) CPUView() (*CPUView, error) {
	if b.Flags()&uapi.AMDGPU_GEM_CREATE_NO_CPU_ACCESS != 0 {
		return nil, errno.EPERM
	}
	b.Get()
	return &CPUView{b: b}, nil
}

// BO returns the mapped BO.
func (v *CPUView) BO() *BO { return v.b }

// Close drops the view's reference (munmap).
func (v *CPUView) Close() {
	if v.b != nil {
		v.b.Put()
		v.b = nil
	}
}

// ReadAt implements io.ReaderAt.
func (v *CPUView) ReadAt(p []byte, off int64) (int, error) {
	return v.access(p, off, false)
}

// WriteAt implements io.WriterAt.
func (v *CPUView) WriteAt(p []byte, off int64) (int, error) {
	return v.access(p, off, true)
}

func (v *CPUView) access(p []byte, off int64, write bool) (int, error) {
	b := v.b
	if b == nil {
		return 0, errno.EBADF
	}
	if off < 0 {
		return 0, errno.EINVAL
	}
	if uint64(off) >= b.size {
		return 0, io.EOF
	}
	var short error
	if rest := b.size - uint64(off); uint64(len(p)) > rest {
		p, short = p[:rest], io.EOF
	}
	m := b.m
	for {
		r := b.Resv()
		r.Wait(m.clock, resv.KERNEL, sim.Forever)
		if err := r.Lock(nil); err != nil {
			return 0, err
		}
		if !r.TestSignaled(resv.KERNEL) {
			r.Unlock()
			continue
		}
		b.mu.Lock()
		a := b.mem
		b.mu.Unlock()
		if a == nil {
			r.Unlock()
			return 0, errno.EFAULT
		}
		if a.pool.domain == VRAM && a.start+a.pages > a.pool.visible {
			err := m.cpuFault(b)
			r.Unlock()
			if err != nil {
				return 0, err
			}
			continue // wait for the move, then access
		}
		if write {
			a.store.WriteAt(p, uint64(off))
		} else {
			a.store.ReadAt(p, uint64(off))
		}
		r.Unlock()
		return len(p), short
	}
}

// cpuFault mirrors amdgpu_bo_fault_reserve_notify() for a BO in invisible
// VRAM: remember the CPU access, count the fault, and move the BO to
// visible VRAM if it fits without eviction, else to GTT (only GTT is a
// busy placement there). A pinned BO cannot move (SIGBUS: EFAULT).
//
// Preconditions: b's reservation is held.
func (m *Manager) cpuFault(b *BO) error {
	b.mu.Lock()
	b.flags.Or(uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED)
	pin := b.pin
	b.mu.Unlock()
	if pin > 0 {
		return errno.EFAULT
	}
	m.cpuFaults.Add(1)
	na := m.allocIn(b, VRAM, m.pools[VRAM].visible, false, nil)
	if na == nil {
		// The kernel may evict GTT here; vmemu does not (the caller holds
		// the reservation without a ticket), so a full GTT is a SIGBUS.
		na = m.allocIn(b, GTT, 0, false, nil)
	}
	if na == nil {
		return errno.EFAULT
	}
	_, err := m.moveTo(b, na, false)
	return err
}
