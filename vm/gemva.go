package vm

import (
	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/syncobj"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
	"github.com/vmemu/vmemu/ww"
)

// Objects looks up GEM handles of the calling file (drm_gem_object_lookup()).
type Objects interface {
	// LookupBO returns the BO behind handle, or errno.ENOENT.
	LookupBO(handle uint32) (BO, error)
}

// Syncobjs looks up syncobj handles of the calling file (drm_syncobj_find()).
// *syncobj.Table implements it. The returned object carries a reference the
// caller puts.
type Syncobjs interface {
	Lookup(handle uint32) (*syncobj.Syncobj, error)
}

// GemVAEnv is what amdgpu_gem_va_ioctl() reaches besides its argument.
type GemVAEnv struct {
	Objects  Objects
	Syncobjs Syncobjs
	// Mem is the caller's user memory, for input_fence_syncobj_handles.
	Mem usermem.IO
	// Ctx, if not nil, is the acquire context GemVA locks the reservations
	// in (drm_exec's, which the kernel keeps on the ioctl's stack): the
	// ioctl layer passes the one of its per-call state. GemVA finishes it
	// before returning. Nil: GemVA uses one of its own.
	Ctx *ww.AcquireCtx
}

// GemVAFromV1 zero-extends the legacy 40-byte struct, as drm_ioctl() does
// for a short argument: the timeline and input-syncobj fields read as 0.
func GemVAFromV1(a *uapi.GemVA_V1) uapi.GemVA {
	return uapi.GemVA{Handle: a.Handle, Pad: a.Pad, Operation: a.Operation,
		Flags: a.Flags, VAAddress: a.VAAddress, OffsetInBO: a.OffsetInBO,
		MapSize: a.MapSize}
}

// kmallocMaxSize is KMALLOC_MAX_SIZE on x86-64 (4 MiB): memdup_user() of a
// larger input-syncobj array fails with ENOMEM.
const kmallocMaxSize = 1 << 22

