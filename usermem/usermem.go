package usermem

import (
	"encoding/binary"
	"math"

	"github.com/vmemu/vmemu/errno"
)

// IO is the user-memory interface of one ioctl caller: copy_from_user() and
// copy_to_user() for the address space the ioctl came from.
//
// A copy either succeeds or returns errno.EFAULT. Address 0 with a non-empty
// length is always EFAULT. A zero-length copy succeeds at any address, as
// copy_from_user() of 0 bytes does. Whether a failing copy has transferred
// part of the range is up to the implementation (the kernel's copies may be
// partial); handlers must treat the destination as undefined after an error.
//
// Implementations must not retain dst or src after the call returns.
type IO interface {
	// CopyIn copies len(dst) bytes at user address addr into dst.
	CopyIn(addr uint64, dst []byte) error

	// CopyOut copies src to user address addr.
	CopyOut(addr uint64, src []byte) error
}

// errFault is errno.EFAULT as an error, converted once so the fast paths do
// not convert on every failure.
var errFault error = errno.EFAULT

// rangeOK reports whether the n bytes at addr form a range that no IO can
// refuse outright: n == 0, or addr != 0 and addr+n does not wrap past 2^64.
func rangeOK(addr, n uint64) bool {
	if n == 0 {
		return true
	}
	return addr != 0 && addr+n-1 >= addr
}

// hostLittleEndian reports whether the host stores integers little-endian,
// so that a []uint32 or []uint64 already is its user-space byte image.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// CopyInU32s copies len(dst) little-endian u32s (a handle array) from user
// address addr into dst.
//
// On a little-endian host it does not allocate. It returns errno.EFAULT when
// the range is not readable; dst is then undefined.
func CopyInU32s(io IO, addr uint64, dst []uint32) error {
	if len(dst) == 0 {
		return nil
	}
	if hostLittleEndian {
		return io.CopyIn(addr, u32Bytes(dst))
	}
	b := make([]byte, 4*len(dst))
	if err := io.CopyIn(addr, b); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return nil
}

// CopyOutU32s copies src to user address addr as little-endian u32s.
//
// On a little-endian host it does not allocate. It returns errno.EFAULT when
// the range is not writable.
func CopyOutU32s(io IO, addr uint64, src []uint32) error {
	if len(src) == 0 {
		return nil
	}
	if hostLittleEndian {
		return io.CopyOut(addr, u32Bytes(src))
	}
	b := make([]byte, 4*len(src))
	for i, v := range src {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return io.CopyOut(addr, b)
}

// CopyInU64s copies len(dst) little-endian u64s (a point or pointer array)
// from user address addr into dst.
//
// On a little-endian host it does not allocate. It returns errno.EFAULT when
// the range is not readable; dst is then undefined.
func CopyInU64s(io IO, addr uint64, dst []uint64) error {
	if len(dst) == 0 {
		return nil
	}
	if hostLittleEndian {
		return io.CopyIn(addr, u64Bytes(dst))
	}
	b := make([]byte, 8*len(dst))
	if err := io.CopyIn(addr, b); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return nil
}

// CopyOutU64s copies src to user address addr as little-endian u64s.
//
// On a little-endian host it does not allocate. It returns errno.EFAULT when
// the range is not writable.
func CopyOutU64s(io IO, addr uint64, src []uint64) error {
	if len(src) == 0 {
		return nil
	}
	if hostLittleEndian {
		return io.CopyOut(addr, u64Bytes(src))
	}
	b := make([]byte, 8*len(src))
	for i, v := range src {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return io.CopyOut(addr, b)
}

// MaxAlloc is the largest buffer CheckArray admits: INT_MAX bytes, the cap
// kvmalloc_node() puts on any request (mm/util.c: "if (unlikely(size >
// INT_MAX)) return NULL").
const MaxAlloc = math.MaxInt32

// CheckArray bounds an element count that comes from user space before a
// handler allocates count*elemSize bytes for it. It mirrors how handlers
// around kvmalloc_array() / kmalloc_array() fail:
//
//   - count > max, when max != 0: errno.EINVAL. max is the handler's own
//     limit (for example a per-ioctl maximum the kernel checks explicitly
//     before allocating); 0 means the handler has none.
//   - count*elemSize overflows uint64, or exceeds MaxAlloc: errno.ENOMEM,
//     as kvmalloc_array() returns NULL (check_mul_overflow() or the INT_MAX
//     cap) and the handler turns NULL into -ENOMEM.
//
// A count of 0 passes: whether an empty array is an error differs per ioctl
// (SYNCOBJ_WAIT returns 0, SYNCOBJ_RESET returns -EINVAL), so handlers check
// it themselves.
func CheckArray(count, elemSize, max uint64) error {
	if max != 0 && count > max {
		return errno.EINVAL
	}
	if elemSize != 0 && count > MaxAlloc/elemSize {
		return errno.ENOMEM
	}
	return nil
}
