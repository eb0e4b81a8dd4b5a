package uapi

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
	"unsafe"
)

// TestMarshalMatchesMemory checks that the byte form produced by MarshalBytes
// is exactly the Go memory image of the struct, which (with structs.HostLayout
// and the size and offset tests) is the C layout. This is what makes every
// type Packed, and what a future unsafe fast path would rely on.
func TestMarshalMatchesMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tt := range allTypes {
		t.Run(typeName(tt.v), func(t *testing.T) {
			src := make([]byte, tt.size)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			x := newLike(tt.v)
			x.UnmarshalBytes(src)
			p := reflect.ValueOf(x).UnsafePointer()
			mem := bytes.Clone(unsafe.Slice((*byte)(p), tt.size))
			runtime.KeepAlive(x)
			dst := make([]byte, tt.size)
			x.MarshalBytes(dst)
			if !bytes.Equal(mem, dst) {
				t.Errorf("memory image differs from MarshalBytes:\nmem % x\nout % x", mem, dst)
			}
		})
	}
}

func TestPtrTo(t *testing.T) {
	var v GemVA
	if got, want := PtrTo(&v).Addr(), uint64(uintptr(unsafe.Pointer(&v))); got != want {
		t.Errorf("PtrTo = %#x, want %#x", got, want)
	}
	if got := PtrTo[GemVA](nil); !got.IsNull() {
		t.Errorf("PtrTo(nil) = %#x", got)
	}
	handles := []uint32{1, 2, 3}
	if got, want := SliceP64(handles).Addr(), uint64(uintptr(unsafe.Pointer(&handles[0]))); got != want {
		t.Errorf("SliceP64 = %#x, want %#x", got, want)
	}
	if got := SliceP64([]uint32{}); got != 0 {
		t.Errorf("SliceP64(empty) = %#x", got)
	}
	runtime.KeepAlive(handles)
}
