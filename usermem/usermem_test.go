package usermem

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmemu/vmemu/errno"
)

// The top of the address space, for wrap-around cases.
const maxAddr = math.MaxUint64

// testSandbox maps, at fixed addresses:
//
//	A [0x1000, 0x1010)  bytes 0x00..0x0f
//	B [0x1010, 0x1020)  bytes 0x10..0x1f (adjacent to A)
//	C [0x2000, 0x2008)  bytes 0x20..0x27
//	D [2^64-8, 2^64)    bytes 0x30..0x37 (ends at the top of the space)
func testSandbox(t testing.TB) *Sandbox {
	t.Helper()
	var s Sandbox
	for _, m := range []struct {
		addr  uint64
		n     int
		first byte
	}{
		{0x1000, 16, 0x00},
		{0x1010, 16, 0x10},
		{0x2000, 8, 0x20},
		{maxAddr - 7, 8, 0x30},
	} {
		b := make([]byte, m.n)
		for i := range b {
			b[i] = m.first + byte(i)
		}
		if err := s.Map(m.addr, b); err != nil {
			t.Fatalf("Map(%#x): %v", m.addr, err)
		}
	}
	return &s
}

// seq returns n bytes counting up from first.
func seq(first byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

// Reference: copy_from_user() / copy_to_user() fail with -EFAULT when any
// byte of the range is not accessible (arch/x86/include/asm/uaccess.h
// access_ok() rejects wrapping ranges).
func TestSandboxCopy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		addr    uint64
		n       int
		want    []byte // CopyIn result; nil when wantErr
		wantErr error
	}{
		{name: "whole region", addr: 0x2000, n: 8, want: seq(0x20, 8)},
		{name: "inside region", addr: 0x1003, n: 4, want: seq(0x03, 4)},
		{name: "last byte", addr: 0x2007, n: 1, want: seq(0x27, 1)},
		{name: "adjacent regions", addr: 0x100e, n: 4, want: seq(0x0e, 4)},
		{name: "two adjacent regions whole", addr: 0x1000, n: 32, want: seq(0x00, 32)},
		{name: "top of address space", addr: maxAddr - 7, n: 8, want: seq(0x30, 8)},
		{name: "very last byte", addr: maxAddr, n: 1, want: seq(0x37, 1)},
		{name: "straddles region end", addr: 0x2004, n: 8, wantErr: errno.EFAULT},
		{name: "straddles end of adjacent pair", addr: 0x101f, n: 2, wantErr: errno.EFAULT},
		{name: "straddles region start", addr: 0x1fff, n: 2, wantErr: errno.EFAULT},
		{name: "covers region and more", addr: 0x1fff, n: 10, wantErr: errno.EFAULT},
		{name: "unmapped", addr: 0x3000, n: 1, wantErr: errno.EFAULT},
		{name: "below every region", addr: 0x10, n: 1, wantErr: errno.EFAULT},
		{name: "wraps around 2^64", addr: maxAddr - 3, n: 8, wantErr: errno.EFAULT},
		{name: "wraps from max", addr: maxAddr, n: 2, wantErr: errno.EFAULT},
		{name: "addr 0", addr: 0, n: 1, wantErr: errno.EFAULT},
		{name: "zero length at 0", addr: 0, n: 0, want: []byte{}},
		{name: "zero length unmapped", addr: 0xdead0000, n: 0, want: []byte{}},
		{name: "zero length at max", addr: maxAddr, n: 0, want: []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSandbox(t)
			got := make([]byte, tc.n)
			err := s.CopyIn(tc.addr, got)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("CopyIn(%#x, %d) = %v, want %v", tc.addr, tc.n, err, tc.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("CopyIn(%#x, %d) (-want +got):\n%s", tc.addr, tc.n, diff)
				}
			}

			// CopyOut of the same range fails alike, moves nothing on
			// failure, and is read back by CopyIn on success.
			before := snapshot(t, s)
			out := seq(0xa0, tc.n)
			err = s.CopyOut(tc.addr, out)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("CopyOut(%#x, %d) = %v, want %v", tc.addr, tc.n, err, tc.wantErr)
			}
			if err != nil {
				if diff := cmp.Diff(before, snapshot(t, s)); diff != "" {
					t.Errorf("failed CopyOut changed memory (-before +after):\n%s", diff)
				}
				return
			}
			back := make([]byte, tc.n)
			if err := s.CopyIn(tc.addr, back); err != nil {
				t.Fatalf("CopyIn after CopyOut: %v", err)
			}
			if diff := cmp.Diff(out, back); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}

