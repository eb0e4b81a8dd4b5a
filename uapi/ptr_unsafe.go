package uapi

import (
	"sync/atomic"
	"unsafe"
)

// escapeSink makes the memory behind an address taken here escape to the
// heap. Go may move a goroutine stack, and an address kept as an integer is
// not updated when it does; heap memory never moves. Storing the pointer
// once is what tells the compiler's escape analysis to allocate the
// caller's object on the heap.
var escapeSink atomic.Pointer[byte]

// PtrTo returns the address of *p as a P64, or 0 for a nil p. It is meant for
// tests and in-process clients that build ioctl arguments pointing into Go
// memory.
//
// The pointee is forced onto the heap (it never moves there). Preconditions:
// the caller keeps *p alive (for example with
// runtime.KeepAlive) for as long as the address is used; the garbage collector
// does not trace a P64.
func PtrTo[T any](p *T) P64 {
	escapeSink.Store((*byte)(unsafe.Pointer(p)))
	return P64(uintptr(unsafe.Pointer(p)))
}

// SliceP64 returns the address of the first element of s as a P64, or 0 when
// s has no elements. The preconditions of PtrTo apply to s's backing array.
func SliceP64[T any](s []T) P64 {
	if len(s) == 0 {
		return 0
	}
	escapeSink.Store((*byte)(unsafe.Pointer(unsafe.SliceData(s))))
	return P64(uintptr(unsafe.Pointer(unsafe.SliceData(s))))
}
