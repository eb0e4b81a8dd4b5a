package e2e

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

// TestCSLRUOrder checks what a CS does to the LRU lists eviction walks, as
// amdgpu does since the drm_exec rework: BOs of the BO list that are
// already in place keep their LRU positions (ttm_bo_validate() returns at
// once for a compatible resource, and drm_exec unlocks without
// ttm_eu_fence_buffer_objects()'s per-BO bump), while the VM's per-VM BOs
// move to the tail together, in the order they were opened
// (amdgpu_vm_move_to_lru_tail()).
func TestCSLRUOrder(t *testing.T) {
	dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	c, err := client.New(dev)
	if err != nil {
		t.Fatal(err)
	}
	names := map[*bo.BO]string{}
	create := func(name string, flags uint64) uint32 {
		t.Helper()
		h, err := c.CreateBO(4096, gtt, flags)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		b := c.F.LookupBO(h)
		names[b] = name
		b.Put()
		return h
	}
	a := create("a", 0)
	create("b", 0)
	cc := create("c", 0)
	create("p1", uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID)
	create("p2", uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID)
	ib := create("ib", 0)

	var p pkt.PM4
	p.Gfx = pkt.GFX11
	p.Nop(4)
	dw := p.Dwords()
	if err := c.WriteIB(ib, 0, dw); err != nil {
		t.Fatal(err)
	}
	if err := c.Map(ib, ibVA, 4096, 0); err != nil {
		t.Fatal(err)
	}
	ctx, err := c.CreateContext(false)
	if err != nil {
		t.Fatal(err)
	}

	order := func() []string {
		var out []string
		for _, b := range dev.Mem().LRU(bo.GTT) {
			if n, ok := names[b]; ok {
				out = append(out, n)
			}
		}
		return out
	}
	before := order()
	if want := []string{"a", "b", "c", "p1", "p2", "ib"}; !slices.Equal(before, want) {
		t.Fatalf("LRU before the CS = %v, want creation order %v", before, want)
	}
	if _, err := c.Submit(client.Submission{Ctx: ctx, BOs: []uint32{cc, a, ib},
		IBs: []client.IBRef{{VA: ibVA, Dwords: uint32(len(dw)), IP: uapi.AMDGPU_HW_IP_GFX}}}); err != nil {
		t.Fatal(err)
	}
	dev.Clock().RunAll()
	want := []string{"a", "b", "c", "ib", "p1", "p2"}
	if diff := cmp.Diff(want, order()); diff != "" {
		t.Errorf("LRU after a CS listing c, a, ib (-want +got):\n%s", diff)
	}
}
