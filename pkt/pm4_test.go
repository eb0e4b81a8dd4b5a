package pkt

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpOpts = []cmp.Option{cmpopts.EquateEmpty()}

// hdr is sid.h's PKT3(op, count, 0).
func hdr(op uint8, count int) uint32 { return PKT3(op, count, false) }

func TestPKT3Header(t *testing.T) {
	// Reference: sid.h PKT3() = PKT_TYPE_S(3) | PKT_COUNT_S(count) |
	// PKT3_IT_OPCODE_S(op) | PKT3_PREDICATE(predicate), and
	// PKT3_NOP_PAD = PKT3(PKT3_NOP, 0x3fff, 0).
	for _, tc := range []struct {
		name string
		got  uint32
		want uint32
	}{
		{"WRITE_DATA count 3", PKT3(PKT3_WRITE_DATA, 3, false), 0xC0033700},
		{"COPY_DATA count 4", PKT3(PKT3_COPY_DATA, 4, false), 0xC0044000},
		{"DMA_DATA count 5", PKT3(PKT3_DMA_DATA, 5, false), 0xC0055000},
		{"RELEASE_MEM count 6", PKT3(PKT3_RELEASE_MEM, 6, false), 0xC0064900},
		{"EVENT_WRITE_EOP count 4", PKT3(PKT3_EVENT_WRITE_EOP, 4, false), 0xC0044700},
		{"NOP predicated", PKT3(PKT3_NOP, 0, true), 0xC0001001},
		{"NOP_PAD", PKT3(PKT3_NOP, 0x3FFF, false), PKT3_NOP_PAD},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#08x, want %#08x", tc.name, tc.got, tc.want)
		}
	}
}

