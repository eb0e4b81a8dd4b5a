package usermem

import "unsafe"

// u32Bytes returns the memory of s as bytes, without copying.
//
// Precondition: len(s) > 0.
func u32Bytes(s []uint32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s))
}

// u64Bytes returns the memory of s as bytes, without copying.
//
// Precondition: len(s) > 0.
func u64Bytes(s []uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 8*len(s))
}