// GemVA mirrors amdgpu_gem_va_ioctl() (6.16+ with the v7 refactor and
// upstream commit 68bd4f6b8310 "drm/amdgpu: fix some more bug in
// amdgpu_gem_va_ioctl", as in 7.0/6.18.y). Checks, in the kernel's order,
// each failing with the errno shown:
//
//  1. va_address < AMDGPU_VA_RESERVED_BOTTOM: EINVAL.
//  2. va_address inside the GMC hole: EINVAL; otherwise it is masked to
//     its canonical form.
//  3. va_address+map_size past max_pfn·4K − AMDGPU_VA_RESERVED_TOP (or
//     overflowing): EINVAL.
//  4. flags not a subset of {DELAY_UPDATE, R, W, X, MTYPE, NOALLOC} nor of
//     {DELAY_UPDATE, PRT}: EINVAL. AMDGPU_VM_EXPLICIT_SYNC belongs to both
//     sets only when the extension is on (Config.Explicit).
//  5. operation not MAP, UNMAP, CLEAR or REPLACE: EINVAL.
//  6. DELAY_UPDATE with vm_timeline_syncobj_out: EINVAL.
//  7. unless CLEAR or PRT, the GEM handle: ENOENT.
//  8. the input syncobjs: array copy (EFAULT; ENOMEM beyond 4 MiB), a zero
//     handle EINVAL, an unknown one ENOENT, one without fence EINVAL. The
//     fences are then waited for on the CPU, without timeout, before any
//     lock (upstream). With AMDGPU_VM_EXPLICIT_SYNC they become GPU
//     dependencies of the operation's page-table jobs instead.
//  9. (locking of the BO and the root PD)
//  10. the bo_va: ENOENT when the BO was never opened in this VM; PRT uses
//     the file's PRT bo_va; CLEAR none.
//  11. vm_timeline_syncobj_out: ENOENT.
//  12. the operation (MAP, UNMAP, CLEAR, REPLACE), with its own errors.
//
// Unless the operation failed or DELAY_UPDATE was given, the page tables
// are updated (amdgpu_gem_va_update_vm(): clear_freed into last_update,
// bo_update for MAP/REPLACE, update_pdes; skipped if the VM is not ready;
// errors not reported). The out syncobj then receives the merge of
// last_update and the bo_va's last_pt_update (MAP/REPLACE of a BO that is
// not per-VM), else last_update, or a signalled stub if the VM is not
// ready: by replacement when vm_timeline_point is 0, as a new chain point
// otherwise. On error or with DELAY_UPDATE it is left untouched.
//
// GemVA is safe for concurrent use; it takes the BO's and the root's
// reservations itself.
func (v *VM) GemVA(args *uapi.GemVA, env *GemVAEnv) error {
	l := &v.m.layout
	va := args.VAAddress
	if va < l.ReservedBottom {
		return errno.EINVAL
	}
	if va >= l.HoleStart && va < l.HoleEnd {
		return errno.EINVAL
	}
	va &= l.HoleMask
	vmSize := l.MaxPFN*GPUPageSize - l.ReservedTop
	if end := va + args.MapSize; end < va || end > vmSize {
		return errno.EINVAL
	}
	validFlags := uint32(uapi.AMDGPU_VM_DELAY_UPDATE | uapi.AMDGPU_VM_PAGE_READABLE |
		uapi.AMDGPU_VM_PAGE_WRITEABLE | uapi.AMDGPU_VM_PAGE_EXECUTABLE |
		uapi.AMDGPU_VM_MTYPE_MASK | uapi.AMDGPU_VM_PAGE_NOALLOC)
	prtFlags := uint32(uapi.AMDGPU_VM_DELAY_UPDATE | uapi.AMDGPU_VM_PAGE_PRT)
	if v.m.explicit {
		validFlags |= uapi.AMDGPU_VM_EXPLICIT_SYNC
		prtFlags |= uapi.AMDGPU_VM_EXPLICIT_SYNC
	}
	if args.Flags&^validFlags != 0 && args.Flags&^prtFlags != 0 {
		return errno.EINVAL
	}
	op := args.Operation
	switch op {
	case uapi.AMDGPU_VA_OP_MAP, uapi.AMDGPU_VA_OP_UNMAP,
		uapi.AMDGPU_VA_OP_CLEAR, uapi.AMDGPU_VA_OP_REPLACE:
	default:
		return errno.EINVAL
	}
	delay := args.Flags&uapi.AMDGPU_VM_DELAY_UPDATE != 0
	if delay && args.VMTimelineSyncobjOut != 0 {
		return errno.EINVAL
	}
	prt := args.Flags&uapi.AMDGPU_VM_PAGE_PRT != 0
	explicit := args.Flags&uapi.AMDGPU_VM_EXPLICIT_SYNC != 0
	var bo BO
	if op != uapi.AMDGPU_VA_OP_CLEAR && !prt {
		var err error
		if env == nil || env.Objects == nil {
			return errno.ENOENT
		}
		if bo, err = env.Objects.LookupBO(args.Handle); err != nil {
			return err
		}
	}
	var inFences []*fence.Fence
	if n := args.NumSyncobjHandles; n > 0 {
		fs, err := v.inputFences(args, env)
		if err != nil {
			return err
		}
		if explicit {
			inFences = fs
		} else {
			for _, f := range fs {
				fence.Wait(f, sim.Forever) // dma_fence_wait(f, false)
			}
		}
	}

	var br *resv.Resv
	if bo != nil && bo.Resv() != v.root {
		br = bo.Resv()
	}
	var ctx *ww.AcquireCtx
	if env != nil {
		ctx = env.Ctx
	}
	pooled := ctx == nil
	if pooled {
		ctx = ctxPool.Get().(*ww.AcquireCtx)
	}
	// No defer here or in gemVALocked beyond one: a function with several
	// defers and many returns gets heap-style defer records, which cost
	// more on this path than the locking. Nothing between the lock and the
	// unlock panics on user input.
	err := lockPair(ctx, v.root, br)
	if err == nil {
		v.mu.Lock()
		err = v.gemVALocked(args, env, bo, op, va, delay, prt, explicit, inFences)
		v.mu.Unlock()
		unlockPair(ctx, v.root, br)
	}
	if pooled {
		ctxPool.Put(ctx)
	}
	return err
}