func TestDecodePM4Packets(t *testing.T) {
	var va uint64 = 0x0000_8001_2340_0000
	lo, hi := uint32(va), uint32(va>>32)
	for _, tc := range []struct {
		name        string
		gfx         GfxLevel
		ib          []uint32
		want        []Op
		wantUnknown bool // AccessesKnown == false
	}{{
		name: "WRITE_DATA DST_SEL MEM",
		ib:   []uint32{hdr(0x37, 4), 5<<8 | 1<<20, lo, hi, 0x11223344, 0x55667788},
		want: []Op{Write{VA: va, Data: []byte{0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55}}},
	}, {
		name: "WRITE_DATA DST_SEL TC_L2, low address bits ignored",
		ib:   []uint32{hdr(0x37, 3), 2 << 8, lo | 3, hi, 7},
		want: []Op{Write{VA: va, Data: []byte{7, 0, 0, 0}}},
	}, {
		name: "WRITE_DATA DST_SEL MEM_GRBM WR_ONE_ADDR keeps the last dword",
		ib:   []uint32{hdr(0x37, 4), 1<<8 | 1<<16, lo, hi, 1, 2},
		want: []Op{Write{VA: va, Data: []byte{2, 0, 0, 0}}},
	}, {
		name: "WRITE_DATA to GDS",
		ib:   []uint32{hdr(0x37, 3), 3 << 8, 0x40, 0, 9},
		want: []Op{Nop{Dwords: 5}},
	}, {
		name:        "WRITE_DATA to register",
		ib:          []uint32{hdr(0x37, 3), 0, 0x2C00, 0, 9},
		want:        []Op{Unknown{Opcode: 0x37, Dwords: []uint32{hdr(0x37, 3), 0, 0x2C00, 0, 9}}},
		wantUnknown: true,
	}, {
		name: "COPY_DATA memory to memory, 32-bit",
		ib:   []uint32{hdr(0x40, 4), 1 | 5<<8 | 1<<20, lo, hi, lo + 0x100, hi},
		want: []Op{Copy{Src: va, Dst: va + 0x100, Len: 4}},
	}, {
		name: "COPY_DATA TC_L2 to TC_L2, 64-bit",
		ib:   []uint32{hdr(0x40, 4), 2 | 2<<8 | 1<<16, lo | 4, hi, lo + 0x100, hi},
		want: []Op{Copy{Src: va, Dst: va + 0x100, Len: 8}},
	}, {
		name: "COPY_DATA immediate 64-bit",
		ib:   []uint32{hdr(0x40, 4), 5 | 5<<8 | 1<<16, 0x04030201, 0x08070605, lo, hi},
		want: []Op{Write{VA: va, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}},
	}, {
		name: "COPY_DATA timestamp to memory",
		ib:   []uint32{hdr(0x40, 4), 9 | 5<<8 | 1<<16, 0, 0, lo, hi},
		want: []Op{OpaqueWrite{VA: va, Len: 8, Source: SourceTimestamp}},
	}, {
		name: "COPY_DATA register to memory",
		ib:   []uint32{hdr(0x40, 4), 0 | 5<<8, 0x1234, 0, lo, hi},
		want: []Op{OpaqueWrite{VA: va, Len: 4, Source: SourceRegister}},
	}, {
		name:        "COPY_DATA memory to register",
		ib:          []uint32{hdr(0x40, 4), 1 | 0<<8, lo, hi, 0x2C00, 0},
		want:        []Op{Read{VA: va, Len: 4}},
		wantUnknown: true,
	}, {
		name: "COPY_DATA memory to GDS",
		ib:   []uint32{hdr(0x40, 4), 1 | 3<<8, lo, hi, 0x10, 0},
		want: []Op{Read{VA: va, Len: 4}},
	}, {
		name:        "COPY_DATA unknown DST_SEL",
		ib:          []uint32{hdr(0x40, 4), 1 | 7<<8, lo, hi, 0, 0},
		want:        []Op{Unknown{Opcode: 0x40, Dwords: []uint32{hdr(0x40, 4), 1 | 7<<8, lo, hi, 0, 0}}},
		wantUnknown: true,
	}, {
		name: "DMA_DATA copy GFX9 (26-bit count)",
		ib:   []uint32{hdr(0x50, 5), 1<<31 | 3<<29 | 3<<20, lo, hi, lo + 0x1000, hi, 0x0220_0000 | 1<<31},
		want: []Op{Copy{Src: va, Dst: va + 0x1000, Len: 0x0220_0000}},
	}, {
		name: "DMA_DATA copy GFX7 (21-bit count, DIS_WC at bit 21)",
		gfx:  GFX7,
		ib:   []uint32{hdr(0x50, 5), 0, lo, hi, lo + 0x1000, hi, 0x1000 | 1<<21},
		want: []Op{Copy{Src: va, Dst: va + 0x1000, Len: 0x1000}},
	}, {
		name: "DMA_DATA fill",
		ib:   []uint32{hdr(0x50, 5), 2<<29 | 3<<20, 0xCAFEF00D, 0, lo, hi, 64},
		want: []Op{Fill{VA: va, Len: 64, Pattern: 0xCAFEF00D}},
	}, {
		name: "DMA_DATA GDS to memory",
		ib:   []uint32{hdr(0x50, 5), 1 << 29, 0, 0, lo, hi, 16},
		want: []Op{OpaqueWrite{VA: va, Len: 16, Source: SourceGDS}},
	}, {
		name:        "DMA_DATA memory to register (DAS)",
		ib:          []uint32{hdr(0x50, 5), 0, lo, hi, 0x2C00, 0, 4 | 1<<27},
		want:        []Op{Read{VA: va, Len: 4}},
		wantUnknown: true,
	}, {
		name: "DMA_DATA GFX12 DST_SEL nowhere (prefetch)",
		gfx:  GFX12,
		ib:   []uint32{hdr(0x50, 5), 3<<29 | 2<<20, lo, hi, 0, 0, 256},
		want: []Op{Read{VA: va, Len: 256}},
	}, {
		name:        "DMA_DATA on GFX6 is unknown",
		gfx:         GFX6,
		ib:          []uint32{hdr(0x50, 5), 0, lo, hi, lo, hi, 4},
		want:        []Op{Unknown{Opcode: 0x50, Dwords: []uint32{hdr(0x50, 5), 0, lo, hi, lo, hi, 4}}},
		wantUnknown: true,
	}, {
		name: "DMA_DATA zero bytes",
		ib:   []uint32{hdr(0x50, 5), 0, lo, hi, lo, hi, 0},
		want: []Op{Nop{Dwords: 7}},
	}, {
		name: "RELEASE_MEM 32-bit",
		ib:   []uint32{hdr(0x49, 6), 0x514, 1 << 29, lo, hi, 42, 0, 0},
		want: []Op{FenceWrite{VA: va, Value: 42, Size: 4}},
	}, {
		name: "RELEASE_MEM 64-bit, TC_L2",
		ib:   []uint32{hdr(0x49, 6), 0x514, 2<<29 | 1<<16 | 3<<24, lo, hi, 1, 2, 0},
		want: []Op{FenceWrite{VA: va, Value: 1 | 2<<32, Size: 8}},
	}, {
		name: "RELEASE_MEM GFX7 compute form (7 dwords)",
		gfx:  GFX7,
		ib:   []uint32{hdr(0x49, 5), 0x514, 1 << 29, lo, hi, 5, 0},
		want: []Op{FenceWrite{VA: va, Value: 5, Size: 4}},
	}, {
		name: "RELEASE_MEM timestamp",
		ib:   []uint32{hdr(0x49, 6), 0x514, 3 << 29, lo, hi, 0, 0, 0},
		want: []Op{OpaqueWrite{VA: va, Len: 8, Source: SourceTimestamp}},
	}, {
		name: "RELEASE_MEM GDS, 2 dwords",
		ib:   []uint32{hdr(0x49, 6), 0x514, 5 << 29, lo, hi, 3 | 2<<16, 0, 0},
		want: []Op{OpaqueWrite{VA: va, Len: 8, Source: SourceGDS}},
	}, {
		name: "RELEASE_MEM discard (PWS)",
		ib:   []uint32{hdr(0x49, 6), 0x514, 0, 0, 0, 0, 0, 0},
		want: []Op{Nop{Dwords: 8}},
	}, {
		name:        "RELEASE_MEM to queue write pointer register",
		ib:          []uint32{hdr(0x49, 6), 0x514, 1<<29 | 2<<16, 0, 0, 0, 0, 0},
		want:        []Op{Unknown{Opcode: 0x49, Dwords: []uint32{hdr(0x49, 6), 0x514, 1<<29 | 2<<16, 0, 0, 0, 0, 0}}},
		wantUnknown: true,
	}, {
		name: "EVENT_WRITE_EOP GFX8, ADDR_HI is 16 bits",
		gfx:  GFX8,
		ib:   []uint32{hdr(0x47, 4), 0x514, lo, 1<<29 | hi, 7, 0},
		want: []Op{FenceWrite{VA: va, Value: 7, Size: 4}},
	}, {
		name:        "EVENT_WRITE_EOP on GFX9 is unknown",
		ib:          []uint32{hdr(0x47, 4), 0x514, lo, 1<<29 | hi, 7, 0},
		want:        []Op{Unknown{Opcode: 0x47, Dwords: []uint32{hdr(0x47, 4), 0x514, lo, 1<<29 | hi, 7, 0}}},
		wantUnknown: true,
	}, {
		name: "NOP forms and type-2 filler",
		ib:   []uint32{PKT3_NOP_PAD, hdr(0x10, 1), 0xCAFE0001, 0, PKT2_NOP_PAD},
		want: []Op{Nop{Dwords: 1}, Nop{Dwords: 3}, Nop{Dwords: 1}},
	}, {
		name:        "SET_SH_REG is unknown",
		ib:          []uint32{hdr(0x76, 1), 0x2E00, 1},
		want:        []Op{Unknown{Opcode: 0x76, Dwords: []uint32{hdr(0x76, 1), 0x2E00, 1}}},
		wantUnknown: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			gfx := tc.gfx
			if gfx == 0 {
				gfx = GFX9
			}
			p, err := DecodePM4(tc.ib, gfx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Ops, cmpOpts...); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if p.AccessesKnown == tc.wantUnknown {
				t.Errorf("AccessesKnown = %v, reasons %v", p.AccessesKnown, p.Reasons)
			}
		})
	}
}

