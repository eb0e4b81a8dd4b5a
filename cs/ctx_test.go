package cs

import (
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
)

// Reference: amdgpu_ctx_ioctl(), amdgpu_ctx_get_entity(),
// amdgpu_ctx_get_fence() in drivers/gpu/drm/amd/amdgpu/amdgpu_ctx.c;
// amdgpu_cs_wait_ioctl(), amdgpu_cs_wait_fences_ioctl() in amdgpu_cs.c.

func newDev(t *testing.T) *DeviceState {
	t.Helper()
	clock := sim.NewVirtual(0)
	e, err := gpu.NewEngine(clock, fence.NewDomain(clock), gpu.Config{Rings: map[gpu.IP]int{gpu.GFX: 1, gpu.COMPUTE: 8, gpu.SDMA: 2}})
	if err != nil {
		t.Fatal(err)
	}
	return &DeviceState{Engine: e}
}

func ctxOp(t *testing.T, m *Manager, in uapi.CtxIn) ([]byte, error) {
	out := make([]byte, uapi.SizeOfCtx)
	err := m.Ioctl(in, out)
	return out, err
}

func allocID(t *testing.T, m *Manager, in uapi.CtxIn) (uint32, error) {
	in.Op = uapi.AMDGPU_CTX_OP_ALLOC_CTX
	out, err := ctxOp(t, m, in)
	var o uapi.CtxOutAlloc
	o.UnmarshalBytes(out)
	return o.CtxID, err
}

func TestCtxAllocFree(t *testing.T) {
	m := NewManager(newDev(t), false, false, nil)
	for want := uint32(1); want <= 3; want++ {
		id, err := allocID(t, m, uapi.CtxIn{})
		if err != nil || id != want {
			t.Fatalf("alloc: id %d err %v, want %d", id, err, want)
		}
	}
	if _, err := ctxOp(t, m, uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_FREE_CTX, CtxID: 2}); err != nil {
		t.Fatal(err)
	}
	if id, _ := allocID(t, m, uapi.CtxIn{}); id != 2 {
		t.Fatalf("lowest free id: got %d, want 2", id)
	}
	for _, tc := range []struct {
		name string
		in   uapi.CtxIn
		want error
	}{
		{"free unknown", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_FREE_CTX, CtxID: 99}, errno.EINVAL},
		{"free with flags", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_FREE_CTX, CtxID: 1, Flags: 1}, errno.EINVAL},
		{"alloc with flags", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Flags: 1}, errno.EINVAL},
		{"explicit flag with the extension off", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Flags: uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC}, errno.EINVAL},
		{"query unknown", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_QUERY_STATE2, CtxID: 99}, errno.EINVAL},
		{"unknown op", uapi.CtxIn{Op: 77}, errno.EINVAL},
		{"high priority unprivileged", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Priority: uapi.AMDGPU_CTX_PRIORITY_HIGH}, errno.EACCES},
		{"garbage priority is NORMAL", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX, Priority: 12345}, nil},
		{"pstate out of range", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_SET_STABLE_PSTATE, CtxID: 1, Flags: 5}, errno.EINVAL},
		{"pstate bits outside the mask", uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_SET_STABLE_PSTATE, CtxID: 1, Flags: 0x10}, errno.EINVAL},
	} {
		if _, err := ctxOp(t, m, tc.in); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestCtxExplicitExtension(t *testing.T) {
	m := NewManager(newDev(t), true, false, nil)
	id, err := allocID(t, m, uapi.CtxIn{Flags: uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC})
	if err != nil || !m.Get(id).Explicit {
		t.Fatalf("explicit ctx: %v", err)
	}
	if _, err := allocID(t, m, uapi.CtxIn{Flags: uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC | 1}); err != errno.EINVAL {
		t.Fatalf("other bits with the extension: %v", err)
	}
}

func TestCtxQueryState2(t *testing.T) {
	dev := newDev(t)
	m := NewManager(dev, false, false, nil)
	id, _ := allocID(t, m, uapi.CtxIn{})
	query := func() uint64 {
		out, err := ctxOp(t, m, uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_QUERY_STATE2, CtxID: id})
		if err != nil {
			t.Fatal(err)
		}
		var o uapi.CtxOutState
		o.UnmarshalBytes(out)
		return o.Flags
	}
	if f := query(); f != 0 {
		t.Fatalf("fresh ctx flags %#x", f)
	}
	dev.ResetCounter.Add(1)
	dev.Generation.Add(1)
	m.Get(id).SetGuilty()
	want := uint64(uapi.AMDGPU_CTX_QUERY2_FLAGS_RESET | uapi.AMDGPU_CTX_QUERY2_FLAGS_VRAMLOST | uapi.AMDGPU_CTX_QUERY2_FLAGS_GUILTY)
	if f := query(); f != want {
		t.Fatalf("after reset flags %#x, want %#x", f, want)
	}
}

