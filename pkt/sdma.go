package pkt

import "fmt"

// SDMAVersion is an SDMA IP version as major*10 + minor: SDMA2_0 (CIK,
// cik_sdma.c) to SDMA6_0 and later 6.x. SI's DMA engine (a different
// packet format) and SDMA 7 are not supported.
type SDMAVersion int

// SDMA versions.
const (
	SDMA2_0 SDMAVersion = 20 // CIK
	SDMA2_4 SDMAVersion = 24 // Iceland/Topaz
	SDMA3_0 SDMAVersion = 30 // VI
	SDMA4_0 SDMAVersion = 40 // Vega
	SDMA4_4 SDMAVersion = 44 // Aldebaran, MI300
	SDMA5_0 SDMAVersion = 50 // Navi1x
	SDMA5_2 SDMAVersion = 52 // Navi2x
	SDMA6_0 SDMAVersion = 60 // Navi3x
)

// SDMA opcodes, from Mesa src/amd/common/sid.h (SDMA_OPCODE_*) and the
// kernel's drivers/gpu/drm/amd/amdgpu/sdma_v5_0.c / sdma_v6_0.c
// (SDMA_OP_*).
const (
	SDMA_OP_NOP         = 0
	SDMA_OP_COPY        = 1
	SDMA_OP_WRITE       = 2
	SDMA_OP_INDIRECT    = 4
	SDMA_OP_FENCE       = 5
	SDMA_OP_TRAP        = 6
	SDMA_OP_POLL_REGMEM = 8
	SDMA_OP_COND_EXE    = 9
	SDMA_OP_CONST_FILL  = 11
	SDMA_OP_SRBM_WRITE  = 14

	SDMA_SUBOP_COPY_LINEAR  = 0
	SDMA_SUBOP_WRITE_LINEAR = 0

	sdmaCopyTMZ       = 1 << 18 // SDMA_PKT_COPY_LINEAR_HEADER_TMZ
	sdmaPollMem       = 1 << 31 // SDMA_POLL_MEM
	sdmaFillSizeShift = 30      // SDMA_PKT_CONSTANT_FILL_HEADER_fillsize
	sdmaFillByte      = 0
	sdmaFillDword     = 2
)

// SDMAHeader returns an SDMA packet header: op [7:0], sub_op [15:8], extra
// [31:16], as sid.h's SDMA_PACKET().
func SDMAHeader(op, subOp uint8, extra uint16) uint32 {
	return uint32(extra)<<16 | uint32(subOp)<<8 | uint32(op)
}

func checkSDMA(v SDMAVersion) error {
	if v < SDMA2_0 || v >= 70 {
		return fmt.Errorf("sdma: version %d.%d: %w", int(v)/10, int(v)%10, ErrUnsupported)
	}
	return nil
}

// countMinusOne reports whether byte and dword counts are encoded minus one
// (SDMA 4.0 and later: sdma_v4_0.c emits byte_count - 1, sdma_v3_0.c
// byte_count; libdrm's amdgpu tests switch at AMDGPU_FAMILY_AI).
func (v SDMAVersion) countMinusOne() bool { return v >= SDMA4_0 }

// countMask is the width of COPY_LINEAR and CONST_FILL counts: 22 bits, 30
// on SDMA 4.4 and 5.2+ (copy_max_bytes 1<<22 vs 1<<30 in the kernel).
func (v SDMAVersion) countMask() uint32 {
	if v == SDMA4_4 || v >= SDMA5_2 {
		return 0x3FFFFFFF
	}
	return 0x3FFFFF
}

