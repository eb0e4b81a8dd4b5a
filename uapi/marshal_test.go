package uapi

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newLike returns a new zero value of the same type as v.
func newLike(v Marshallable) Marshallable {
	return reflect.New(reflect.TypeOf(v).Elem()).Interface().(Marshallable)
}

// paddingMask marks the bytes of t's byte form that belong to blank
// (padding) fields, recursively.
func paddingMask(t reflect.Type) []bool {
	m := make([]bool, t.Size())
	var walk func(t reflect.Type, base uintptr)
	walk = func(t reflect.Type, base uintptr) {
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				if f.Name == "_" {
					for b := range f.Type.Size() {
						m[base+f.Offset+b] = true
					}
					continue
				}
				walk(f.Type, base+f.Offset)
			}
		case reflect.Array:
			for i := range t.Len() {
				walk(t.Elem(), base+uintptr(i)*t.Elem().Size())
			}
		}
	}
	walk(t, 0)
	return m
}

// TestRoundTrip unmarshals random bytes into every type, marshals the value
// back and expects the same bytes, except that padding comes back as zero.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range allTypes {
		t.Run(typeName(tt.v), func(t *testing.T) {
			mask := paddingMask(reflect.TypeOf(tt.v).Elem())
			for range 20 {
				src := make([]byte, tt.size+3) // extra bytes must be left alone
				for i := range src {
					src[i] = byte(rng.Uint32())
				}
				x := newLike(tt.v)
				if rest := x.UnmarshalBytes(src); len(rest) != 3 || &rest[0] != &src[tt.size] {
					t.Fatalf("UnmarshalBytes returned %d bytes, want the last 3", len(rest))
				}
				dst := bytes.Repeat([]byte{0xAA}, tt.size+3)
				if rest := x.MarshalBytes(dst); len(rest) != 3 || &rest[0] != &dst[tt.size] {
					t.Fatalf("MarshalBytes returned %d bytes, want the last 3", len(rest))
				}
				want := bytes.Clone(src[:tt.size])
				for i, pad := range mask {
					if pad {
						want[i] = 0
					}
				}
				if diff := cmp.Diff(want, dst[:tt.size]); diff != "" {
					t.Fatalf("MarshalBytes(UnmarshalBytes(src)) mismatch (-want +got):\n%s", diff)
				}
				if !bytes.Equal(dst[tt.size:], []byte{0xAA, 0xAA, 0xAA}) {
					t.Fatalf("MarshalBytes wrote past SizeBytes")
				}
				y := newLike(tt.v)
				y.UnmarshalBytes(dst)
				if !reflect.DeepEqual(x, y) {
					t.Fatalf("round trip changed the value: %+v != %+v", x, y)
				}
			}
		})
	}
}

// TestFieldEncoding pins the byte order and a few field positions through
// the marshal code itself, not only through reflection.
func TestFieldEncoding(t *testing.T) {
	va := GemVA{
		Handle:                   0x11223344,
		Operation:                AMDGPU_VA_OP_MAP,
		Flags:                    AMDGPU_VM_PAGE_READABLE | AMDGPU_VM_PAGE_WRITEABLE,
		VAAddress:                0x0000_1234_5678_0000,
		MapSize:                  0x10000,
		VMTimelinePoint:          7,
		VMTimelineSyncobjOut:     9,
		NumSyncobjHandles:        2,
		InputFenceSyncobjHandles: 0xDEADBEEF00,
	}
	b := make([]byte, SizeOfGemVA)
	va.MarshalBytes(b)
	want := []byte{
		0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0, // handle, _pad
		1, 0, 0, 0, 6, 0, 0, 0, // operation, flags
		0, 0, 0x78, 0x56, 0x34, 0x12, 0, 0, // va_address
		0, 0, 0, 0, 0, 0, 0, 0, // offset_in_bo
		0, 0, 1, 0, 0, 0, 0, 0, // map_size
		7, 0, 0, 0, 0, 0, 0, 0, // vm_timeline_point
		9, 0, 0, 0, 2, 0, 0, 0, // vm_timeline_syncobj_out, num_syncobj_handles
		0, 0xEF, 0xBE, 0xAD, 0xDE, 0, 0, 0, // input_fence_syncobj_handles
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("GemVA bytes (-want +got):\n%s", diff)
	}

	// A legacy 40-byte GEM_VA zero-extended to 64 bytes, as drm_ioctl()
	// does, reads as the same mapping with no syncobjs.
	var v1 GemVA_V1
	v1.UnmarshalBytes(b)
	ext := make([]byte, SizeOfGemVA)
	v1.MarshalBytes(ext)
	var got GemVA
	got.UnmarshalBytes(ext)
	want2 := va
	want2.VMTimelinePoint, want2.VMTimelineSyncobjOut, want2.NumSyncobjHandles, want2.InputFenceSyncobjHandles = 0, 0, 0, 0
	if got != want2 {
		t.Errorf("zero-extended legacy GemVA = %+v, want %+v", got, want2)
	}

	// Signed fields keep their sign.
	ctx := CtxIn{Op: AMDGPU_CTX_OP_ALLOC_CTX, Priority: AMDGPU_CTX_PRIORITY_UNSET}
	cb := make([]byte, SizeOfCtx)
	ctx.MarshalBytes(cb)
	var ctx2 CtxIn
	ctx2.UnmarshalBytes(cb)
	if ctx2.Priority != -2048 || cb[12] != 0x00 || cb[13] != 0xF8 || cb[15] != 0xFF {
		t.Errorf("priority -2048 encoded as % x, decoded as %d", cb[12:16], ctx2.Priority)
	}

	// Nested arrays: InfoDevice.CUBitmap[1][2] sits at 56 + 16 + 8.
	var dev InfoDevice
	dev.CUBitmap[1][2] = 0xCAFEF00D
	db := make([]byte, SizeOfInfoDevice)
	dev.MarshalBytes(db)
	if got := db[80:84]; !bytes.Equal(got, []byte{0x0D, 0xF0, 0xFE, 0xCA}) {
		t.Errorf("CUBitmap[1][2] at 80 = % x", got)
	}
}

