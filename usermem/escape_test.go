package usermem

import (
	"testing"
	"unsafe"
)

// TestEscapeAllocates checks that Escape still moves its argument's object
// to the heap (one allocation), which Local addresses rely on: an object
// left on a goroutine stack may move under an integer address.
func TestEscapeAllocates(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		var arg [64]byte
		Escape(unsafe.Pointer(&arg))
	})
	if n != 1 {
		t.Fatalf("Escape of a local: %v allocations per call, want 1 (the object stayed on the stack)", n)
	}
}
