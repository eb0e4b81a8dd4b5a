package usermem

import "unsafe"

// CopyIn implements IO.CopyIn.
//
// Preconditions: see Local's caller's obligations.
func (Local) CopyIn(addr uint64, dst []byte) error {
	n := uint64(len(dst))
	if n == 0 {
		return nil
	}
	if !localRangeOK(addr, n) {
		return errFault
	}
	copy(dst, unsafe.Slice(addrPtr(uintptr(addr)), n))
	return nil
}

// CopyOut implements IO.CopyOut.
//
// Preconditions: see Local's caller's obligations.
func (Local) CopyOut(addr uint64, src []byte) error {
	n := uint64(len(src))
	if n == 0 {
		return nil
	}
	if !localRangeOK(addr, n) {
		return errFault
	}
	copy(unsafe.Slice(addrPtr(uintptr(addr)), n), src)
	return nil
}

// localRangeOK reports whether the n > 0 bytes at addr are a range of this
// process's address space that Local may dereference: not starting at 0, not
// wrapping, and (on 32-bit hosts) below 2^32.
func localRangeOK(addr, n uint64) bool {
	end := addr + n - 1
	return addr != 0 && end >= addr && uint64(uintptr(end)) == end
}

// addrPtr turns a user address of the calling process into a pointer.
//
// It reinterprets the integer's bits rather than converting uintptr to
// unsafe.Pointer: the address was made by the caller from its own pointer,
// outside the pointer rules the conversion is checked against, and Local's
// doc makes keeping that memory alive and unmoved the caller's obligation.
func addrPtr(addr uintptr) *byte {
	return *(**byte)(unsafe.Pointer(&addr))
}

// SliceAddr returns the address of s's first element as a Local user
// address, for a struct field that points at an array (0 for a nil or empty
// slice). The obligations documented on Local apply: pin s or make sure it
// is heap memory, and keep it alive until the ioctl returns.
func SliceAddr[E any](s []E) uint64 {
	if len(s) == 0 {
		return 0
	}
	Escape(unsafe.Pointer(unsafe.SliceData(s)))
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(s))))
}

// PtrAddr returns the address of *p as a Local user address, for a struct
// field that points at one struct (0 for nil). The obligations documented
// on Local apply.
func PtrAddr[T any](p *T) uint64 {
	Escape(unsafe.Pointer(p))
	return uint64(uintptr(unsafe.Pointer(p)))
}

// escapeSink and escapeNever: see Escape. escapeNever is never set, but
// the compiler cannot know it.
var (
	escapeNever bool
	escapeSink  unsafe.Pointer
)

// Escape forces the object p points to onto the heap, where it never moves.
// Go may move a goroutine's stack, and an address held as an integer (a
// Local user address) is not updated when it does. A store of p that the
// compiler's escape analysis sees (it is flow-insensitive) is what makes it
// allocate the caller's object on the heap; the store never runs, so Escape
// costs one load at run time and writes nothing shared (the runtime's own
// escapes() helper has the same shape). Every function that turns a Go
// pointer into a Local address calls it.
func Escape(p unsafe.Pointer) {
	if escapeNever {
		escapeSink = p
	}
}