// TestShortBuffer checks the documented precondition: a buffer shorter than
// SizeBytes panics before anything is written.
func TestShortBuffer(t *testing.T) {
	for _, tt := range allTypes {
		t.Run(typeName(tt.v), func(t *testing.T) {
			short := bytes.Repeat([]byte{0xFF}, tt.size-1)
			x := newLike(tt.v)
			if !panics(func() { x.UnmarshalBytes(short) }) {
				t.Errorf("UnmarshalBytes of %d bytes did not panic", len(short))
			}
			if !reflect.DeepEqual(x, newLike(tt.v)) {
				t.Errorf("UnmarshalBytes changed the value before panicking")
			}
			if !panics(func() { x.MarshalBytes(short) }) {
				t.Errorf("MarshalBytes into %d bytes did not panic", len(short))
			}
			if !bytes.Equal(short, bytes.Repeat([]byte{0xFF}, tt.size-1)) {
				t.Errorf("MarshalBytes wrote before panicking")
			}
		})
	}
}

func panics(f func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	f()
	return false
}

// TestNoAllocs checks that marshalling allocates nothing.
func TestNoAllocs(t *testing.T) {
	buf := make([]byte, 512)
	for _, tt := range allTypes {
		x := newLike(tt.v)
		if n := testing.AllocsPerRun(10, func() {
			x.UnmarshalBytes(buf)
			x.MarshalBytes(buf)
		}); n != 0 {
			t.Errorf("%s: %v allocations per marshal round trip", typeName(tt.v), n)
		}
	}
}

// TestUnionAccessors covers the hand-written accessors of many-armed unions.
func TestUnionAccessors(t *testing.T) {
	var info Info
	info.SetArg(&QueryFW{FWType: AMDGPU_INFO_FW_GFX_MEC, IPInstance: 1, Index: 2})
	if got := info.QueryFW(); got.FWType != AMDGPU_INFO_FW_GFX_MEC || got.IPInstance != 1 || got.Index != 2 {
		t.Errorf("QueryFW() = %+v", got)
	}
	if got := info.QueryHWIP(); got.Type != AMDGPU_INFO_FW_GFX_MEC || got.IPInstance != 1 {
		t.Errorf("QueryHWIP() over the same bytes = %+v", got)
	}
	info.SetArg(&InfoSensorArg{Type: AMDGPU_INFO_SENSOR_GPU_TEMP})
	if got := info.ReadMMRReg(); got != (InfoReadMMRRegArg{DwordOffset: AMDGPU_INFO_SENSOR_GPU_TEMP}) {
		t.Errorf("SetArg did not clear the rest of the union: %+v", got)
	}
	if got := info.SensorInfo().Type; got != AMDGPU_INFO_SENSOR_GPU_TEMP {
		t.Errorf("SensorInfo().Type = %d", got)
	}
	if got := info.VideoCap().Type; got != AMDGPU_INFO_SENSOR_GPU_TEMP {
		t.Errorf("VideoCap().Type = %d", got)
	}
	info.SetArg(&InfoVbiosArg{Type: AMDGPU_INFO_VBIOS_IMAGE, Offset: 64})
	if got := info.VbiosInfo(); got.Type != AMDGPU_INFO_VBIOS_IMAGE || got.Offset != 64 {
		t.Errorf("VbiosInfo() = %+v", got)
	}
	if got := info.ModeCrtc(); got.ID != AMDGPU_INFO_VBIOS_IMAGE || got.Pad != 64 {
		t.Errorf("ModeCrtc() = %+v", got)
	}

	in := UALinkHandleIn{ImportUALinkHandle: [2]uint64{0xFFFF_FFFF_0000_0042, 1}}
	if got := in.GemHandle(); got != 0x42 {
		t.Errorf("GemHandle() = %#x", got)
	}
	var out UALinkHandleOut
	out.ExportUALinkHandle = [2]uint64{^uint64(0), ^uint64(0)}
	out.SetImportDmabufHandle(7)
	if out.ImportDmabufHandle() != 7 || out.ExportUALinkHandle != [2]uint64{7, 0} {
		t.Errorf("SetImportDmabufHandle: %+v", out)
	}

	op := GemOp{Value: 0x1000}
	if op.ValueP64().Addr() != 0x1000 {
		t.Errorf("ValueP64 = %#x", op.ValueP64())
	}
}

