package e2e

import (
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

// The hazard checker fed by the whole stack (issue 6): each report kind
// is triggered by a program and absent from its correctly synchronised
// twin.

type hz struct {
	*env
	chk *check.Checker
}

func setupChecked(t *testing.T, explicit bool) *hz {
	t.Helper()
	e := &env{t: t}
	chk := check.New(check.Options{})
	var err error
	e.dev, err = amdgpu.New(amdgpu.Config{FailDeadlocks: true, Check: chk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.dev.Close() })
	if e.c, err = client.New(e.dev); err != nil {
		t.Fatal(err)
	}
	if e.ctx, err = e.c.CreateContext(explicit); err != nil {
		t.Fatal(err)
	}
	if e.data, err = e.c.CreateBO(4096, gtt, 0); err != nil {
		t.Fatal(err)
	}
	if e.ib, err = e.c.CreateBO(8192, gtt, 0); err != nil {
		t.Fatal(err)
	}
	return &hz{env: e, chk: chk}
}

func (h *hz) count(k check.Kind) int {
	n := 0
	for _, r := range h.chk.Reports() {
		if r.Kind == k {
			n++
		}
	}
	return n
}

func (h *hz) noReports(t *testing.T) {
	t.Helper()
	if rs := h.chk.Reports(); len(rs) != 0 {
		for _, r := range rs {
			t.Log(r.Text())
		}
		t.Fatalf("%d reports, want none", len(rs))
	}
}

// mapAll maps data and IB BOs and waits for the maps (syncobj out).
func (h *hz) mapAll(explicit bool) {
	so, _ := h.c.CreateSyncobj(false)
	for _, m := range []struct {
		bo uint32
		va uint64
		sz uint64
	}{{h.data, dataVA, 4096}, {h.ib, ibVA, 8192}} {
		if err := h.c.GemVA(client.VAOp{Op: uapi.AMDGPU_VA_OP_MAP, Handle: m.bo, VA: m.va, Size: m.sz,
			Flags: h.vaFlags(explicit), OutSync: so}); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := h.c.WaitSyncobjs(1<<63-1, so); err != nil {
		h.t.Fatal(err)
	}
}

// writer submits an IB (at ibOff) writing 8 bytes at dataVA on ring ip.
func (h *hz) writer(ibOff uint64, ip uint32, deps []uint32, signal []uint32) uint64 {
	var b pkt.PM4
	b.Gfx = pkt.GFX11
	b.WriteData(dataVA, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	dw := b.Dwords()
	h.c.WriteIB(h.ib, ibOff, dw)
	seq, err := h.c.Submit(client.Submission{Ctx: h.ctx,
		IBs: []client.IBRef{{VA: ibVA + ibOff, Dwords: uint32(len(dw)), IP: ip}},
		BOs: []uint32{h.data, h.ib}, WaitSyncobjs: deps, SignalSyncobjs: signal})
	if err != nil {
		h.t.Fatal(err)
	}
	return seq
}

// Two writes of the same bytes on the gfx and compute rings with no
// dependency race (WAW) under the EXPLICIT policy; a syncobj between them
// orders them.
func TestHazardRaceAcrossRings(t *testing.T) {
	for _, synced := range []bool{false, true} {
		h := setupChecked(t, true)
		h.mapAll(true)
		so, _ := h.c.CreateSyncobj(false)
		var sig, wait []uint32
		if synced {
			sig, wait = []uint32{so}, []uint32{so}
		}
		h.writer(0, uapi.AMDGPU_HW_IP_GFX, nil, sig)
		seq := h.writer(4096, uapi.AMDGPU_HW_IP_COMPUTE, wait, nil)
		h.c.WaitCS(h.ctx, uapi.AMDGPU_HW_IP_COMPUTE, 0, seq, forever)
		h.e2eDrain()
		if synced {
			h.noReports(t)
		} else if h.count(check.KindRace) == 0 {
			t.Fatal("no race reported for unordered writes on two rings")
		}
	}
}

// A CPU read of memory a CS is writing, without waiting, is reported; after
// WAIT_CS it is not.
func TestHazardCPUAccessWithoutSync(t *testing.T) {
	for _, wait := range []bool{false, true} {
		h := setupChecked(t, false)
		h.mapAll(false)
		seq := h.writer(0, uapi.AMDGPU_HW_IP_GFX, nil, nil)
		if wait {
			h.wait(seq)
		} else {
			h.e2eDrain() // the job ran, but the CPU never waited for it
		}
		h.read()
		if wait {
			h.noReports(t)
		} else if h.count(check.KindCPUUnsync) == 0 {
			t.Fatal("no cpu-unsync report for a CPU read without a wait")
		}
	}
}

// Rule E1's fault reaches the checker as a fault report.
func TestHazardFault(t *testing.T) {
	h := setupChecked(t, true)
	for _, m := range []struct {
		bo uint32
		va uint64
	}{{h.data, dataVA}, {h.ib, ibVA}} {
		if err := h.c.Map(m.bo, m.va, 4096, h.vaFlags(true)); err != nil {
			t.Fatal(err)
		}
	}
	h.wait(h.submit(h.writeIB([]byte{1, 1, 1, 1, 1, 1, 1, 1})))
	if h.count(check.KindFault) == 0 {
		t.Fatal("no fault report")
	}
}

// No report under a correctly synchronised implicit program, and never a
// use-after-free anywhere.
func TestHazardImplicitSilent(t *testing.T) {
	h := setupChecked(t, false)
	h.mapAll(false)
	seq := h.writer(0, uapi.AMDGPU_HW_IP_GFX, nil, nil)
	h.wait(seq)
	h.read()
	h.noReports(t)
}

// e2eDrain runs the clock until the GPU is idle.
func (h *hz) e2eDrain() { h.dev.Clock().RunAll() }
