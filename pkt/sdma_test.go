package pkt

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeSDMAPackets(t *testing.T) {
	var va uint64 = 0x0000_7FFF_0000_1000
	lo, hi := uint32(va), uint32(va>>32)
	for _, tc := range []struct {
		name        string
		v           SDMAVersion
		ib          []uint32
		want        []Op
		wantUnknown bool
	}{{
		name: "COPY_LINEAR SDMA 5.0, count - 1",
		v:    SDMA5_0,
		ib:   []uint32{0x00000001, 4095, 0, lo, hi, lo + 0x10000, hi},
		want: []Op{Copy{Src: va, Dst: va + 0x10000, Len: 4096}},
	}, {
		name: "COPY_LINEAR SDMA 3.0, count is bytes",
		v:    SDMA3_0,
		ib:   []uint32{0x00000001, 4096, 0, lo, hi, lo + 0x10000, hi},
		want: []Op{Copy{Src: va, Dst: va + 0x10000, Len: 4096}},
	}, {
		name: "COPY_LINEAR SDMA 5.0 masks the count to 22 bits",
		v:    SDMA5_0,
		ib:   []uint32{0x00000001, 0xFFC0_0000 | 15, 0, lo, hi, lo, hi},
		want: []Op{Copy{Src: va, Dst: va, Len: 16}},
	}, {
		name: "COPY_LINEAR SDMA 6.0 has 30-bit counts, TMZ allowed",
		v:    SDMA6_0,
		ib:   []uint32{0x00000001 | 1<<18, 0x3FFF_FFFF, 0, lo, hi, lo, hi},
		want: []Op{Copy{Src: va, Dst: va, Len: 1 << 30}},
	}, {
		name: "COPY_LINEAR broadcast ends the decode",
		v:    SDMA5_0,
		ib:   []uint32{0x00000001 | 1<<27, 15, 0, lo, hi, lo, hi, lo, hi},
		want: []Op{Unknown{Opcode: 1, Dwords: []uint32{0x00000001 | 1<<27, 15, 0, lo, hi, lo, hi, lo, hi}}},

		wantUnknown: true,
	}, {
		name: "WRITE_LINEAR as sdma_v5_0_ring_test_ib",
		v:    SDMA5_0,
		ib:   []uint32{0x00000002, lo, hi, 0, 0xDEADBEEF, 0, 0, 0},
		want: []Op{Write{VA: va, Data: []byte{0xEF, 0xBE, 0xAD, 0xDE}}, Nop{1}, Nop{1}, Nop{1}},
	}, {
		name: "WRITE_LINEAR SDMA 2.4, count is dwords",
		v:    SDMA2_4,
		ib:   []uint32{0x00000002, lo, hi, 2, 1, 2},
		want: []Op{Write{VA: va, Data: []byte{1, 0, 0, 0, 2, 0, 0, 0}}},
	}, {
		name: "FENCE",
		v:    SDMA6_0,
		ib:   []uint32{0x00030005, lo | 2, hi, 99},
		want: []Op{FenceWrite{VA: va, Value: 99, Size: 4}},
	}, {
		name: "CONST_FILL dword (fillsize 2)",
		v:    SDMA4_0,
		ib:   []uint32{0x8000000B, lo, hi, 0xDEADBEAF, 255},
		want: []Op{Fill{VA: va, Len: 256, Pattern: 0xDEADBEAF}},
	}, {
		name: "CONST_FILL byte (fillsize 0), as the kernel's fill_buffer",
		v:    SDMA5_2,
		ib:   []uint32{0x0000000B, lo, hi, 0x12345678, 99},
		want: []Op{Fill{VA: va, Len: 100, Pattern: 0x78787878}},
	}, {
		name: "NOP with count (burst)",
		v:    SDMA5_0,
		ib:   []uint32{0x00020000, 0, 0, 0x00000000},
		want: []Op{Nop{3}, Nop{1}},
	}, {
		name: "TRAP, POLL_REGMEM on memory, COND_EXE",
		v:    SDMA5_0,
		ib: []uint32{
			0x00000006, 0,
			0x80000008 | 3<<28, lo, hi, 1, 0xFFFFFFFF, 0x0FFF0004,
			0x00000009, lo + 8, hi, 1, 7,
		},
		want: []Op{Nop{2}, Read{VA: va, Len: 4}, Read{VA: va + 8, Len: 4}},
	}, {
		name: "POLL_REGMEM on a register is harmless",
		v:    SDMA5_0,
		ib:   []uint32{0x00000008 | 1<<26 | 3<<28, 0x1000, 0x1004, 1, 1, 0x0FFF000A},
		want: []Op{Nop{6}},
	}, {
		name:        "SRBM_WRITE is unknown",
		v:           SDMA5_0,
		ib:          []uint32{0xF000000E, 0x1234, 5, 0},
		want:        []Op{Unknown{Opcode: 14, Dwords: []uint32{0xF000000E, 0x1234, 5}}, Nop{1}},
		wantUnknown: true,
	}, {
		name:        "unknown opcode swallows the rest",
		v:           SDMA5_0,
		ib:          []uint32{0x00000000, 0x0000000C, 1, 2, 0x00000005, lo, hi, 1},
		want:        []Op{Nop{1}, Unknown{Opcode: 12, Dwords: []uint32{0x0000000C, 1, 2, 0x00000005, lo, hi, 1}}},
		wantUnknown: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := DecodeSDMA(tc.ib, tc.v)
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

func TestDecodeSDMAErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ib      []uint32
		wantOff int
	}{
		{"COPY_LINEAR truncated", []uint32{0, 0x00000001, 15, 0, 0}, 1},
		{"WRITE_LINEAR header truncated", []uint32{0x00000002, 0, 0}, 0},
		{"WRITE_LINEAR count past the end", []uint32{0, 0, 0x00000002, 0, 0, 3, 1, 2}, 2},
		{"WRITE_LINEAR huge count", []uint32{0x00000002, 0, 0, 0xFFFFFFFF}, 0},
		{"NOP count past the end", []uint32{0x00050000, 0}, 0},
		{"FENCE truncated", []uint32{0x00000005, 0, 0}, 0},
		{"CONST_FILL truncated", []uint32{0x8000000B, 0, 0, 0}, 0},
		{"POLL_REGMEM truncated", []uint32{0x80000008, 0}, 0},
		{"INDIRECT truncated", []uint32{0x00000004, 0}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeSDMA(tc.ib, SDMA5_0)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) {
				t.Fatalf("err = %v, want a *DecodeError wrapping ErrTruncated", err)
			}
			if de.Offset != tc.wantOff || de.Engine != EngineSDMA {
				t.Errorf("engine %v offset %d, want sdma %d (%v)", de.Engine, de.Offset, tc.wantOff, err)
			}
		})
	}
}
