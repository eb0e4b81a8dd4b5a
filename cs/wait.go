package cs

import (
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// Deadline mirrors amdgpu_gem_timeout() (shared by GEM_WAIT_IDLE, WAIT_CS
// and WAIT_FENCES): a u64 absolute time whose s64 reading is negative means
// "wait forever"; a time already past polls. This is the opposite of the
// syncobj convention, where a negative value polls.
func Deadline(timeout uint64) int64 {
	if int64(timeout) < 0 {
		return sim.Forever
	}
	return int64(timeout)
}

// LookupFence mirrors amdgpu_cs_get_fence(): the finished fence of a CS
// named by (ctx, ip, instance, ring, seq). Unknown ctx → EINVAL; a bad
// entity selector → its errno; seq ≥ next → EINVAL; nil with no error means
// already signaled (too old, or an empty slot).
func (m *Manager) LookupFence(u uapi.Fence) (*fence.Fence, error) {
	c := m.Get(u.CtxID)
	if c == nil {
		return nil, errno.EINVAL
	}
	en, err := c.Entity(u.IPType, u.IPInstance, u.Ring)
	if err != nil {
		return nil, err
	}
	return en.Fence(u.SeqNo)
}

// WaitCS is DRM_IOCTL_AMDGPU_WAIT_CS (amdgpu_cs_wait_ioctl()). It returns
// the out status: 1 = still busy (timed out), 0 = completed; a fence that
// completed with an error returns that error instead.
func (m *Manager) WaitCS(clock *sim.Clock, in uapi.WaitCSIn) (status uint64, err error) {
	c := m.Get(in.CtxID)
	if c == nil {
		return 0, errno.EINVAL
	}
	en, err := c.Entity(in.IPType, in.IPInstance, in.Ring)
	if err != nil {
		return 0, err
	}
	f, err := en.Fence(in.Handle)
	if err != nil {
		return 0, err
	}
	if f == nil {
		return 0, nil
	}
	if !fence.Wait(f, Deadline(in.Timeout)) {
		return 1, nil
	}
	if e := f.Error(); e != 0 {
		return 0, errnoOf(e)
	}
	return 0, nil
}

// WaitFences is DRM_IOCTL_AMDGPU_WAIT_FENCES (amdgpu_cs_wait_fences_ioctl()):
// status 1 = signaled (the opposite sense to WAIT_CS). wait_all waits for
// each fence in turn against the same absolute deadline and returns the
// first fence error met; "any" returns the error of the fence that
// signaled first. "any" with no fence is dma_fence_wait_any_timeout()'s
// EINVAL. wrote reports whether the kernel would have written the out
// union (it does before returning a fence's error, not before a lookup
// error).
func (m *Manager) WaitFences(clock *sim.Clock, io usermem.IO, in uapi.WaitFencesIn) (out uapi.WaitFencesOut, wrote bool, err error) {
	if err := usermem.CheckArray(uint64(in.FenceCount), uapi.SizeOfFence, 0); err != nil {
		return out, false, err
	}
	buf := make([]byte, int(in.FenceCount)*uapi.SizeOfFence)
	if err := io.CopyIn(in.Fences.Addr(), buf); err != nil {
		return out, false, errno.EFAULT
	}
	us := make([]uapi.Fence, in.FenceCount)
	for i := range us {
		us[i].UnmarshalBytes(buf[i*uapi.SizeOfFence:])
	}
	deadline := Deadline(in.TimeoutNs)
	if in.WaitAll != 0 {
		// amdgpu_cs_wait_all_fences()
		ok := true
		for i := range us {
			f, err := m.LookupFence(us[i])
			if err != nil {
				return out, false, err
			}
			if f == nil {
				continue
			}
			if !fence.Wait(f, deadline) {
				ok = false
				break
			}
			if e := f.Error(); e != 0 {
				return out, false, errnoOf(e)
			}
		}
		if ok {
			out.Status = 1
		}
		return out, true, nil
	}
	// amdgpu_cs_wait_any_fence()
	fs := make([]*fence.Fence, len(us))
	for i := range us {
		f, err := m.LookupFence(us[i])
		if err != nil {
			return out, false, err
		}
		if f == nil { // already signaled
			out.Status, out.FirstSignaled = 1, uint32(i)
			return out, true, nil
		}
		fs[i] = f
	}
	if len(fs) == 0 {
		return out, false, errno.EINVAL
	}
	first, ok := fence.WaitMany(clock, fs, false, deadline)
	out.FirstSignaled = ^uint32(0)
	if ok {
		out.Status, out.FirstSignaled = 1, uint32(first)
		if e := fs[first].Error(); e != 0 {
			return out, true, errnoOf(e)
		}
	}
	return out, true, nil
}