func TestExtensionBits(t *testing.T) {
	// Bit 10 is above every upstream GEM_VA flag, so the kernel rejects it.
	upstream := AMDGPU_VM_DELAY_UPDATE | AMDGPU_VM_PAGE_READABLE | AMDGPU_VM_PAGE_WRITEABLE |
		AMDGPU_VM_PAGE_EXECUTABLE | AMDGPU_VM_PAGE_PRT | AMDGPU_VM_MTYPE_MASK | AMDGPU_VM_PAGE_NOALLOC
	if upstream&AMDGPU_VM_EXPLICIT_SYNC != 0 || AMDGPU_VM_EXPLICIT_SYNC != 0x400 {
		t.Errorf("AMDGPU_VM_EXPLICIT_SYNC = %#x overlaps upstream flags %#x", AMDGPU_VM_EXPLICIT_SYNC, upstream)
	}
	var flags uint32 = AMDGPU_CTX_FLAGS_EXPLICIT_SYNC
	if flags != 0x80000000 {
		t.Errorf("AMDGPU_CTX_FLAGS_EXPLICIT_SYNC = %#x", flags)
	}
	if AMDGPU_GEM_CREATE_SETTABLE_MASK != 0x1F6CF {
		t.Errorf("AMDGPU_GEM_CREATE_SETTABLE_MASK = %#x, want 0x1F6CF", AMDGPU_GEM_CREATE_SETTABLE_MASK)
	}
	if AMDGPU_GEM_DOMAIN_MASK != 0xFF {
		t.Errorf("AMDGPU_GEM_DOMAIN_MASK = %#x, want 0xFF", AMDGPU_GEM_DOMAIN_MASK)
	}
	if AMDGPU_VA_RESERVED_TOP != 0x402000 {
		t.Errorf("AMDGPU_VA_RESERVED_TOP = %#x", AMDGPU_VA_RESERVED_TOP)
	}
}

// FuzzUnmarshal feeds arbitrary bytes to every type. Following the
// documented precondition, input shorter than a struct is zero-extended
// first, as drm_ioctl() does for an older, smaller caller struct; longer
// input is passed whole and the rest must come back untouched. Unmarshal
// followed by marshal must reproduce the input except for padding, and must
// never panic.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xFF}, 512))
	f.Add([]byte{0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0, 1, 0, 0, 0, 6})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tt := range allTypes {
			src := data
			if len(src) < tt.size {
				src = make([]byte, tt.size)
				copy(src, data)
			}
			x := newLike(tt.v)
			rest := x.UnmarshalBytes(src)
			if len(rest) != len(src)-tt.size {
				t.Fatalf("%s: UnmarshalBytes left %d bytes of %d", typeName(tt.v), len(rest), len(src))
			}
			dst := make([]byte, tt.size)
			x.MarshalBytes(dst)
			mask := paddingMask(reflect.TypeOf(tt.v).Elem())
			for i := range dst {
				if !mask[i] && dst[i] != src[i] {
					t.Fatalf("%s: byte %d = %#x after round trip, want %#x", typeName(tt.v), i, dst[i], src[i])
				}
			}
		}
	})
}

func BenchmarkGemVA(b *testing.B) {
	buf := make([]byte, SizeOfGemVA)
	var va GemVA
	for b.Loop() {
		va.UnmarshalBytes(buf)
		va.MarshalBytes(buf)
	}
}

func BenchmarkInfoDevice(b *testing.B) {
	buf := make([]byte, SizeOfInfoDevice)
	var dev InfoDevice
	for b.Loop() {
		dev.UnmarshalBytes(buf)
		dev.MarshalBytes(buf)
	}
}