func TestDecodePM4Stats(t *testing.T) {
	ib := []uint32{
		PKT3(PKT3_NOP, 0, true), 0,
		hdr(0x76, 1), 0x2E00, 1,
		hdr(0x76, 1), 0x2E01, 1,
		PKT2_NOP_PAD,
		hdr(0x10, 2), AnnotationMagic, 7, 0, // foreign version 7
	}
	p, err := DecodePM4(ib, GFX10)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		Packets:            5,
		ByOpcode:           map[uint8]int{0x10: 2, 0x76: 2},
		Unknown:            2,
		Predicated:         1,
		Filler:             1,
		ForeignAnnotations: 1,
	}
	if diff := cmp.Diff(want, p.Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 2, 5, 8, 9}, p.Offsets); diff != "" {
		t.Errorf("offsets (-want +got):\n%s", diff)
	}
	if len(p.Reasons) != 2 || p.Reasons[1].Offset != 5 {
		t.Errorf("reasons = %v, want two, the second at dword 5", p.Reasons)
	}
}

func TestDecodePM4Errors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		gfx     GfxLevel
		ib      []uint32
		wantErr error
		wantOff int
	}{
		{"type-0 header", GFX9, []uint32{PKT3_NOP_PAD, PKT3_NOP_PAD, 0x0000_2C00, 1}, ErrBadHeader, 2},
		{"type-1 header", GFX9, []uint32{0x4000_0000}, ErrBadHeader, 0},
		{"count past the end", GFX9, []uint32{PKT3_NOP_PAD, hdr(0x37, 5), 5 << 8, 0, 0}, ErrTruncated, 1},
		{"unknown packet past the end", GFX9, []uint32{hdr(0x76, 3), 0}, ErrTruncated, 0},
		{"NOP count 0x3FFE past the end", GFX9, []uint32{hdr(0x10, 0x3FFE)}, ErrTruncated, 0},
		{"WRITE_DATA body too short", GFX9, []uint32{hdr(0x37, 1), 5 << 8, 0}, ErrBadPacket, 0},
		{"COPY_DATA body too short", GFX9, []uint32{hdr(0x40, 3), 0, 0, 0, 0}, ErrBadPacket, 0},
		{"DMA_DATA body too short", GFX9, []uint32{PKT3_NOP_PAD, hdr(0x50, 4), 0, 0, 0, 0, 0}, ErrBadPacket, 1},
		{"RELEASE_MEM body too short", GFX9, []uint32{hdr(0x49, 4), 0, 0, 0, 0, 0}, ErrBadPacket, 0},
		{"EVENT_WRITE_EOP body too short", GFX8, []uint32{hdr(0x47, 3), 0, 0, 0, 0}, ErrBadPacket, 0},
		{"annotation without version", GFX9, []uint32{hdr(0x10, 0), AnnotationMagic}, ErrBadAnnotation, 1},
		{"annotation unknown flag", GFX9, []uint32{hdr(0x10, 1), AnnotationMagic, 1 | 1<<17}, ErrBadAnnotation, 2},
		{"annotation record past the body", GFX9, []uint32{hdr(0x10, 3), AnnotationMagic, 1, RecordReads | 4<<16, 0}, ErrBadAnnotation, 3},
		{"annotation range of 3 dwords", GFX9, []uint32{hdr(0x10, 5), AnnotationMagic, 1, RecordWrites | 3<<16, 0, 0, 1}, ErrBadAnnotation, 3},
		{"annotation zero-length range", GFX9, []uint32{hdr(0x10, 6), AnnotationMagic, 1, RecordReads | 4<<16, 0x1000, 0, 0, 0}, ErrBadAnnotation, 3},
		{"annotation wrapping range", GFX9, []uint32{hdr(0x10, 6), AnnotationMagic, 1, RecordReads | 4<<16, 0, 0xFFFF_FFFF, 1, 1}, ErrBadAnnotation, 3},
		{"annotation reserved header bits", GFX9, []uint32{hdr(0x10, 2), AnnotationMagic, 1, RecordBusy | 1<<8}, ErrBadAnnotation, 3},
		{"annotation second busy", GFX9, []uint32{hdr(0x10, 7), AnnotationMagic, 1, RecordBusy | 2<<16, 1, 0, RecordBusy | 2<<16, 1, 0}, ErrBadAnnotation, 6},
		{"annotation negative busy", GFX9, []uint32{hdr(0x10, 4), AnnotationMagic, 1, RecordBusy | 2<<16, 0, 0x8000_0000}, ErrBadAnnotation, 3},
		{"annotation label length mismatch", GFX9, []uint32{hdr(0x10, 4), AnnotationMagic, 1, RecordLabel | 2<<16, 5, 0x64636261}, ErrBadAnnotation, 3},
		{"annotation label padding", GFX9, []uint32{hdr(0x10, 4), AnnotationMagic, 1, RecordLabel | 2<<16, 3, 0xFF636261}, ErrBadAnnotation, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePM4(tc.ib, tc.gfx)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want a *DecodeError wrapping %v", err, tc.wantErr)
			}
			if de.Offset != tc.wantOff {
				t.Errorf("offset = %d, want %d (%v)", de.Offset, tc.wantOff, err)
			}
		})
	}
}

