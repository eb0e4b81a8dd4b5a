package usermem

import (
	"errors"
	"runtime"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmemu/vmemu/errno"
)

// pinnedAddr pins b's memory for the rest of the test and returns its
// address, as an in-process client does before an ioctl.
func pinnedAddr(t testing.TB, b []byte) uint64 {
	t.Helper()
	var p runtime.Pinner
	p.Pin(&b[0])
	t.Cleanup(p.Unpin)
	return SliceAddr(b)
}

func TestLocal(t *testing.T) {
	buf := seq(0x40, 16)
	base := pinnedAddr(t, buf)

	for _, tc := range []struct {
		name    string
		addr    uint64
		n       int
		want    []byte
		wantErr error
	}{
		{name: "whole buffer", addr: base, n: 16, want: seq(0x40, 16)},
		{name: "inside", addr: base + 5, n: 3, want: seq(0x45, 3)},
		{name: "last byte", addr: base + 15, n: 1, want: seq(0x4f, 1)},
		{name: "addr 0", addr: 0, n: 1, wantErr: errno.EFAULT},
		{name: "addr 0 large", addr: 0, n: 4096, wantErr: errno.EFAULT},
		{name: "wraps around 2^64", addr: maxAddr - 1, n: 4, wantErr: errno.EFAULT},
		{name: "zero length at 0", addr: 0, n: 0, want: []byte{}},
		{name: "zero length at wild address", addr: 0xdead0000, n: 0, want: []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l Local
			got := make([]byte, tc.n)
			err := l.CopyIn(tc.addr, got)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("CopyIn(%#x, %d) = %v, want %v", tc.addr, tc.n, err, tc.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("CopyIn (-want +got):\n%s", diff)
				}
			}
			err = l.CopyOut(tc.addr, seq(0x90, tc.n))
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("CopyOut(%#x, %d) = %v, want %v", tc.addr, tc.n, err, tc.wantErr)
			}
			if err == nil && tc.n > 0 {
				off := tc.addr - base
				if diff := cmp.Diff(seq(0x90, tc.n), buf[off:off+uint64(tc.n)]); diff != "" {
					t.Errorf("CopyOut wrote (-want +got):\n%s", diff)
				}
				copy(buf, seq(0x40, 16)) // restore for the next case
			}
		})
	}
	runtime.KeepAlive(buf)
}

// TestLocalTyped reads and writes a Go []uint32 and []uint64 through their
// real addresses, as the in-process API passes handle and point arrays.
func TestLocalTyped(t *testing.T) {
	handles := []uint32{1, 2, 0xfffffffe}
	var p runtime.Pinner
	defer p.Unpin()
	p.Pin(&handles[0])
	addr := SliceAddr(handles)

	got := make([]uint32, 3)
	if err := CopyInU32s(Local{}, addr, got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(handles, got); diff != "" {
		t.Errorf("CopyInU32s (-want +got):\n%s", diff)
	}
	if err := CopyOutU32s(Local{}, addr+4, []uint32{7, 8}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{1, 7, 8}, handles); diff != "" {
		t.Errorf("after CopyOutU32s (-want +got):\n%s", diff)
	}

	points := make([]uint64, 2)
	p.Pin(&points[0])
	paddr := SliceAddr(points)
	if err := CopyOutU64s(Local{}, paddr, []uint64{1 << 40, 3}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{1 << 40, 3}, points); diff != "" {
		t.Errorf("after CopyOutU64s (-want +got):\n%s", diff)
	}
}

func TestAddrHelpers(t *testing.T) {
	if got := SliceAddr([]byte(nil)); got != 0 {
		t.Errorf("SliceAddr(nil) = %#x, want 0", got)
	}
	if got := PtrAddr[uint64](nil); got != 0 {
		t.Errorf("PtrAddr(nil) = %#x, want 0", got)
	}
	type pair struct{ A, B uint32 }
	var pin runtime.Pinner
	defer pin.Unpin()
	v := &pair{A: 1, B: 2}
	pin.Pin(v)
	got := make([]uint32, 2)
	if err := CopyInU32s(Local{}, PtrAddr(v), got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint32{1, 2}, got); diff != "" {
		t.Errorf("CopyInU32s(PtrAddr) (-want +got):\n%s", diff)
	}
	s := []uint64{5, 6, 7}
	pin.Pin(&s[0])
	if got, want := SliceAddr(s[1:]), SliceAddr(s)+8; got != want {
		t.Errorf("SliceAddr(s[1:]) = %#x, want %#x", got, want)
	}
}

func TestLocalNoAlloc(t *testing.T) {
	src := seq(0, 64)
	addr := pinnedAddr(t, src)
	dst := make([]byte, 64)
	var io IO = Local{}
	allocs := testing.AllocsPerRun(100, func() {
		_ = io.CopyIn(addr, dst)
		_ = io.CopyOut(addr, dst)
		_ = io.CopyIn(0, dst) // the EFAULT path too
	})
	if allocs != 0 {
		t.Errorf("Local copies allocate %v times per run, want 0", allocs)
	}
}

func BenchmarkLocalCopyIn(b *testing.B) {
	for _, n := range []int{8, 64, 4096} {
		b.Run(sizeName(n), func(b *testing.B) {
			src := make([]byte, n)
			addr := pinnedAddr(b, src)
			dst := make([]byte, n)
			var io IO = Local{}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := io.CopyIn(addr, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
