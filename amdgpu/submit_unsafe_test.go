package amdgpu

import (
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// Reference: amdgpu_ctx_ioctl() (amdgpu_ctx.c), amdgpu_bo_list_ioctl()
// (amdgpu_bo_list.c), amdgpu_cs_wait_ioctl(), amdgpu_cs_wait_fences_ioctl(),
// amdgpu_cs_fence_to_handle_ioctl() (amdgpu_cs.c).

func allocCtx(t *testing.T, f *File) uint32 {
	t.Helper()
	c := uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_CTX, &c); err != nil {
		t.Fatal(err)
	}
	var out uapi.CtxOutAlloc
	buf := make([]byte, uapi.SizeOfCtx)
	c.MarshalBytes(buf)
	out.UnmarshalBytes(buf)
	return out.CtxID
}

func TestCtxIoctl(t *testing.T) {
	_, f := mustDevice(t, Config{})
	if id := allocCtx(t, f); id != 1 {
		t.Fatalf("first ctx id %d", id)
	}
	free := uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_FREE_CTX, CtxID: 7}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_CTX, &free); err != errno.EINVAL {
		t.Fatalf("free unknown ctx: %v", err)
	}
	// Rule E0 (PolicyNoMixing): the implicit context fixed this VM's mode.
	x := uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Flags: uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_CTX, &x); err != errno.EINVAL {
		t.Fatalf("explicit ctx on an implicit VM: %v, want EINVAL", err)
	}
	// A fresh file takes it; then an implicit one is refused.
	_, e := mustDevice(t, Config{})
	x = uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Flags: uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC}
	if err := ioctl(e, uapi.DRM_IOCTL_AMDGPU_CTX, &x); err != nil {
		t.Fatalf("explicit ctx with the extension: %v", err)
	}
	y := uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX}
	if err := ioctl(e, uapi.DRM_IOCTL_AMDGPU_CTX, &y); err != errno.EINVAL {
		t.Fatalf("implicit ctx on an explicit VM: %v, want EINVAL", err)
	}
	// Per-operation policy: both are fine on one file.
	_, p := mustDevice(t, Config{Policy: PolicyPerOperation})
	for _, flags := range []uint32{0, uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC, 0} {
		z := uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Flags: flags}
		if err := ioctl(p, uapi.DRM_IOCTL_AMDGPU_CTX, &z); err != nil {
			t.Fatalf("per-operation policy, flags %#x: %v", flags, err)
		}
	}
	_, g := mustDevice(t, Config{DisableExplicit: true})
	x = uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Flags: uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC}
	if err := ioctl(g, uapi.DRM_IOCTL_AMDGPU_CTX, &x); err != errno.EINVAL {
		t.Fatalf("explicit ctx without the extension: %v, want EINVAL", err)
	}
}

