package pkt

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPM4Encodings checks the builder against dwords derived by hand from
// the headers. Sources: Mesa src/amd/common/sid.h (PKT3, S_370_*,
// COPY_DATA_*, S_411_*/S_415_*, EOP_*), radv_cs_write_data_head() for
// WRITE_DATA, si_emit_cp_dma() for DMA_DATA, the kernel's
// gfx_v9_0_ring_emit_fence() for RELEASE_MEM (event
// CACHE_FLUSH_AND_INV_TS_EVENT = 0x14, EVENT_INDEX 5).
func TestPM4Encodings(t *testing.T) {
	const va = 0x0000_0001_0000_1000
	for _, tc := range []struct {
		name  string
		gfx   GfxLevel
		build func(*PM4)
		want  []uint32
	}{{
		name:  "WRITE_DATA",
		build: func(b *PM4) { b.WriteData(va, []byte{0xEF, 0xBE, 0xAD, 0xDE}) },
		// PKT3(0x37, 3, 0); DST_SEL(5)<<8 | WR_CONFIRM(1)<<20 | ENGINE_SEL(ME=0).
		want: []uint32{0xC0033700, 0x00100500, 0x00001000, 0x00000001, 0xDEADBEEF},
	}, {
		name:  "COPY_DATA 64-bit",
		build: func(b *PM4) { b.CopyData(va, va+8, 8) },
		// PKT3(0x40, 4, 0); SRC_SEL(1) | DST_SEL(5)<<8 | COUNT_SEL<<16 | WR_CONFIRM<<20.
		want: []uint32{0xC0044000, 0x00110501, 0x00001000, 1, 0x00001008, 1},
	}, {
		name:  "COPY_DATA immediate",
		build: func(b *PM4) { b.CopyImmediate(va, 7, 4) },
		want:  []uint32{0xC0044000, 0x00100505, 7, 0, 0x00001000, 1},
	}, {
		name:  "DMA_DATA copy",
		build: func(b *PM4) { b.DMAData(va, va+0x100, 64) },
		// PKT3(0x50, 5, 0); CP_SYNC<<31 | SRC_SEL(L2=3)<<29 | DST_SEL(L2=3)<<20.
		want: []uint32{0xC0055000, 0xE0300000, 0x00001000, 1, 0x00001100, 1, 64},
	}, {
		name:  "DMA_DATA fill",
		build: func(b *PM4) { b.DMAFill(va, 32, 0xCAFEF00D) },
		// SRC_SEL(DATA=2)<<29.
		want: []uint32{0xC0055000, 0xC0300000, 0xCAFEF00D, 0, 0x00001000, 1, 32},
	}, {
		name:  "RELEASE_MEM",
		build: func(b *PM4) { b.ReleaseMem(va, 42) },
		// PKT3(0x49, 6, 0); EVENT_TYPE(0x14)|EVENT_INDEX(5); DATA_SEL(1)<<29.
		want: []uint32{0xC0064900, 0x00000514, 0x20000000, 0x00001000, 1, 42, 0, 0},
	}, {
		name:  "EVENT_WRITE_EOP 64-bit on GFX8",
		gfx:   GFX8,
		build: func(b *PM4) { b.ReleaseMem64(va, 1<<32|2) },
		// PKT3(0x47, 4, 0); DATA_SEL(2)<<29 | ADDR_HI[15:0].
		want: []uint32{0xC0044700, 0x00000514, 0x00001000, 0x40000001, 2, 1},
	}, {
		name:  "NOP of 1 and of 3 dwords",
		build: func(b *PM4) { b.Nop(1); b.Nop(3) },
		want:  []uint32{0xFFFF1000, 0xC0011000, 0, 0},
	}, {
		name:  "NOP of 1 dword on GFX6 is type-2",
		gfx:   GFX6,
		build: func(b *PM4) { b.Nop(1) },
		want:  []uint32{0x80000000},
	}, {
		name:  "Busy annotation",
		build: func(b *PM4) { b.Busy(1000) },
		// PKT3(NOP, 4, 0); "VMEM"; version 1; BUSY|2<<16; 1000; 0.
		want: []uint32{0xC0041000, 0x4D454D56, 0x00000001, 0x00020003, 1000, 0},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := PM4{Gfx: tc.gfx}
			tc.build(&b)
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.Dwords()); diff != "" {
				t.Errorf("dwords (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSDMAEncodings checks the builder against the kernel's emitters:
// sdma_v5_0_emit_copy_buffer() (byte_count - 1), sdma_v3_0_emit_copy_buffer()
// (byte_count), sdma_v5_0_ring_test_ib() (WRITE with COUNT(0) for one
// dword), sdma_v5_0_ring_emit_fence(), and IGT's sdma_ring_const_fill() in
// lib/amdgpu/amd_ip_blocks.c (SDMA_PACKET(SDMA_OPCODE_CONSTANT_FILL, 0,
// SDMA_CONSTANT_FILL_EXTRA_SIZE(2)), count - 1 from AMDGPU_FAMILY_AI).
func TestSDMAEncodings(t *testing.T) {
	const va = 0x0000_0001_0000_1000
	for _, tc := range []struct {
		name  string
		v     SDMAVersion
		build func(*SDMA)
		want  []uint32
	}{{
		name:  "COPY_LINEAR 5.0",
		build: func(b *SDMA) { b.Copy(va, va+0x1000, 4096) },
		want:  []uint32{0x00000001, 4095, 0, 0x00001000, 1, 0x00002000, 1},
	}, {
		name:  "COPY_LINEAR 3.0",
		v:     SDMA3_0,
		build: func(b *SDMA) { b.Copy(va, va+0x1000, 4096) },
		want:  []uint32{0x00000001, 4096, 0, 0x00001000, 1, 0x00002000, 1},
	}, {
		name:  "COPY_LINEAR 5.0 split at 1<<22",
		build: func(b *SDMA) { b.Copy(0, 1<<40, 1<<22+16) },
		want: []uint32{
			0x00000001, 1<<22 - 1, 0, 0, 0, 0, 0x100,
			0x00000001, 15, 0, 1 << 22, 0, 1 << 22, 0x100,
		},
	}, {
		name:  "WRITE_LINEAR",
		build: func(b *SDMA) { b.Write(va, []byte{0xEF, 0xBE, 0xAD, 0xDE}) },
		want:  []uint32{0x00000002, 0x00001000, 1, 0, 0xDEADBEEF},
	}, {
		name:  "CONST_FILL",
		v:     SDMA6_0,
		build: func(b *SDMA) { b.Fill(va, 256, 0xDEADBEAF) },
		want:  []uint32{0x8000000B, 0x00001000, 1, 0xDEADBEAF, 255},
	}, {
		name:  "FENCE and NOPs",
		build: func(b *SDMA) { b.Fence(va, 9); b.Nop(2) },
		want:  []uint32{0x00000005, 0x00001000, 1, 9, 0, 0},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := SDMA{Version: tc.v}
			tc.build(&b)
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.Dwords()); diff != "" {
				t.Errorf("dwords (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPM4RoundTrip(t *testing.T) {
	for _, gfx := range []GfxLevel{GFX7, GFX8, GFX9, GFX10, GFX11, GFX12} {
		b := PM4{Gfx: gfx}
		b.Label("round trip")
		b.Reads(0x1000, 0x2000)
		b.Writes(0x8000, 64)
		b.Busy(1500)
		b.Annotate(Annotation{Reads: []Range{{1, 2}, {3, 4}}, Complete: true})
		// One level checks the split of a long WRITE_DATA (cmp is slow on
		// 64 KiB slices).
		big := gfx == GFX9
		if big {
			b.WriteData(0x10000, make([]byte, 4*(maxWriteDataDwords+1)))
		}
		b.CopyData(0x100, 0x200, 4)
		b.CopyImmediate(0x300, 0xAABBCCDD_11223344, 8)
		b.DMAData(0x4000, 0x9000, 100)
		b.DMAFill(0xA000, 64, 0x01020304)
		b.Nop(0x4001)
		b.ReleaseMem(0xF000, 5)
		b.ReleaseMem64(0xF008, 6)
		if err := b.Err(); err != nil {
			t.Fatal(err)
		}
		p, err := DecodePM4(b.Dwords(), gfx)
		if err != nil {
			t.Fatalf("GFX%d: %v", gfx, err)
		}
		want := []Op{
			Annotation{Label: "round trip"},
			Annotation{Reads: []Range{{0x1000, 0x2000}}},
			Annotation{Writes: []Range{{0x8000, 64}}},
			Annotation{BusyNS: 1500},
			Annotation{Reads: []Range{{1, 2}, {3, 4}}, Complete: true},
			Copy{Src: 0x100, Dst: 0x200, Len: 4},
			Write{VA: 0x300, Data: []byte{0x44, 0x33, 0x22, 0x11, 0xDD, 0xCC, 0xBB, 0xAA}},
			Copy{Src: 0x4000, Dst: 0x9000, Len: 100},
			Fill{VA: 0xA000, Len: 64, Pattern: 0x01020304},
			Nop{0x3FFF},
			Nop{2},
			FenceWrite{VA: 0xF000, Value: 5, Size: 4},
			FenceWrite{VA: 0xF008, Value: 6, Size: 8},
		}
		if big {
			want = append(want[:5:5], append([]Op{
				Write{VA: 0x10000, Data: make([]byte, 4*maxWriteDataDwords)},
				Write{VA: 0x10000 + 4*maxWriteDataDwords, Data: make([]byte, 4)},
			}, want[5:]...)...)
		}
		if diff := cmp.Diff(want, p.Ops, cmpOpts...); diff != "" {
			t.Errorf("GFX%d ops (-want +got):\n%s", gfx, diff)
		}
		if !p.AccessesKnown {
			t.Errorf("GFX%d: AccessesKnown false: %v", gfx, p.Reasons)
		}
	}
}

func TestPM4DMASplits(t *testing.T) {
	b := PM4{Gfx: GFX11}
	b.DMAData(0, 1<<20, 32767*2)
	p, err := DecodePM4(b.Dwords(), GFX11)
	if err != nil {
		t.Fatal(err)
	}
	// GFX11: at most 32767 & ~31 = 32736 bytes per packet.
	want := []Op{
		Copy{Src: 0, Dst: 1 << 20, Len: 32736},
		Copy{Src: 32736, Dst: 1<<20 + 32736, Len: 32736},
		Copy{Src: 2 * 32736, Dst: 1<<20 + 2*32736, Len: 32767*2 - 2*32736},
	}
	if diff := cmp.Diff(want, p.Ops); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}

func TestSDMARoundTrip(t *testing.T) {
	for _, v := range []SDMAVersion{SDMA2_0, SDMA2_4, SDMA3_0, SDMA4_0, SDMA4_4, SDMA5_0, SDMA5_2, SDMA6_0} {
		b := SDMA{Version: v}
		b.Copy(0x1000, 0x2000, 12345)
		b.Write(0x3000, []byte{1, 2, 3, 4, 5, 6, 7, 8})
		b.Fill(0x4000, 4096, 0xFFFFFFFF)
		b.Fence(0x5000, 77)
		b.Nop(3)
		if err := b.Err(); err != nil {
			t.Fatal(err)
		}
		p, err := DecodeSDMA(b.Dwords(), v)
		if err != nil {
			t.Fatalf("SDMA %d: %v", v, err)
		}
		want := []Op{
			Copy{Src: 0x1000, Dst: 0x2000, Len: 12345},
			Write{VA: 0x3000, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
			Fill{VA: 0x4000, Len: 4096, Pattern: 0xFFFFFFFF},
			FenceWrite{VA: 0x5000, Value: 77, Size: 4},
			Nop{1}, Nop{1}, Nop{1},
		}
		if diff := cmp.Diff(want, p.Ops, cmpOpts...); diff != "" {
			t.Errorf("SDMA %d ops (-want +got):\n%s", v, diff)
		}
		if !p.AccessesKnown {
			t.Errorf("SDMA %d: AccessesKnown false: %v", v, p.Reasons)
		}
	}
}

func TestBuilderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() error
	}{
		{"WriteData unaligned length", func() error { var b PM4; b.WriteData(0, []byte{1}); return b.Err() }},
		{"WriteData unaligned address", func() error { var b PM4; b.WriteData(2, []byte{1, 2, 3, 4}); return b.Err() }},
		{"CopyData 16 bytes", func() error { var b PM4; b.CopyData(0, 16, 16); return b.Err() }},
		{"DMAData on GFX6", func() error { b := PM4{Gfx: GFX6}; b.DMAData(0, 16, 16); return b.Err() }},
		{"DMAFill odd length", func() error { var b PM4; b.DMAFill(0, 6, 0); return b.Err() }},
		{"ReleaseMem64 unaligned", func() error { var b PM4; b.ReleaseMem64(4, 0); return b.Err() }},
		{"zero-length annotation", func() error { var b PM4; b.Reads(0, 0); return b.Err() }},
		{"negative busy", func() error { var b PM4; b.Busy(-1); return b.Err() }},
		{"long label", func() error { var b PM4; b.Label(string(make([]byte, MaxLabel+1))); return b.Err() }},
		{"SDMA Copy 0", func() error { var b SDMA; b.Copy(0, 0, 0); return b.Err() }},
		{"SDMA Fill odd", func() error { var b SDMA; b.Fill(0, 3, 0); return b.Err() }},
		{"SDMA Fence unaligned", func() error { var b SDMA; b.Fence(2, 0); return b.Err() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.build(); !errors.Is(err, ErrBuild) {
				t.Errorf("err = %v, want ErrBuild", err)
			}
		})
	}
}
