package uapi

import "testing"

// TestPtrToAllocates checks that PtrTo and SliceP64 move their argument's
// memory to the heap, where an address kept as an integer stays valid.
func TestPtrToAllocates(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		var arg GemVA
		_ = PtrTo(&arg)
	}); n != 1 {
		t.Fatalf("PtrTo of a local: %v allocations per call, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		var handles [4]uint32
		_ = SliceP64(handles[:])
	}); n != 1 {
		t.Fatalf("SliceP64 of a local array: %v allocations per call, want 1", n)
	}
}
