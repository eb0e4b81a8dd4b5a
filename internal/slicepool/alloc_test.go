//go:build !race

package slicepool

import "testing"

// TestSteadyStateAllocs checks that a Get/Put cycle of a pooled size
// allocates nothing once warm: neither the slice nor the box carrying it
// through sync.Pool. (Not under -race, where sync.Pool drops items on
// purpose.)
func TestSteadyStateAllocs(t *testing.T) {
	p := Pool[*int]{Min: 4}
	p.Put(p.Get(64))
	if n := testing.AllocsPerRun(1000, func() { p.Put(p.Get(64)) }); n > 0.01 {
		t.Fatalf("%v allocations per Get/Put cycle, want 0", n)
	}
}
