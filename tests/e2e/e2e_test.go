// Package e2e runs whole client programs through the ioctl interface: BOs,
// GEM_VA, CS with real PM4 packets, waits, under the implicit and EXPLICIT
// policies, and checks what the GPU wrote, which submissions faulted and
// which waits were forced (DESIGN.md §2 rules E1–E5).
package e2e

import (
	"bytes"
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/cs"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

const (
	dataVA  = 0x100000
	ibVA    = 0x200000
	gtt     = uapi.AMDGPU_GEM_DOMAIN_GTT
	forever = ^uint64(0)
)

type env struct {
	t     *testing.T
	dev   *amdgpu.Device
	c     *client.Client
	ctx   uint32
	data  uint32
	ib    uint32
	waits []cs.Wait
}

func setup(t *testing.T, explicit bool) *env {
	t.Helper()
	e := &env{t: t}
	var err error
	e.dev, err = amdgpu.New(amdgpu.Config{FailDeadlocks: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.dev.Close() })
	e.dev.SetCSHooks(cs.Hooks{OnWait: func(w cs.Wait) { e.waits = append(e.waits, w) }})
	if e.c, err = client.New(e.dev); err != nil {
		t.Fatal(err)
	}
	if e.ctx, err = e.c.CreateContext(explicit); err != nil {
		t.Fatal(err)
	}
	if e.data, err = e.c.CreateBO(4096, gtt, 0); err != nil {
		t.Fatal(err)
	}
	if e.ib, err = e.c.CreateBO(4096, gtt, 0); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) vaFlags(explicit bool) uint32 {
	f := uint32(uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE)
	if explicit {
		f |= uapi.AMDGPU_VM_EXPLICIT_SYNC
	}
	return f
}

// writeIB stores an IB that writes payload at dataVA and returns its size.
func (e *env) writeIB(payload []byte) uint32 {
	var b pkt.PM4
	b.Gfx = pkt.GFX11
	b.WriteData(dataVA, payload)
	dw := b.Dwords()
	if err := b.Err(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.c.WriteIB(e.ib, 0, dw); err != nil {
		e.t.Fatal(err)
	}
	return uint32(len(dw))
}

func clientSubmission(e *env, n uint32) client.Submission {
	return client.Submission{Ctx: e.ctx,
		IBs: []client.IBRef{{VA: ibVA, Dwords: n, IP: uapi.AMDGPU_HW_IP_GFX}},
		BOs: []uint32{e.data, e.ib}}
}

func (e *env) submit(n uint32) uint64 {
	seq, err := e.c.Submit(clientSubmission(e, n))
	if err != nil {
		e.t.Fatal(err)
	}
	return seq
}

func (e *env) wait(seq uint64) {
	done, err := e.c.WaitCS(e.ctx, uapi.AMDGPU_HW_IP_GFX, 0, seq, forever)
	if err != nil || !done {
		e.t.Fatalf("WAIT_CS: done=%v err=%v", done, err)
	}
}

func (e *env) read() []byte {
	got := make([]byte, 8)
	if err := e.c.Read(e.data, 0, got); err != nil {
		e.t.Fatal(err)
	}
	return got
}

// Upstream (implicit) amdgpu: the CS waits for the maps' page-table
// updates, so the write lands and nothing faults.
func TestImplicitMapThenSubmit(t *testing.T) {
	e := setup(t, false)
	for _, m := range []struct {
		h  uint32
		va uint64
	}{{e.data, dataVA}, {e.ib, ibVA}} {
		if err := e.c.Map(m.h, m.va, 4096, e.vaFlags(false)); err != nil {
			t.Fatal(err)
		}
	}
	payload := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	e.wait(e.submit(e.writeIB(payload)))
	if got := e.read(); !bytes.Equal(got, payload) {
		t.Fatalf("data = %v, want %v", got, payload)
	}
	if n := e.c.F.VM().Faults(); n != 0 {
		t.Fatalf("%d faults under the implicit policy", n)
	}
}

// Rule E1: in EXPLICIT mode the CS does not wait for user-requested maps;
// a CS submitted right after its map runs before the page-table update
// completes and faults. The write is lost.
func TestExplicitMapNotWaitedFaults(t *testing.T) {
	e := setup(t, true)
	for _, m := range []struct {
		h  uint32
		va uint64
	}{{e.data, dataVA}, {e.ib, ibVA}} {
		if err := e.c.Map(m.h, m.va, 4096, e.vaFlags(true)); err != nil {
			t.Fatal(err)
		}
	}
	e.wait(e.submit(e.writeIB([]byte{9, 9, 9, 9, 9, 9, 9, 9})))
	if n := e.c.F.VM().Faults(); n == 0 {
		t.Fatal("no fault for a CS that did not wait for its map (rule E1)")
	}
	if f, ok := e.c.F.VM().LastFault(); !ok || (f.Addr != ibVA && f.Addr != dataVA) {
		t.Fatalf("last fault %+v", f)
	}
}

// Rule E1, the correct way: wait for the map's out-syncobj before
// submitting (here by adding it as the CS's SYNCOBJ_IN): no fault.
func TestExplicitMapAsDependencyNoFault(t *testing.T) {
	e := setup(t, true)
	so, err := e.c.CreateSyncobj(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		h  uint32
		va uint64
	}{{e.data, dataVA}, {e.ib, ibVA}} {
		if err := e.c.GemVA(client.VAOp{Op: uapi.AMDGPU_VA_OP_MAP, Handle: m.h, VA: m.va, Size: 4096,
			Flags: e.vaFlags(true), OutSync: so}); err != nil {
			t.Fatal(err)
		}
	}
	payload := []byte{7, 7, 7, 7, 7, 7, 7, 7}
	n := e.writeIB(payload)
	seq, err := e.c.Submit(client.Submission{Ctx: e.ctx,
		IBs:          []client.IBRef{{VA: ibVA, Dwords: n, IP: uapi.AMDGPU_HW_IP_GFX}},
		BOs:          []uint32{e.data, e.ib},
		WaitSyncobjs: []uint32{so}})
	if err != nil {
		t.Fatal(err)
	}
	e.wait(seq)
	if n := e.c.F.VM().Faults(); n != 0 {
		t.Fatalf("%d faults with the map as a dependency", n)
	}
	if got := e.read(); !bytes.Equal(got, payload) {
		t.Fatalf("data = %v, want %v", got, payload)
	}
}

// Rule E4: freeing a BO without waiting for its unmap leaves a mandatory
// fence on the VM; the next CS depends on it: a forced wait, reported.
// Waiting for the unmap first: no forced wait.
func TestExplicitEarlyFreeForcesWait(t *testing.T) {
	for _, waitFirst := range []bool{false, true} {
		e := setup(t, true)
		so, _ := e.c.CreateSyncobj(false)
		for _, m := range []struct {
			h  uint32
			va uint64
		}{{e.data, dataVA}, {e.ib, ibVA}} {
			if err := e.c.GemVA(client.VAOp{Op: uapi.AMDGPU_VA_OP_MAP, Handle: m.h, VA: m.va, Size: 4096,
				Flags: e.vaFlags(true), OutSync: so}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.c.WaitSyncobjs(1<<63-1, so); err != nil {
			t.Fatal(err)
		}
		first := e.submit(e.writeIB([]byte{1, 1, 1, 1, 1, 1, 1, 1}))
		// Unmap and free the data BO while the first CS may still run.
		unmapDone, _ := e.c.CreateSyncobj(false)
		if err := e.c.GemVA(client.VAOp{Op: uapi.AMDGPU_VA_OP_UNMAP, Handle: e.data, VA: dataVA, Size: 4096,
			Flags: e.vaFlags(true), OutSync: unmapDone}); err != nil {
			t.Fatal(err)
		}
		if waitFirst {
			e.wait(first)
			if err := e.c.WaitSyncobjs(1<<63-1, unmapDone); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.c.CloseBO(e.data); err != nil {
			t.Fatal(err)
		}
		// The next CS touches only the IB BO.
		var b pkt.PM4
		b.Gfx = pkt.GFX11
		b.Nop(4)
		dw := b.Dwords()
		e.c.WriteIB(e.ib, 0, dw)
		seq, err := e.c.Submit(client.Submission{Ctx: e.ctx,
			IBs: []client.IBRef{{VA: ibVA, Dwords: uint32(len(dw)), IP: uapi.AMDGPU_HW_IP_GFX}},
			BOs: []uint32{e.ib}})
		if err != nil {
			t.Fatal(err)
		}
		e.wait(seq)
		forced := 0
		for _, w := range e.waits {
			if w.Forced {
				forced++
			}
		}
		if waitFirst && forced != 0 {
			t.Errorf("waited for the unmap first: %d forced waits, want 0", forced)
		}
		if !waitFirst && forced == 0 {
			t.Errorf("freed without waiting: no forced wait reported (rule E4)")
		}
		if n := e.c.F.VM().UseAfterFree(); n != 0 {
			t.Fatalf("use after free: %d (the model let the GPU reach reused memory)", n)
		}
	}
}

// Rule E0 under the default no-mixing policy: an implicit GEM_VA on a VM
// whose mode an explicit context fixed is EINVAL.
func TestNoMixing(t *testing.T) {
	e := setup(t, true)
	if err := e.c.Map(e.data, dataVA, 4096, e.vaFlags(false)); err == nil {
		t.Fatal("implicit map on an explicit VM succeeded")
	}
}
