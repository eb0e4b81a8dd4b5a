package amdgpu

import (
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/cs"
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/syncfile"
	"github.com/vmemu/vmemu/syncobj"
	"github.com/vmemu/vmemu/uapi"
)

// The context and submission ioctls (amdgpu_ctx.c, amdgpu_bo_list.c,
// amdgpu_cs.c): thin adapters to package cs.

// amdgpuCtx is DRM_IOCTL_AMDGPU_CTX (amdgpu_ctx_ioctl()).
func (f *File) amdgpuCtx(s *dispatch.State) error {
	var in uapi.CtxIn
	in.UnmarshalBytes(s.Buf)
	if in.Op == uapi.AMDGPU_CTX_OP_ALLOC_CTX && f.dev.prof.Explicit {
		// Rule E0 (vmemu extension): a context fixes the VM's mode.
		if err := f.useMode(in.Flags == uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC); err != nil {
			return err
		}
	}
	return f.ctxs.Ioctl(in, s.Buf)
}

// amdgpuBOList is DRM_IOCTL_AMDGPU_BO_LIST (amdgpu_bo_list_ioctl()). On
// success the union is zeroed and list_handle set.
func (f *File) amdgpuBOList(s *dispatch.State) error {
	var in uapi.BOListIn
	in.UnmarshalBytes(s.Buf)
	h, err := f.boLists.Ioctl(s.IO, in, f.LookupBO)
	if err != nil {
		return err
	}
	clear(s.Buf)
	out := uapi.BOListOut{ListHandle: h}
	out.MarshalBytes(s.Buf)
	return nil
}

// amdgpuWaitCS is DRM_IOCTL_AMDGPU_WAIT_CS (amdgpu_cs_wait_ioctl()).
func (f *File) amdgpuWaitCS(s *dispatch.State) error {
	var in uapi.WaitCSIn
	in.UnmarshalBytes(s.Buf)
	st, err := f.ctxs.WaitCS(f.dev.clock, in)
	if err != nil {
		return err
	}
	if st == 0 {
		if fc, _ := f.ctxs.LookupFence(uapi.Fence{CtxID: in.CtxID, IPType: in.IPType, IPInstance: in.IPInstance,
			Ring: in.Ring, SeqNo: in.Handle}); fc != nil {
			f.cpuWaited(fc)
		}
	}
	clear(s.Buf)
	out := uapi.WaitCSOut{Status: st}
	out.MarshalBytes(s.Buf)
	return nil
}

// amdgpuWaitFences is DRM_IOCTL_AMDGPU_WAIT_FENCES
// (amdgpu_cs_wait_fences_ioctl()). The out union is written even when a
// fence error is returned, as the kernel does before returning it.
func (f *File) amdgpuWaitFences(s *dispatch.State) error {
	var in uapi.WaitFencesIn
	in.UnmarshalBytes(s.Buf)
	out, wrote, err := f.ctxs.WaitFences(f.dev.clock, s.IO, in)
	if !wrote {
		return err
	}
	if err == nil && out.Status == 1 && f.dev.obs.chk != nil {
		f.waitedFences(s, in, out)
	}
	clear(s.Buf)
	out.MarshalBytes(s.Buf)
	return err
}

// amdgpuFenceToHandle is DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE
// (amdgpu_cs_fence_to_handle_ioctl()): the fence is looked up first (its
// errors win), a fence already gone becomes the signaled stub, then `what`
// is checked.
func (f *File) amdgpuFenceToHandle(s *dispatch.State) error {
	var in uapi.FenceToHandleIn
	in.UnmarshalBytes(s.Buf)
	fc, err := f.ctxs.LookupFence(in.Fence)
	if err != nil {
		return err
	}
	if fc == nil {
		fc = f.dev.domain.Stub()
	}
	var handle uint32
	switch in.What {
	case uapi.AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ:
		so := syncobj.New(f.dev.domain, 0, fc)
		defer so.Put()
		h, err := f.sync.Install(so)
		if err != nil {
			return err
		}
		handle = h
	case uapi.AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ_FD:
		so := syncobj.New(f.dev.domain, 0, fc)
		so.Get() // the fd's reference
		fd, _, err := f.dev.fds.Install(so, so.Put)
		so.Put()
		if err != nil {
			return errno.EMFILE
		}
		handle = uint32(fd)
	case uapi.AMDGPU_FENCE_TO_HANDLE_GET_SYNC_FILE_FD:
		fd, err := f.dev.installSyncFile(syncfile.New(fc))
		if err != nil {
			return errno.EMFILE
		}
		handle = uint32(fd)
	default:
		return errno.EINVAL
	}
	out := uapi.FenceToHandleOut{Handle: handle}
	out.MarshalBytes(s.Buf)
	return nil
}

// amdgpuCS is DRM_IOCTL_AMDGPU_CS (amdgpu_cs_ioctl()): parse (passes 1
// and 2), then lock, validate, VM handling, sync and submit. Out:
// handle = the leader's sequence number. A CS on an explicit context obeys
// rule E0 like any other explicit operation.
func (f *File) amdgpuCS(s *dispatch.State) error {
	var in uapi.CSIn
	in.UnmarshalBytes(s.Buf)
	p, err := cs.Parse(cs.Env{IO: s.IO, Ctxs: f.ctxs, LookupBO: f.LookupBO, BOLists: f.boLists, Syncobjs: f.sync}, in)
	if err != nil {
		return err
	}
	defer p.Release()
	env := f.submitEnv()
	env.Exec = &s.Exec
	if chk := f.dev.obs.chk; chk != nil {
		env.Tag = &submitTag{snap: chk.Submit(f.dev.obs.cpuAgent(f)),
			origin: check.Origin{File: f.id, IoctlSeq: f.ioctlSeq(), Ioctl: "CS", Context: in.CtxID}}
	}
	seq, err := cs.Submit(env, p)
	if err != nil {
		return err
	}
	clear(s.Buf[:uapi.SizeOfCS])
	out := uapi.CSOut{Handle: seq}
	out.MarshalBytes(s.Buf)
	return nil
}

func (f *File) submitEnv() cs.SubmitEnv {
	d := f.dev
	return cs.SubmitEnv{VM: f.vm, Mem: d.mem, Clock: d.clock, Engines: d.engines, Hooks: d.csHooks, IBStats: &d.ibStats}
}

// SetCSHooks installs observers of command submissions (forced waits,
// implicit stalls, submitted jobs), in addition to the device's own (Stats,
// the hazard checker). Call it before submitting.
func (d *Device) SetCSHooks(h cs.Hooks) {
	own := d.obs.onWait
	d.csHooks = cs.Hooks{OnSubmit: h.OnSubmit, OnWait: func(w cs.Wait) {
		own(w)
		if h.OnWait != nil {
			h.OnWait(w)
		}
	}}
}

// waitedFences tells the checker which fences a successful WAIT_FENCES
// waited for: all of them, or the first signaled one.
func (f *File) waitedFences(s *dispatch.State, in uapi.WaitFencesIn, out uapi.WaitFencesOut) {
	buf := make([]byte, int(in.FenceCount)*uapi.SizeOfFence)
	if s.IO.CopyIn(in.Fences.Addr(), buf) != nil {
		return
	}
	for i := uint32(0); i < in.FenceCount; i++ {
		if in.WaitAll == 0 && i != out.FirstSignaled {
			continue
		}
		var u uapi.Fence
		u.UnmarshalBytes(buf[int(i)*uapi.SizeOfFence:])
		if fc, _ := f.ctxs.LookupFence(u); fc != nil {
			f.cpuWaited(fc)
		}
	}
}