// DecodeSDMA decodes an SDMA IB for the given SDMA version.
//
// Packets are decoded per the kernel's sdma_v*_*.c emitters and
// *_sdma_pkt_open.h headers; see the package documentation for the subset.
// SDMA headers carry no generic length, so an opcode vmemu cannot size
// ends the decode: the rest of the IB becomes one Unknown op and the
// accesses of the program are unknown. A modelled packet that runs past the
// end of ib is an error (*DecodeError wrapping ErrTruncated). DecodeSDMA
// never panics; it is safe for concurrent use and does not retain ib.
func DecodeSDMA(ib []uint32, v SDMAVersion) (Program, error) {
	if err := checkSDMA(v); err != nil {
		return Program{}, err
	}
	p := Program{Engine: EngineSDMA, Stats: Stats{ByOpcode: map[uint8]int{}}}
	for off := 0; off < len(ib); {
		h := ib[off]
		op, sub := uint8(h), uint8(h>>8)
		p.Stats.Packets++
		p.Stats.ByOpcode[op]++
		need := func(name string, n int) error {
			if n > len(ib)-off {
				return decodeErr(EngineSDMA, off, ErrTruncated, "%s needs %d dwords, %d left", name, n, len(ib)-off)
			}
			return nil
		}
		rest := func(cause string) {
			unknownPkt(&p, ib[off:], off, op, cause)
			off = len(ib)
		}
		switch {
		case op == SDMA_OP_NOP:
			// SDMA_PKT_NOP_HEADER_COUNT [29:16]: dwords that follow.
			n := 1 + int(h>>16)&0x3FFF
			if err := need("NOP", n); err != nil {
				return Program{}, err
			}
			p.add(off, Nop{Dwords: n})
			off += n
		case op == SDMA_OP_COPY && sub == SDMA_SUBOP_COPY_LINEAR:
			if h>>16&^(sdmaCopyTMZ>>16) != 0 {
				// Broadcast and DCC variants have other layouts.
				rest(fmt.Sprintf("COPY_LINEAR header flags %#x not modelled", h>>16))
				continue
			}
			if err := need("COPY_LINEAR", 7); err != nil {
				return Program{}, err
			}
			n := uint64(ib[off+1] & v.countMask())
			if v.countMinusOne() {
				n++
			}
			if n > 0 {
				p.add(off, Copy{Src: addr(ib[off+3], ib[off+4]), Dst: addr(ib[off+5], ib[off+6]), Len: n})
			} else {
				p.add(off, Nop{Dwords: 7})
			}
			off += 7
		case op == SDMA_OP_WRITE && sub == SDMA_SUBOP_WRITE_LINEAR:
			if err := need("WRITE_LINEAR", 4); err != nil {
				return Program{}, err
			}
			ndw := uint64(ib[off+3])
			if v.countMinusOne() {
				ndw++
			}
			if ndw > uint64(len(ib)-off-4) {
				return Program{}, decodeErr(EngineSDMA, off, ErrTruncated,
					"WRITE_LINEAR of %d dwords, %d left", ndw, len(ib)-off-4)
			}
			end := off + 4 + int(ndw)
			if ndw > 0 {
				p.add(off, Write{VA: addr(ib[off+1], ib[off+2]) &^ 3, Data: dwordsToBytes(ib[off+4 : end])})
			} else {
				p.add(off, Nop{Dwords: 4})
			}
			off = end
		case op == SDMA_OP_FENCE:
			if err := need("FENCE", 4); err != nil {
				return Program{}, err
			}
			p.add(off, FenceWrite{VA: addr(ib[off+1], ib[off+2]) &^ 3, Value: uint64(ib[off+3]), Size: 4})
			off += 4
		case op == SDMA_OP_CONST_FILL:
			if err := need("CONST_FILL", 5); err != nil {
				return Program{}, err
			}
			n := uint64(ib[off+4] & v.countMask())
			if v.countMinusOne() {
				n++
			}
			pat := ib[off+3]
			switch h >> sdmaFillSizeShift {
			case sdmaFillDword:
			case sdmaFillByte:
				pat = (pat & 0xFF) * 0x01010101
			default:
				rest(fmt.Sprintf("CONST_FILL fillsize %d not modelled", h>>sdmaFillSizeShift))
				continue
			}
			if n > 0 {
				p.add(off, Fill{VA: addr(ib[off+1], ib[off+2]), Len: n, Pattern: pat})
			} else {
				p.add(off, Nop{Dwords: 5})
			}
			off += 5
		case op == SDMA_OP_TRAP:
			// Interrupt only: header, INT_CONTEXT.
			if err := need("TRAP", 2); err != nil {
				return Program{}, err
			}
			p.add(off, Nop{Dwords: 2})
			off += 2
		case op == SDMA_OP_POLL_REGMEM:
			// header, ADDR_LO, ADDR_HI, VALUE, MASK, DW5.
			if err := need("POLL_REGMEM", 6); err != nil {
				return Program{}, err
			}
			if h&sdmaPollMem != 0 {
				p.add(off, Read{VA: addr(ib[off+1], ib[off+2]) &^ 3, Len: 4})
			} else {
				// Register poll, optionally with an HDP flush: no
				// memory access.
				p.add(off, Nop{Dwords: 6})
			}
			off += 6
		case op == SDMA_OP_COND_EXE:
			// header, ADDR_LO, ADDR_HI, REFERENCE, EXEC_COUNT. The
			// following packets are decoded as if they execute.
			if err := need("COND_EXE", 5); err != nil {
				return Program{}, err
			}
			p.add(off, Read{VA: addr(ib[off+1], ib[off+2]) &^ 3, Len: 4})
			off += 5
		case op == SDMA_OP_SRBM_WRITE:
			// header, register, value.
			if err := need("SRBM_WRITE", 3); err != nil {
				return Program{}, err
			}
			unknownPkt(&p, ib[off:off+3], off, op, "SRBM_WRITE to a register")
			off += 3
		case op == SDMA_OP_INDIRECT:
			// header, IB base lo/hi, size, CSA lo/hi.
			if err := need("INDIRECT", 6); err != nil {
				return Program{}, err
			}
			unknownPkt(&p, ib[off:off+6], off, op, "nested indirect buffer")
			off += 6
		default:
			rest(fmt.Sprintf("SDMA op %d sub-op %d not modelled; its length is unknown, %d dwords not decoded",
				op, sub, len(ib)-off))
		}
	}
	p.finish()
	return p, nil
}
