package e2e

import (
	"bytes"
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

// Eviction in an EXPLICIT VM (DESIGN.md §2: eviction is unmap + free, and
// kernel-caused work stays implicit): a VRAM BO written by a CS is evicted
// by memory pressure, then used again by a CS. Validation moves it back and
// rewrites its PTEs as kernel work, which the explicit CS must still wait
// for: no fault, the data survives both moves, and the GPU never reaches
// released memory.
func TestExplicitEviction(t *testing.T) {
	for _, explicit := range []bool{false, true} {
		chk := check.New(check.Options{})
		dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true, VRAMSize: 1 << 20, Check: chk})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := client.New(dev)
		ctx, _ := c.CreateContext(explicit)
		flags := uint32(uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE)
		if explicit {
			flags |= uapi.AMDGPU_VM_EXPLICIT_SYNC
		}
		data, _ := c.CreateBO(512<<10, uapi.AMDGPU_GEM_DOMAIN_VRAM, 0)
		ib, _ := c.CreateBO(4096, gtt, 0)
		so, _ := c.CreateSyncobj(false)
		for _, m := range []struct {
			h  uint32
			va uint64
			sz uint64
		}{{data, dataVA, 512 << 10}, {ib, ibVA, 4096}} {
			if err := c.GemVA(client.VAOp{Op: uapi.AMDGPU_VA_OP_MAP, Handle: m.h, VA: m.va, Size: m.sz, Flags: flags, OutSync: so}); err != nil {
				t.Fatal(err)
			}
		}
		c.WaitSyncobjs(1<<63-1, so)
		submit := func(payload []byte) {
			var p pkt.PM4
			p.Gfx = pkt.GFX11
			p.WriteData(dataVA+8, payload)
			dw := p.Dwords()
			c.WriteIB(ib, 0, dw)
			seq, err := c.Submit(client.Submission{Ctx: ctx, BOs: []uint32{data, ib},
				IBs: []client.IBRef{{VA: ibVA, Dwords: uint32(len(dw)), IP: uapi.AMDGPU_HW_IP_GFX}}})
			if err != nil {
				t.Fatal(err)
			}
			c.WaitCS(ctx, uapi.AMDGPU_HW_IP_GFX, 0, seq, forever)
		}
		submit([]byte{1, 2, 3, 4})
		// Pressure: a second VRAM BO that does not fit beside the first.
		hog, err := c.CreateBO(768<<10, uapi.AMDGPU_GEM_DOMAIN_VRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		if dev.Stats().Evictions == 0 {
			t.Fatal("no eviction")
		}
		c.CloseBO(hog)
		submit([]byte{5, 6, 7, 8})
		dev.Clock().RunAll()
		got := make([]byte, 8)
		c.Read(data, 8, got[:4])
		if !bytes.Equal(got[:4], []byte{5, 6, 7, 8}) {
			t.Fatalf("explicit=%v: data %v after eviction and revalidation", explicit, got[:4])
		}
		if n := c.F.VM().Faults(); n != 0 {
			t.Fatalf("explicit=%v: %d faults: the CS did not wait for kernel-initiated PTE updates", explicit, n)
		}
		for _, r := range chk.Reports() {
			if r.Kind == check.KindUseAfterFree {
				t.Fatalf("explicit=%v: %s", explicit, r.Text())
			}
		}
		dev.Close()
	}
}
