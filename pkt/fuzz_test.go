package pkt

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var fuzzSDMAVersions = []SDMAVersion{SDMA2_0, SDMA2_4, SDMA3_0, SDMA4_0, SDMA4_4, SDMA5_0, SDMA5_2, SDMA6_0}

// FuzzDecode decodes arbitrary bytes as a PM4 or SDMA IB. Decoding must
// never panic; a successful decode, re-encoded with the builder (for the
// ops the builder can emit), must decode to an equivalent program.
func FuzzDecode(f *testing.F) {
	var p PM4
	p.Label("seed")
	p.WriteData(0x1000, []byte{1, 2, 3, 4})
	p.CopyData(0x1000, 0x2000, 8)
	p.DMAData(0x1000, 0x3000, 64)
	p.DMAFill(0x4000, 16, 7)
	p.ReleaseMem(0x5000, 1)
	p.Nop(3)
	f.Add(dwordBytes(p.Dwords()), false, uint8(3))
	var s SDMA
	s.Copy(0x1000, 0x2000, 64)
	s.Write(0x3000, []byte{1, 2, 3, 4})
	s.Fill(0x4000, 64, 9)
	s.Fence(0x5000, 2)
	s.Nop(2)
	f.Add(dwordBytes(s.Dwords()), true, uint8(5))
	f.Add([]byte{0x00, 0x10, 0x3F, 0xC0}, false, uint8(0)) // NOP count past the end

	f.Fuzz(func(t *testing.T, data []byte, sdma bool, ver uint8) {
		ib := make([]uint32, len(data)/4)
		for i := range ib {
			ib[i] = binary.LittleEndian.Uint32(data[4*i:])
		}
		if sdma {
			v := fuzzSDMAVersions[int(ver)%len(fuzzSDMAVersions)]
			p, err := DecodeSDMA(ib, v)
			if err != nil {
				return
			}
			b := SDMA{Version: v}
			want := reencodeSDMA(&b, p.Ops)
			if err := b.Err(); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			q, err := DecodeSDMA(b.Dwords(), v)
			if err != nil {
				t.Fatalf("decode of re-encoded IB: %v", err)
			}
			if diff := cmp.Diff(normalize(want), normalize(encodable(q.Ops, 0)), cmpOpts...); diff != "" {
				t.Fatalf("SDMA %d round trip (-want +got):\n%s", v, diff)
			}
			return
		}
		gfx := GFX6 + GfxLevel(int(ver)%7)
		p, err := DecodePM4(ib, gfx)
		if err != nil {
			return
		}
		b := PM4{Gfx: gfx}
		want := reencodePM4(&b, p.Ops, gfx)
		if err := b.Err(); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		q, err := DecodePM4(b.Dwords(), gfx)
		if err != nil {
			t.Fatalf("decode of re-encoded IB: %v", err)
		}
		if diff := cmp.Diff(normalize(want), normalize(encodable(q.Ops, gfx)), cmpOpts...); diff != "" {
			t.Fatalf("GFX%d round trip (-want +got):\n%s", gfx, diff)
		}
	})
}

func dwordBytes(w []uint32) []byte {
	b := make([]byte, 4*len(w))
	for i, d := range w {
		binary.LittleEndian.PutUint32(b[4*i:], d)
	}
	return b
}

// encodable keeps the ops the builders can emit (gfx 0: SDMA).
func encodable(ops []Op, gfx GfxLevel) []Op {
	var out []Op
	for _, op := range ops {
		switch o := op.(type) {
		case Write, Annotation:
			out = append(out, op)
		case FenceWrite:
			// EVENT_WRITE_EOP (GFX6-8) carries 48-bit addresses.
			if gfx == 0 || gfx >= GFX9 || o.VA < 1<<48 {
				out = append(out, op)
			}
		case Copy:
			if gfx == 0 || gfx >= GFX7 || (o.Len == 4 || o.Len == 8) && o.Src%o.Len == 0 && o.Dst%o.Len == 0 {
				out = append(out, op)
			}
		case Fill:
			if (gfx == 0 || gfx >= GFX7) && o.VA%4 == 0 && o.Len%4 == 0 {
				out = append(out, op)
			}
		}
	}
	return out
}

func reencodePM4(b *PM4, ops []Op, gfx GfxLevel) []Op {
	want := encodable(ops, gfx)
	for _, op := range want {
		switch o := op.(type) {
		case Write:
			b.WriteData(o.VA, o.Data)
		case Copy:
			if (o.Len == 4 || o.Len == 8) && o.Src%o.Len == 0 && o.Dst%o.Len == 0 {
				b.CopyData(o.Src, o.Dst, int(o.Len))
			} else {
				b.DMAData(o.Src, o.Dst, o.Len)
			}
		case Fill:
			b.DMAFill(o.VA, o.Len, o.Pattern)
		case FenceWrite:
			if o.Size == 8 {
				b.ReleaseMem64(o.VA, o.Value)
			} else {
				b.ReleaseMem(o.VA, uint32(o.Value))
			}
		case Annotation:
			b.Annotate(o)
		}
	}
	return want
}

func reencodeSDMA(b *SDMA, ops []Op) []Op {
	want := encodable(ops, 0)
	for _, op := range want {
		switch o := op.(type) {
		case Write:
			b.Write(o.VA, o.Data)
		case Copy:
			b.Copy(o.Src, o.Dst, o.Len)
		case Fill:
			b.Fill(o.VA, o.Len, o.Pattern)
		case FenceWrite:
			b.Fence(o.VA, uint32(o.Value))
		}
	}
	return want
}

// normalize merges contiguous Copies, Fills and Writes that a builder may
// have split.
func normalize(ops []Op) []Op {
	var out []Op
	for _, op := range ops {
		if n := len(out); n > 0 {
			switch o := op.(type) {
			case Copy:
				if p, ok := out[n-1].(Copy); ok && p.Src+p.Len == o.Src && p.Dst+p.Len == o.Dst {
					p.Len += o.Len
					out[n-1] = p
					continue
				}
			case Fill:
				if p, ok := out[n-1].(Fill); ok && p.VA+p.Len == o.VA && p.Pattern == o.Pattern && p.Len%4 == 0 {
					p.Len += o.Len
					out[n-1] = p
					continue
				}
			case Write:
				if p, ok := out[n-1].(Write); ok && p.VA+uint64(len(p.Data)) == o.VA {
					p.Data = append(append([]byte(nil), p.Data...), o.Data...)
					out[n-1] = p
					continue
				}
			}
		}
		out = append(out, op)
	}
	return out
}
