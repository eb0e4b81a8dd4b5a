package e2e

import (
	"bytes"
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

// Two processes (two DRM files, two VMs) share a BO through PRIME. Under
// the implicit policy the reader's CS waits for the writer's through the
// shared reservation object (NE_OWNER: another VM's fence): the data is
// there, the checker sees no race but reports the implicit-sync stall
// with its cost. A writer that signals a syncobj the reader waits for
// declares the dependency: no stall is reported.
func TestPrimeImplicitSyncAcrossProcesses(t *testing.T) {
	for _, declared := range []bool{false, true} {
		chk := check.New(check.Options{})
		dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true, Check: chk})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := client.New(dev)
		b, _ := client.New(dev)
		shared, _ := a.CreateBO(4096, gtt, 0)
		fd, err := a.Export(shared)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := b.Import(fd)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := b.Import(fd); again != hb {
			t.Fatalf("second import gave handle %d, want the cached %d", again, hb)
		}
		hostfd.Close(fd)
		run := func(c *client.Client, h uint32, build func(*pkt.PM4), wait, signal []uint32) (ctx uint32, seq uint64) {
			ctx, _ = c.CreateContext(false)
			ib, _ := c.CreateBO(4096, gtt, 0)
			c.Map(h, dataVA, 4096, 0)
			c.Map(ib, ibVA, 4096, 0)
			var p pkt.PM4
			p.Gfx = pkt.GFX11
			build(&p)
			dw := p.Dwords()
			c.WriteIB(ib, 0, dw)
			seq, err := c.Submit(client.Submission{Ctx: ctx, BOs: []uint32{h, ib}, WaitSyncobjs: wait, SignalSyncobjs: signal,
				IBs: []client.IBRef{{VA: ibVA, Dwords: uint32(len(dw)), IP: uapi.AMDGPU_HW_IP_GFX}}})
			if err != nil {
				t.Fatal(err)
			}
			return ctx, seq
		}
		var sigA, waitB []uint32
		if declared {
			so, _ := a.CreateSyncobj(false)
			sfd, _ := exportSyncobj(a, so)
			sob, _ := importSyncobj(b, sfd)
			hostfd.Close(sfd)
			sigA, waitB = []uint32{so}, []uint32{sob}
		}
		run(a, shared, func(p *pkt.PM4) { p.Busy(50_000); p.WriteData(dataVA, []byte{4, 3, 2, 1}) }, nil, sigA)
		ctxB, seqB := run(b, hb, func(p *pkt.PM4) { p.Reads(dataVA, 4); p.CopyData(dataVA, dataVA+8, 4) }, waitB, nil)
		b.WaitCS(ctxB, uapi.AMDGPU_HW_IP_GFX, 0, seqB, forever)
		got := make([]byte, 4)
		b.Read(hb, 8, got)
		if !bytes.Equal(got, []byte{4, 3, 2, 1}) {
			t.Fatalf("declared=%v: the reader copied %v: it ran before the writer", declared, got)
		}
		stalls := 0
		for _, r := range chk.Reports() {
			switch r.Kind {
			case check.KindImplicitStall:
				stalls++
			case check.KindRace, check.KindUseAfterFree:
				t.Fatalf("declared=%v: %s", declared, r.Text())
			}
		}
		if !declared && stalls == 0 {
			t.Error("the implicit wait across processes was not reported as a stall")
		}
		if declared && stalls != 0 {
			t.Errorf("a declared dependency was reported as %d implicit stalls", stalls)
		}
		dev.Close()
	}
}