func TestCtxStablePstate(t *testing.T) {
	m := NewManager(newDev(t), false, false, nil)
	a, _ := allocID(t, m, uapi.CtxIn{})
	b, _ := allocID(t, m, uapi.CtxIn{})
	set := func(id, ps uint32) error {
		_, err := ctxOp(t, m, uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_SET_STABLE_PSTATE, CtxID: id, Flags: ps})
		return err
	}
	if err := set(a, uapi.AMDGPU_CTX_STABLE_PSTATE_PEAK); err != nil {
		t.Fatal(err)
	}
	if err := set(b, uapi.AMDGPU_CTX_STABLE_PSTATE_STANDARD); err != errno.EBUSY {
		t.Fatalf("second owner: %v, want EBUSY", err)
	}
	out, _ := ctxOp(t, m, uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_GET_STABLE_PSTATE, CtxID: b})
	var o uapi.CtxOutPstate
	o.UnmarshalBytes(out)
	if o.Flags != uapi.AMDGPU_CTX_STABLE_PSTATE_PEAK {
		t.Fatalf("get pstate %d", o.Flags)
	}
	// Freeing the owner restores its level and releases ownership.
	ctxOp(t, m, uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_FREE_CTX, CtxID: a})
	if err := set(b, uapi.AMDGPU_CTX_STABLE_PSTATE_STANDARD); err != nil {
		t.Fatalf("after owner freed: %v", err)
	}
}

func TestEntitySelection(t *testing.T) {
	m := NewManager(newDev(t), false, false, nil)
	id, _ := allocID(t, m, uapi.CtxIn{})
	c := m.Get(id)
	for _, tc := range []struct {
		ip, inst, ring uint32
		want           error
	}{
		{uapi.AMDGPU_HW_IP_GFX, 0, 0, nil},
		{uapi.AMDGPU_HW_IP_GFX, 0, 1, errno.EINVAL},
		{uapi.AMDGPU_HW_IP_COMPUTE, 0, 3, nil},
		{uapi.AMDGPU_HW_IP_COMPUTE, 0, 4, errno.EINVAL},
		{uapi.AMDGPU_HW_IP_DMA, 0, 1, nil},
		{uapi.AMDGPU_HW_IP_DMA, 1, 0, errno.EINVAL},
		{uapi.AMDGPU_HW_IP_NUM, 0, 0, errno.EINVAL},
		{uapi.AMDGPU_HW_IP_UVD, 0, 0, errno.ENOENT}, // no UVD rings on this device
	} {
		if _, err := c.Entity(tc.ip, tc.inst, tc.ring); err != tc.want {
			t.Errorf("entity(%d,%d,%d): %v, want %v", tc.ip, tc.inst, tc.ring, err, tc.want)
		}
	}
	e1, _ := c.Entity(uapi.AMDGPU_HW_IP_GFX, 0, 0)
	e2, _ := c.Entity(uapi.AMDGPU_HW_IP_GFX, 0, 0)
	if e1 != e2 {
		t.Fatal("entities are created once")
	}
}

func TestFenceRingAndWaitCS(t *testing.T) {
	dev := newDev(t)
	clock := dev.Engine.Clock()
	m := NewManager(dev, false, false, nil)
	id, _ := allocID(t, m, uapi.CtxIn{})
	en, _ := m.Get(id).Entity(uapi.AMDGPU_HW_IP_GFX, 0, 0)
	d := dev.Engine.Domain()
	var fs []*fence.Fence
	for i := 0; i < SchedJobs+2; i++ {
		f := d.New(d.ContextAlloc(1), 1)
		fs = append(fs, f)
		if seq := en.AddFence(f); seq != uint64(i+1) {
			t.Fatalf("seq %d, want %d", seq, i+1)
		}
	}
	wait := func(h, timeout uint64) (uint64, error) {
		return m.WaitCS(clock, uapi.WaitCSIn{Handle: h, Timeout: timeout, CtxID: id})
	}
	// Too old: completed. Future: EINVAL. Latest (~0): pending → busy.
	if st, err := wait(1, 0); st != 0 || err != nil {
		t.Fatalf("too old: %d %v", st, err)
	}
	if _, err := wait(SchedJobs+3, 0); err != errno.EINVAL {
		t.Fatalf("future seq: %v", err)
	}
	if st, err := wait(^uint64(0), 0); st != 1 || err != nil {
		t.Fatalf("latest pending: %d %v", st, err)
	}
	// A fence signaled with an error returns the error.
	last := fs[len(fs)-1]
	clock.After(1000, func() { last.SetErrno(errno.ETIME); last.Signal() })
	if _, err := wait(^uint64(0), ^uint64(0)); err != errno.ETIME {
		t.Fatalf("errored fence: %v", err)
	}
	if clock.Now() != 1000 {
		t.Fatalf("infinite wait ended at %d", clock.Now())
	}
	if _, err := m.WaitCS(clock, uapi.WaitCSIn{CtxID: 42}); err != errno.EINVAL {
		t.Fatalf("unknown ctx: %v", err)
	}
}