// snapshot copies every mapped byte of s.
func snapshot(t *testing.T, s *Sandbox) map[uint64][]byte {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := make(map[uint64][]byte)
	for _, r := range s.regions {
		m[r.start] = append([]byte(nil), r.b...)
	}
	return m
}

func TestSandboxMap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		addr    uint64
		n       int
		wantErr error
	}{
		{name: "free gap", addr: 0x1800, n: 0x10},
		{name: "fills gap exactly", addr: 0x1020, n: 0x2000 - 0x1020},
		{name: "below all", addr: 1, n: 0xfff},
		{name: "empty", addr: 0x5000, n: 0, wantErr: ErrBadRegion},
		{name: "addr 0", addr: 0, n: 1, wantErr: ErrBadRegion},
		{name: "wraps", addr: maxAddr - 0x100, n: 0x200, wantErr: ErrBadRegion},
		{name: "same start", addr: 0x2000, n: 1, wantErr: ErrOverlap},
		{name: "overlaps end", addr: 0x2007, n: 4, wantErr: ErrOverlap},
		{name: "overlaps start", addr: 0x1ffc, n: 5, wantErr: ErrOverlap},
		{name: "covers", addr: 0x1f00, n: 0x200, wantErr: ErrOverlap},
		{name: "inside", addr: 0x1004, n: 2, wantErr: ErrOverlap},
		{name: "below top region", addr: maxAddr - 8, n: 2, wantErr: ErrOverlap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSandbox(t)
			err := s.Map(tc.addr, make([]byte, tc.n))
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Map(%#x, %d) = %v, want %v", tc.addr, tc.n, err, tc.wantErr)
			}
			if err == nil && tc.n > 0 {
				if err := s.CopyIn(tc.addr, make([]byte, tc.n)); err != nil {
					t.Errorf("CopyIn of new region: %v", err)
				}
			}
		})
	}
}

func TestSandboxUnmap(t *testing.T) {
	s := testSandbox(t)
	if err := s.Unmap(0x1004); !errors.Is(err, ErrNotMapped) {
		t.Errorf("Unmap(inside a region) = %v, want ErrNotMapped", err)
	}
	if err := s.Unmap(0x9000); !errors.Is(err, ErrNotMapped) {
		t.Errorf("Unmap(unmapped) = %v, want ErrNotMapped", err)
	}
	if err := s.Unmap(0x1010); err != nil {
		t.Fatalf("Unmap(B): %v", err)
	}
	if err := s.CopyIn(0x1010, make([]byte, 1)); !errors.Is(err, errno.EFAULT) {
		t.Errorf("CopyIn(unmapped B) = %v, want EFAULT", err)
	}
	if err := s.CopyIn(0x100f, make([]byte, 2)); !errors.Is(err, errno.EFAULT) {
		t.Errorf("CopyIn(A into unmapped B) = %v, want EFAULT", err)
	}
	if err := s.CopyIn(0x1000, make([]byte, 16)); err != nil {
		t.Errorf("CopyIn(A) = %v", err)
	}
	if err := s.Map(0x1010, make([]byte, 16)); err != nil {
		t.Errorf("Map(B again) = %v", err)
	}
}

func TestCheckArray(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		count, elemSize, max uint64
		wantErr              error
	}{
		{name: "zero count", count: 0, elemSize: 4},
		{name: "small", count: 16, elemSize: 4, max: 64},
		{name: "at max", count: 64, elemSize: 4, max: 64},
		{name: "over max", count: 65, elemSize: 4, max: 64, wantErr: errno.EINVAL},
		{name: "no max", count: 1 << 20, elemSize: 8},
		{name: "exactly INT_MAX bytes", count: math.MaxInt32, elemSize: 1},
		{name: "over INT_MAX bytes", count: 1 << 29, elemSize: 8, wantErr: errno.ENOMEM},
		{name: "u32 count of u64", count: math.MaxUint32, elemSize: 8, wantErr: errno.ENOMEM},
		{name: "multiplication overflows", count: 1 << 62, elemSize: 16, wantErr: errno.ENOMEM},
		{name: "max checked first", count: math.MaxUint64, elemSize: 8, max: 10, wantErr: errno.EINVAL},
		{name: "zero size", count: math.MaxUint64, elemSize: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckArray(tc.count, tc.elemSize, tc.max)
			if err != tc.wantErr {
				t.Errorf("CheckArray(%d, %d, %d) = %v, want %v", tc.count, tc.elemSize, tc.max, err, tc.wantErr)
			}
		})
	}
}

