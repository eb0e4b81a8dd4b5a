package cs

import (
	"slices"
	"testing"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
)

// Reference: amdgpu_sync_fence() and amdgpu_sync_add_later() in
// drivers/gpu/drm/amd/amdgpu/amdgpu_sync.c: one entry per fence context,
// replaced only by a later fence of that context; NULL is ignored.
func TestSyncSet(t *testing.T) {
	for _, n := range []int{3, 50} { // linear search, then the index
		d := fence.NewDomain(sim.NewVirtual(0))
		ctxs := make([]uint64, n)
		for i := range ctxs {
			ctxs[i] = d.ContextAlloc(1)
		}
		var s syncSet
		want := make([]*fence.Fence, n)
		for round := uint64(1); round <= 3; round++ {
			for i, c := range ctxs {
				seq := round
				if i%2 == 1 {
					seq = 4 - round // odd contexts arrive latest first
				}
				f := d.New(c, seq)
				if seq == 3 {
					want[i] = f
				}
				s.add(f)
				s.add(nil)
			}
		}
		if !slices.Equal(want, s.fs) {
			t.Errorf("n=%d: set = %v, want %v", n, s.fs, want)
		}
		if got := len(s.idx) > 0; got != (n > syncSetLinear) {
			t.Errorf("n=%d: index built = %v", n, got)
		}
	}
}
