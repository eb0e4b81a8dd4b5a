package vm

import (
	"testing"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

// gemVA runs one GEM_VA on the rig's VM with DELAY_UPDATE and fails the
// test on an unexpected error.
func (r *oracleRig) gemVA(t *testing.T, op, handle uint32, page, pages uint64, flags uint32, want error) {
	t.Helper()
	a := uapi.GemVA{Operation: op, Handle: handle, VAAddress: page * GPUPageSize,
		MapSize: pages * GPUPageSize, Flags: flags | uapi.AMDGPU_VM_DELAY_UPDATE}
	if err := r.vm.GemVA(&a, &GemVAEnv{Objects: r.objs}); err != want {
		t.Fatalf("GEM_VA op %d at page %#x: %v, want %v", op, page, err, want)
	}
	if err := r.vm.Check(); err != nil {
		t.Fatal(err)
	}
}

func (r *oracleRig) mappingAt(page uint64) *bova.Mapping {
	r.vm.mu.Lock()
	defer r.vm.mu.Unlock()
	return r.vm.va.lookup(page)
}

func (r *oracleRig) spares() []*bova.Mapping {
	r.vm.mu.Lock()
	defer r.vm.mu.Unlock()
	return append([]*bova.Mapping(nil), r.vm.spare...)
}

// TestMappingReuse: a mapping UNMAP destroys at once (never written) is
// cleared and handed to the next MAP, as kfree() then kmalloc() of the
// same slab object; the cache is bounded; a refused MAP returns its
// mapping without touching the PRT count.
func TestMappingReuse(t *testing.T) {
	const rw = uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE
	r := newOracleRig(t)
	a, b := r.hs["A"], r.hs["B"]
	base := uint64(benchBase)

	r.gemVA(t, uapi.AMDGPU_VA_OP_MAP, a, base, 1, rw, nil)
	m := r.mappingAt(base)
	if m == nil {
		t.Fatal("no mapping after MAP")
	}
	r.gemVA(t, uapi.AMDGPU_VA_OP_UNMAP, a, base, 1, 0, nil)
	if s := r.spares(); len(s) != 1 || s[0] != m {
		t.Fatalf("spares after UNMAP = %v, want the unmapped mapping", s)
	}
	if *m != (bova.Mapping{}) {
		t.Fatalf("destroyed mapping keeps state: %v (bo_va %p)", m, m.Origin())
	}

	// The next MAP, of another BO elsewhere, gets the same object, fully
	// re-initialised.
	r.gemVA(t, uapi.AMDGPU_VA_OP_MAP, b, base+16, 2, uapi.AMDGPU_VM_PAGE_READABLE, nil)
	got := r.mappingAt(base + 16)
	if got != m {
		t.Fatalf("MAP allocated %p, want the spare %p", got, m)
	}
	if got.Start != base+16 || got.Last != base+17 || got.Offset != 0 ||
		got.Flags != uapi.AMDGPU_VM_PAGE_READABLE || got.Where() != bova.WhereInvalid ||
		got.BoVA() != r.vm.Find(r.bos["B"]) {
		t.Fatalf("reused mapping = %v of %p", got, got.BoVA())
	}
	if len(r.spares()) != 0 {
		t.Fatal("spare not taken")
	}

	// A MAP refused for overlap hands its mapping back and takes no PRT
	// reference.
	prt := r.vm.m.PRTUsers()
	r.gemVA(t, uapi.AMDGPU_VA_OP_MAP, a, base+17, 1, rw, errno.EINVAL)
	if len(r.spares()) != 1 || r.vm.m.PRTUsers() != prt {
		t.Fatalf("after a refused MAP: %d spares, %d PRT users (want 1, %d)",
			len(r.spares()), r.vm.m.PRTUsers(), prt)
	}

	// The cache holds at most spareMappings.
	const n = spareMappings + 10
	for i := range uint64(n) {
		r.gemVA(t, uapi.AMDGPU_VA_OP_MAP, a, base+100+2*i, 1, rw, nil)
	}
	for i := range uint64(n) {
		r.gemVA(t, uapi.AMDGPU_VA_OP_UNMAP, a, base+100+2*i, 1, 0, nil)
	}
	if got := len(r.spares()); got != spareMappings {
		t.Fatalf("%d spares after %d UNMAPs, want the bound %d", got, n, spareMappings)
	}

	// Steady state: the back ends of a MAP+UNMAP pair allocate nothing.
	// (Through GemVA, sync.Pool drops objects at random under -race.)
	bv := r.vm.Find(r.bos["A"])
	allocs := testing.AllocsPerRun(100, func() {
		r.vm.mu.Lock()
		defer r.vm.mu.Unlock()
		if r.vm.boMap(bv, base*GPUPageSize, 0, GPUPageSize, rw) != nil ||
			r.vm.boUnmap(bv, base*GPUPageSize, false) != nil {
			t.Fatal("MAP+UNMAP failed")
		}
	})
	if allocs != 0 {
		t.Errorf("MAP+UNMAP pair allocates %.1f objects, want 0", allocs)
	}
}