func TestDecodeUnsupported(t *testing.T) {
	if _, err := DecodePM4(nil, 5); !errors.Is(err, ErrUnsupported) {
		t.Errorf("GFX5: err = %v, want ErrUnsupported", err)
	}
	if _, err := DecodePM4(nil, 13); !errors.Is(err, ErrUnsupported) {
		t.Errorf("GFX13: err = %v, want ErrUnsupported", err)
	}
	if _, err := DecodeSDMA(nil, 10); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SDMA 1.0: err = %v, want ErrUnsupported", err)
	}
	if _, err := DecodeSDMA(nil, 70); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SDMA 7.0: err = %v, want ErrUnsupported", err)
	}
}

func TestAnnotationDecode(t *testing.T) {
	// Reference: docs/annotations.md, the worked example.
	ib := []uint32{
		0xC0111000,                                     // PKT3(PKT3_NOP, 17, 0): 18 body dwords
		0x4D454D56,                                     // "VMEM"
		0x00010001,                                     // version 1, Complete
		0x00040001,                                     // READS, 4 dwords
		0x00100000, 0x00000001, 0x00001000, 0x00000000, // [0x1_0010_0000, +4 KiB)
		0x00040002,                                     // WRITES, 4 dwords
		0x00200000, 0x00000001, 0x00000100, 0x00000000, // [0x1_0020_0000, +256)
		0x00020003,             // BUSY, 2 dwords
		0x000F4240, 0x00000000, // 1 ms
		0x00020004, 0x00000002, 0x00006B6F, // LABEL "ok"
	}
	if got := PKT3(PKT3_NOP, len(ib)-2, false); got != ib[0] {
		t.Fatalf("example header %#08x, want %#08x", ib[0], got)
	}
	p, err := DecodePM4(append(ib, hdr(0x76, 1), 0x2E00, 1), GFX11)
	if err != nil {
		t.Fatal(err)
	}
	want := []Op{
		Annotation{
			Reads:    []Range{{0x1_0010_0000, 0x1000}},
			Writes:   []Range{{0x1_0020_0000, 0x100}},
			BusyNS:   1_000_000,
			Label:    "ok",
			Complete: true,
		},
		Unknown{Opcode: 0x76, Dwords: []uint32{hdr(0x76, 1), 0x2E00, 1}},
	}
	if diff := cmp.Diff(want, p.Ops, cmpOpts...); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	if !p.AccessesKnown || !p.Complete || p.Stats.Annotations != 1 {
		t.Errorf("AccessesKnown %v Complete %v Annotations %d: want true, true, 1", p.AccessesKnown, p.Complete, p.Stats.Annotations)
	}
}

func TestAnnotationSkipsUnknownRecordKinds(t *testing.T) {
	ib := []uint32{0, AnnotationMagic, 1, 0x00020063, 0xAA, 0xBB, RecordBusy | 2<<16, 5, 0}
	ib[0] = PKT3(PKT3_NOP, len(ib)-2, false)
	p, err := DecodePM4(ib, GFX9)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Op{Annotation{BusyNS: 5}}, p.Ops, cmpOpts...); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}
