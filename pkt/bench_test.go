package pkt

import "testing"

const ibDwords = 1024 // 4 KiB

// benchPM4 builds a 4 KiB PM4 IB of typical packets.
func benchPM4(tb testing.TB) []uint32 {
	b := PM4{Gfx: GFX10}
	b.Annotate(Annotation{Reads: []Range{{0x10000, 4096}}, Writes: []Range{{0x20000, 4096}}, BusyNS: 1000, Label: "bench"})
	for va := uint64(0); len(b.Dwords()) < ibDwords-64; va += 0x100 {
		b.WriteData(0x30000+va, make([]byte, 16))
		b.CopyData(0x40000+va, 0x50000+va, 8)
		b.DMAData(0x60000+va, 0x70000+va, 256)
		b.ReleaseMem(0x80000+va, uint32(va))
		b.dw = append(b.dw, PKT3(0x76, 1, false), 0x2E00, 1) // SET_SH_REG
	}
	b.Nop(ibDwords - len(b.Dwords()))
	if err := b.Err(); err != nil || len(b.Dwords()) != ibDwords {
		tb.Fatalf("IB of %d dwords, err %v", len(b.Dwords()), err)
	}
	return b.Dwords()
}

func benchSDMA(tb testing.TB) []uint32 {
	var b SDMA
	for va := uint64(0); len(b.Dwords()) < ibDwords-32; va += 0x1000 {
		b.Copy(va, 0x100000+va, 4096)
		b.Fill(0x200000+va, 4096, 0)
		b.Write(0x300000+va, make([]byte, 16))
		b.Fence(0x400000+va, 1)
	}
	b.Nop(ibDwords - len(b.Dwords()))
	if err := b.Err(); err != nil || len(b.Dwords()) != ibDwords {
		tb.Fatalf("IB of %d dwords, err %v", len(b.Dwords()), err)
	}
	return b.Dwords()
}

func BenchmarkDecodePM4_4KiB(b *testing.B) {
	ib := benchPM4(b)
	b.SetBytes(4 * ibDwords)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodePM4(ib, GFX10); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSDMA_4KiB(b *testing.B) {
	ib := benchSDMA(b)
	b.SetBytes(4 * ibDwords)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeSDMA(ib, SDMA5_0); err != nil {
			b.Fatal(err)
		}
	}
}