// gemVALocked is GemVA from step 10 on, with the BO's and the root's
// reservations and v.mu held.
func (v *VM) gemVALocked(args *uapi.GemVA, env *GemVAEnv, bo BO, op uint32, va uint64,
	delay, prt, explicit bool, inFences []*fence.Fence) error {
	var b *bova.BoVA
	switch {
	case bo != nil:
		if b = v.lookupLocked(bo); b == nil {
			return errno.ENOENT
		}
	case prt:
		b = v.prt
	}
	var out *syncobj.Syncobj
	if h := args.VMTimelineSyncobjOut; h != 0 {
		if env == nil || env.Syncobjs == nil {
			return errno.ENOENT
		}
		s, err := env.Syncobjs.Lookup(h)
		if err != nil {
			return err
		}
		defer s.Put()
		out = s
	}

	var err error
	flags := args.Flags &^ (uapi.AMDGPU_VM_DELAY_UPDATE | uapi.AMDGPU_VM_EXPLICIT_SYNC)
	switch op {
	case uapi.AMDGPU_VA_OP_MAP:
		err = v.boMap(b, va, args.OffsetInBO, args.MapSize, flags)
	case uapi.AMDGPU_VA_OP_UNMAP:
		err = v.boUnmap(b, va, explicit)
	case uapi.AMDGPU_VA_OP_CLEAR:
		err = v.clearMappings(va, args.MapSize, explicit)
	case uapi.AMDGPU_VA_OP_REPLACE:
		err = v.boReplaceMap(b, va, args.OffsetInBO, args.MapSize, flags, explicit)
	}
	if err != nil || delay {
		return err
	}
	f := v.updateVMLocked(b, op, inFences)
	if out != nil {
		if args.VMTimelinePoint == 0 {
			out.ReplaceFence(f)
		} else {
			out.AddPoint(f, args.VMTimelinePoint)
		}
	}
	return nil
}

// inputFences copies and resolves input_fence_syncobj_handles
// (amdgpu_gem_add_input_fence()).
func (v *VM) inputFences(args *uapi.GemVA, env *GemVAEnv) ([]*fence.Fence, error) {
	n := args.NumSyncobjHandles
	if uint64(n)*4 > kmallocMaxSize {
		return nil, errno.ENOMEM
	}
	if env == nil || env.Mem == nil {
		return nil, errno.EFAULT
	}
	handles := make([]uint32, n)
	if err := usermem.CopyInU32s(env.Mem, uint64(args.InputFenceSyncobjHandles), handles); err != nil {
		return nil, err
	}
	fs := make([]*fence.Fence, 0, n)
	for _, h := range handles {
		if h == 0 {
			return nil, errno.EINVAL
		}
		if env.Syncobjs == nil {
			return nil, errno.ENOENT
		}
		s, err := env.Syncobjs.Lookup(h)
		if err != nil {
			return nil, err
		}
		f, err := s.FindFence(0, 0, 0)
		s.Put()
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// updateVMLocked mirrors amdgpu_gem_va_update_vm() (with the 7.0 out-fence
// rule) and returns the fence for the out syncobj.
func (v *VM) updateVMLocked(b *bova.BoVA, op uint32, inFences []*fence.Fence) *fence.Fence {
	d := v.m.domain
	if !v.readyLocked() {
		return d.Stub()
	}
	f, err := v.clearFreedLocked(inFences)
	if f != nil {
		v.lastUpdate = f
	}
	isMap := op == uapi.AMDGPU_VA_OP_MAP || op == uapi.AMDGPU_VA_OP_REPLACE
	if err == nil && isMap {
		err = v.boUpdateLocked(b, false, OriginUser, inFences)
	}
	if err != nil {
		return v.lastUpdate // errors are not reported to user space
	}
	if isMap && !b.AlwaysValid() {
		return d.Merge(v.lastUpdate, b.LastPTUpdate())
	}
	return v.lastUpdate
}
