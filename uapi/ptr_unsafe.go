package uapi

import "unsafe"

// escapeNever is never set and escapeSink never written; see escape.
var (
	escapeNever bool
	escapeSink  unsafe.Pointer
)

// escape makes the memory behind an address taken here escape to the heap.
// Go may move a goroutine stack, and an address kept as an integer is not
// updated when it does; heap memory never moves. A store of p that the
// compiler's (flow-insensitive) escape analysis sees is what makes it
// allocate the caller's object on the heap; the store never runs.
// usermem.Escape is the same for Local addresses (uapi imports nothing of
// vmemu's, so it keeps its own).
func escape(p unsafe.Pointer) {
	if escapeNever {
		escapeSink = p
	}
}

// PtrTo returns the address of *p as a P64, or 0 for a nil p. It is meant for
// tests and in-process clients that build ioctl arguments pointing into Go
// memory.
//
// The pointee is forced onto the heap (it never moves there). Preconditions:
// the caller keeps *p alive (for example with
// runtime.KeepAlive) for as long as the address is used; the garbage collector
// does not trace a P64.
func PtrTo[T any](p *T) P64 {
	escape(unsafe.Pointer(p))
	return P64(uintptr(unsafe.Pointer(p)))
}

// SliceP64 returns the address of the first element of s as a P64, or 0 when
// s has no elements. The preconditions of PtrTo apply to s's backing array.
func SliceP64[T any](s []T) P64 {
	if len(s) == 0 {
		return 0
	}
	escape(unsafe.Pointer(unsafe.SliceData(s)))
	return P64(uintptr(unsafe.Pointer(unsafe.SliceData(s))))
}