func TestBOListIoctl(t *testing.T) {
	_, f := mustDevice(t, Config{})
	h1, err := gemCreate(f, 4096, 0, uapi.AMDGPU_GEM_DOMAIN_GTT, 0)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := gemCreate(f, 4096, 0, uapi.AMDGPU_GEM_DOMAIN_GTT, 0)
	entries := []uapi.BOListEntry{{BOHandle: h1, BOPriority: 5}, {BOHandle: h2, BOPriority: 100}}
	buf := make([]byte, len(entries)*uapi.SizeOfBOListEntry)
	for i := range entries {
		entries[i].MarshalBytes(buf[i*uapi.SizeOfBOListEntry:])
	}
	in := uapi.BOListIn{Operation: uapi.AMDGPU_BO_LIST_OP_CREATE, BONumber: 2,
		BOInfoSize: uapi.SizeOfBOListEntry, BOInfoPtr: uapi.P64(usermem.SliceAddr(buf))}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_BO_LIST, &in); err != nil {
		t.Fatal(err)
	}
	var out uapi.BOListOut
	raw := make([]byte, uapi.SizeOfBOList)
	in.MarshalBytes(raw)
	out.UnmarshalBytes(raw)
	if out.ListHandle != 1 {
		t.Fatalf("list handle %d", out.ListHandle)
	}
	l, err := f.boLists.Get(1)
	if err != nil || len(l.Entries) != 2 || l.Entries[1].Priority != 32 {
		t.Fatalf("list %v %+v (priority must be capped at 32)", err, l)
	}
	l.Put()
	// A stride of 4 reads only the handles; priorities read 0.
	small := make([]byte, 8)
	copy(small, buf[:4])
	copy(small[4:], buf[8:12])
	in = uapi.BOListIn{Operation: uapi.AMDGPU_BO_LIST_OP_UPDATE, ListHandle: 1, BONumber: 2,
		BOInfoSize: 4, BOInfoPtr: uapi.P64(usermem.SliceAddr(small))}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_BO_LIST, &in); err != nil {
		t.Fatal(err)
	}
	l, _ = f.boLists.Get(1)
	if l.Entries[0].Priority != 0 || l.Entries[1].Priority != 0 {
		t.Fatalf("stride 4: %+v", l.Entries)
	}
	l.Put()
	for _, tc := range []struct {
		name string
		in   uapi.BOListIn
		want error
	}{
		{"update unknown list", uapi.BOListIn{Operation: uapi.AMDGPU_BO_LIST_OP_UPDATE, ListHandle: 9}, errno.ENOENT},
		{"unknown BO", uapi.BOListIn{Operation: uapi.AMDGPU_BO_LIST_OP_CREATE, BONumber: 1, BOInfoSize: 8,
			BOInfoPtr: uapi.P64(usermem.SliceAddr([]byte{99, 0, 0, 0, 0, 0, 0, 0}))}, errno.ENOENT},
		{"bad op", uapi.BOListIn{Operation: 7}, errno.EINVAL},
		{"destroy unknown list succeeds", uapi.BOListIn{Operation: uapi.AMDGPU_BO_LIST_OP_DESTROY, ListHandle: 9}, nil},
		{"bad pointer", uapi.BOListIn{Operation: uapi.AMDGPU_BO_LIST_OP_CREATE, BONumber: 1, BOInfoSize: 8}, errno.EFAULT},
	} {
		in := tc.in
		if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_BO_LIST, &in); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestWaitAndFenceToHandleIoctls(t *testing.T) {
	_, f := mustDevice(t, Config{})
	id := allocCtx(t, f)
	// No submission yet: handle 0 has no fence → completed; 1 → EINVAL.
	w := uapi.WaitCSIn{Handle: 0, CtxID: id}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_WAIT_CS, &w); err != nil {
		t.Fatal(err)
	}
	w = uapi.WaitCSIn{Handle: 1, CtxID: id}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_WAIT_CS, &w); err != errno.EINVAL {
		t.Fatalf("future seq: %v", err)
	}
	w = uapi.WaitCSIn{CtxID: id, Ring: 1}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_WAIT_CS, &w); err != errno.EINVAL {
		t.Fatalf("gfx ring 1: %v", err)
	}
	// WAIT_FENCES "any" with no fence is EINVAL; "all" with none is status 1.
	wf := uapi.WaitFencesIn{}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_WAIT_FENCES, &wf); err != errno.EINVAL {
		t.Fatalf("wait any of none: %v", err)
	}
	wf = uapi.WaitFencesIn{WaitAll: 1}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_WAIT_FENCES, &wf); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, uapi.SizeOfWaitFences)
	wf.MarshalBytes(raw)
	var wo uapi.WaitFencesOut
	wo.UnmarshalBytes(raw)
	if wo.Status != 1 {
		t.Fatalf("wait all of none: status %d", wo.Status)
	}
	// FENCE_TO_HANDLE of a fence that is already gone gives the stub.
	for what, name := range []string{"syncobj", "syncobj fd", "sync_file fd"} {
		ft := uapi.FenceToHandleIn{Fence: uapi.Fence{CtxID: id}, What: uint32(what)}
		if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE, &ft); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	ft := uapi.FenceToHandleIn{Fence: uapi.Fence{CtxID: id}, What: 3}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE, &ft); err != errno.EINVAL {
		t.Fatalf("bad what: %v", err)
	}
	ft = uapi.FenceToHandleIn{Fence: uapi.Fence{CtxID: 99}, What: 3}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE, &ft); err != errno.EINVAL {
		t.Fatalf("unknown ctx: %v", err)
	}
}