func TestTypedHelpers(t *testing.T) {
	var s Sandbox
	mem := make([]byte, 32)
	const base = 0x4000
	if err := s.Map(base, mem); err != nil {
		t.Fatal(err)
	}

	u32 := []uint32{0x04030201, 0x08070605}
	if err := CopyOutU32s(&s, base, u32); err != nil {
		t.Fatalf("CopyOutU32s: %v", err)
	}
	if diff := cmp.Diff(seq(1, 8), mem[:8]); diff != "" {
		t.Errorf("CopyOutU32s bytes not little-endian (-want +got):\n%s", diff)
	}
	got32 := make([]uint32, 2)
	if err := CopyInU32s(&s, base, got32); err != nil {
		t.Fatalf("CopyInU32s: %v", err)
	}
	if diff := cmp.Diff(u32, got32); diff != "" {
		t.Errorf("CopyInU32s (-want +got):\n%s", diff)
	}

	u64 := []uint64{0x0807060504030201, 0x100f0e0d0c0b0a09}
	if err := CopyOutU64s(&s, base+8, u64); err != nil {
		t.Fatalf("CopyOutU64s: %v", err)
	}
	if diff := cmp.Diff(seq(1, 16), mem[8:24]); diff != "" {
		t.Errorf("CopyOutU64s bytes not little-endian (-want +got):\n%s", diff)
	}
	got64 := make([]uint64, 2)
	if err := CopyInU64s(&s, base+8, got64); err != nil {
		t.Fatalf("CopyInU64s: %v", err)
	}
	if diff := cmp.Diff(u64, got64); diff != "" {
		t.Errorf("CopyInU64s (-want +got):\n%s", diff)
	}

	for name, err := range map[string]error{
		"CopyInU32s past end":  CopyInU32s(&s, base+28, make([]uint32, 2)),
		"CopyOutU32s addr 0":   CopyOutU32s(&s, 0, make([]uint32, 1)),
		"CopyInU64s past end":  CopyInU64s(&s, base+32, make([]uint64, 1)),
		"CopyOutU64s past end": CopyOutU64s(&s, base+25, make([]uint64, 1)),
	} {
		if !errors.Is(err, errno.EFAULT) {
			t.Errorf("%s = %v, want EFAULT", name, err)
		}
	}
	for name, err := range map[string]error{
		"CopyInU32s empty at 0":  CopyInU32s(&s, 0, nil),
		"CopyOutU32s empty at 0": CopyOutU32s(&s, 0, nil),
		"CopyInU64s empty at 0":  CopyInU64s(&s, 0, []uint64{}),
		"CopyOutU64s empty at 0": CopyOutU64s(&s, 0, nil),
	} {
		if err != nil {
			t.Errorf("%s = %v, want nil", name, err)
		}
	}
}

func TestTypedHelpersNoAlloc(t *testing.T) {
	if !hostLittleEndian {
		t.Skip("big-endian host: the typed helpers allocate a byte image")
	}
	var s Sandbox
	if err := s.Map(0x4000, make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	u32 := make([]uint32, 8)
	u64 := make([]uint64, 4)
	var io IO = &s
	allocs := testing.AllocsPerRun(100, func() {
		_ = CopyOutU32s(io, 0x4000, u32)
		_ = CopyInU32s(io, 0x4000, u32)
		_ = CopyOutU64s(io, 0x4020, u64)
		_ = CopyInU64s(io, 0x4020, u64)
	})
	if allocs != 0 {
		t.Errorf("typed helpers allocate %v times per run, want 0", allocs)
	}
}
