package pkt

import "fmt"

// GfxLevel is a graphics IP generation, as Mesa's enum amd_gfx_level
// (src/amd/common/amd_family.h) names them: GFX6 (Southern Islands) to
// GFX12. Minor levels (GFX10_3, GFX11_5) decode as their major level: the
// modelled packets do not differ between them.
type GfxLevel int

// Graphics levels.
const (
	GFX6  GfxLevel = 6
	GFX7  GfxLevel = 7
	GFX8  GfxLevel = 8
	GFX9  GfxLevel = 9
	GFX10 GfxLevel = 10
	GFX11 GfxLevel = 11
	GFX12 GfxLevel = 12
)

// PM4 header fields and opcodes, from Mesa src/amd/common/sid.h.
const (
	PKT3_NOP             = 0x10
	PKT3_WRITE_DATA      = 0x37
	PKT3_COPY_DATA       = 0x40
	PKT3_EVENT_WRITE_EOP = 0x47 // GFX6-8
	PKT3_RELEASE_MEM     = 0x49 // GFX9+ any ring, GFX7-8 compute
	PKT3_DMA_DATA        = 0x50 // GFX7+

	// PKT3_NOP_PAD is the header-only NOP: count 0x3FFF means no body.
	PKT3_NOP_PAD uint32 = 0xFFFF1000
	// PKT2_NOP_PAD is the type-2 filler dword.
	PKT2_NOP_PAD uint32 = 0x80000000
)

// PKT3 returns a type-3 header: PKT_TYPE_S(3) | PKT_COUNT_S(count) |
// PKT3_IT_OPCODE_S(op) | PKT3_PREDICATE(predicate), as sid.h's PKT3().
// count is the number of body dwords minus one.
func PKT3(op uint8, count int, predicate bool) uint32 {
	h := 3<<30 | uint32(count&0x3FFF)<<16 | uint32(op)<<8
	if predicate {
		h |= 1
	}
	return h
}

// WRITE_DATA control dword (sid.h S_370_*).
const (
	wdDstReg     = 0 // V_370_MEM_MAPPED_REGISTER
	wdDstMemGRBM = 1 // V_370_MEMORY_SYNC / MEM_GRBM
	wdDstTCL2    = 2 // V_370_TC_L2
	wdDstGDS     = 3 // V_370_GDS
	wdDstMem     = 5 // V_370_MEM (MEM_ASYNC on GFX6)

	wdWrOneAddr = 1 << 16 // S_370_WR_ONE_ADDR
	wdWrConfirm = 1 << 20 // S_370_WR_CONFIRM
)

// COPY_DATA control dword (sid.h COPY_DATA_*; PAL ME_COPY_DATA enums).
const (
	cdReg       = 0
	cdSrcMem    = 1 // COPY_DATA_SRC_MEM; tc_l2_obsolete on GFX10+
	cdTCL2      = 2
	cdGDS       = 3
	cdPerf      = 4
	cdImm       = 5 // source only
	cdDstMem    = 5 // destination: COPY_DATA_DST_MEM
	cdAtomicRet = 6
	cdGDSAtom0  = 7
	cdGDSAtom1  = 8
	cdGPUClock  = 9
	cdSysClock  = 10

	cdCountSel  = 1 << 16 // 64-bit
	cdWrConfirm = 1 << 20
)

// DMA_DATA (CP DMA) fields: word 0 per sid.h S_411_*/S_500_*, COMMAND
// per S_415_* (GFX7-8: BYTE_COUNT [20:0]; GFX9+: [25:0], PAL
// PM4_PFP_DMA_DATA).
const (
	ddSrcAddr    = 0 // memory (or register with SAS)
	ddSrcGDS     = 1
	ddSrcData    = 2
	ddSrcAddrL2  = 3
	ddDstAddr    = 0 // memory (or register with DAS)
	ddDstGDS     = 1
	ddDstNowhere = 2 // GFX12
	ddDstAddrL2  = 3

	ddCPSync = 1 << 31

	ddSAS  = 1 << 26
	ddDAS  = 1 << 27
	ddSAIC = 1 << 28
	ddDAIC = 1 << 29
)

// EVENT_WRITE_EOP / RELEASE_MEM selectors (sid.h EOP_*).
const (
	eopDstMem  = 0
	eopDstTCL2 = 1

	eopDataDiscard   = 0
	eopData32        = 1
	eopData64        = 2
	eopDataTimestamp = 3
	eopDataSysClock  = 4 // 64-bit system counter (soc15d.h)
	eopDataGDS       = 5

	// cacheFlushAndInvTSEvent | EVENT_INDEX(5), the event the kernel's
	// fences use.
	eopEventCntl = 0x14 | 5<<8
)

func checkGfx(gfx GfxLevel) error {
	if gfx < GFX6 || gfx > GFX12 {
		return fmt.Errorf("pm4: gfx level %d: %w", int(gfx), ErrUnsupported)
	}
	return nil
}

// DecodePM4 decodes a PM4 IB (a gfx or compute ring IB) for a device of the
// given graphics level.
//
// Type-3 packets are decoded per Mesa src/amd/common/sid.h; see the package
// documentation for the modelled subset. Every other type-3 packet is an
// Unknown op that makes the accesses of the program unknown. Type-2 dwords
// are filler, as on real parts. Type-0 and type-1 headers, and packets that
// run past the end of ib, are errors (*DecodeError wrapping ErrBadHeader,
// ErrTruncated, ErrBadPacket or ErrBadAnnotation). DecodePM4 never panics;
// it is safe for concurrent use and does not retain ib.
func DecodePM4(ib []uint32, gfx GfxLevel) (Program, error) {
	if err := checkGfx(gfx); err != nil {
		return Program{}, err
	}
	p := Program{Engine: EnginePM4, Stats: Stats{ByOpcode: map[uint8]int{}}}
	for off := 0; off < len(ib); {
		h := ib[off]
		switch h >> 30 {
		case 0, 1:
			return Program{}, decodeErr(EnginePM4, off, ErrBadHeader, "type-%d header %#08x", h>>30, h)
		case 2:
			// Type-2: a one-dword filler the CP skips.
			p.Stats.Packets++
			p.Stats.Filler++
			p.add(off, Nop{Dwords: 1})
			off++
			continue
		}
		op := uint8(h >> 8)
		count := int(h>>16) & 0x3FFF
		p.Stats.Packets++
		p.Stats.ByOpcode[op]++
		if h&1 != 0 {
			p.Stats.Predicated++
		}
		if op == PKT3_NOP && count == 0x3FFF {
			p.add(off, Nop{Dwords: 1})
			off++
			continue
		}
		n := count + 2 // header + count+1 body dwords
		if n > len(ib)-off {
			return Program{}, decodeErr(EnginePM4, off, ErrTruncated,
				"opcode %#02x needs %d dwords, %d left", op, n, len(ib)-off)
		}
		if err := decodePKT3(&p, ib[off:off+n], off, gfx); err != nil {
			return Program{}, err
		}
		off += n
	}
	p.finish()
	return p, nil
}

func addr(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }

func unknownPkt(p *Program, pk []uint32, off int, op uint8, cause string) {
	p.add(off, Unknown{Opcode: op, Dwords: append([]uint32(nil), pk...)})
	p.unknownAccess(off, op, cause)
}

// decodePKT3 decodes one complete type-3 packet pk (header included) at
// dword offset off.
func decodePKT3(p *Program, pk []uint32, off int, gfx GfxLevel) error {
	op := uint8(pk[0] >> 8)
	body := pk[1:]
	short := func(name string, need int) error {
		return decodeErr(EnginePM4, off, ErrBadPacket, "%s body of %d dwords, need %d", name, len(body), need)
	}
	switch {
	case op == PKT3_NOP:
		if len(body) > 0 && body[0] == AnnotationMagic {
			a, ok, err := decodeAnnotation(body, off+1)
			if err != nil {
				return err
			}
			if ok {
				p.Stats.Annotations++
				if a.Complete {
					p.Complete = true
				}
				p.add(off, a)
				return nil
			}
			p.Stats.ForeignAnnotations++
		}
		p.add(off, Nop{Dwords: len(pk)})
	case op == PKT3_WRITE_DATA:
		if len(body) < 3 {
			return short("WRITE_DATA", 3)
		}
		decodeWriteData(p, pk, off)
	case op == PKT3_COPY_DATA:
		if len(body) < 5 {
			return short("COPY_DATA", 5)
		}
		decodeCopyData(p, pk, off)
	case op == PKT3_DMA_DATA && gfx >= GFX7:
		if len(body) < 6 {
			return short("DMA_DATA", 6)
		}
		decodeDMAData(p, pk, off, gfx)
	case op == PKT3_EVENT_WRITE_EOP && gfx <= GFX8:
		if len(body) < 5 {
			return short("EVENT_WRITE_EOP", 5)
		}
		// body: EVENT_CNTL, ADDR_LO, DATA_SEL|INT_SEL|DST_SEL|ADDR_HI[15:0], DATA_LO, DATA_HI
		sel := body[2]
		decodeEOPWrite(p, pk, off, (sel>>16)&3, sel>>29, addr(body[1], sel&0xFFFF), body[3], body[4])
	case op == PKT3_RELEASE_MEM && gfx >= GFX7:
		if len(body) < 6 {
			return short("RELEASE_MEM", 6)
		}
		// body: EVENT_CNTL, DATA_SEL|INT_SEL|DST_SEL, ADDR_LO, ADDR_HI, DATA_LO, DATA_HI[, INT_CTXID]
		sel := body[1]
		decodeEOPWrite(p, pk, off, (sel>>16)&3, sel>>29, addr(body[2], body[3]), body[4], body[5])
	default:
		unknownPkt(p, pk, off, op, "packet not modelled")
	}
	return nil
}

func decodeWriteData(p *Program, pk []uint32, off int) {
	c := pk[1]
	va := addr(pk[2], pk[3])
	data := pk[4:]
	switch (c >> 8) & 0xF {
	case wdDstMemGRBM, wdDstTCL2, wdDstMem:
		if len(data) == 0 {
			p.add(off, Nop{Dwords: len(pk)})
			return
		}
		if c&wdWrOneAddr != 0 {
			// Every dword goes to the same address: the last one stays.
			data = data[len(data)-1:]
		}
		p.add(off, Write{VA: va &^ 3, Data: dwordsToBytes(data)})
	case wdDstGDS:
		// GDS is on-chip memory outside the VA space: no memory op.
		p.add(off, Nop{Dwords: len(pk)})
	case wdDstReg:
		unknownPkt(p, pk, off, PKT3_WRITE_DATA, "WRITE_DATA to a register")
	default:
		unknownPkt(p, pk, off, PKT3_WRITE_DATA, fmt.Sprintf("WRITE_DATA DST_SEL %d not modelled", (c>>8)&0xF))
	}
}

func decodeCopyData(p *Program, pk []uint32, off int) {
	c := pk[1]
	src, dst := c&0xF, (c>>8)&0xF
	size, mask := uint64(4), uint64(3)
	if c&cdCountSel != 0 {
		size, mask = 8, 7
	}
	srcVA := addr(pk[2], pk[3]) &^ mask
	dstVA := addr(pk[4], pk[5]) &^ mask

	var dstMem bool
	switch dst {
	case cdSrcMem, cdTCL2, cdDstMem: // 1, 2, 5 are memory destinations
		dstMem = true
	case cdGDS:
	case cdReg, cdPerf:
		defer p.unknownAccess(off, PKT3_COPY_DATA, "COPY_DATA to a register")
	default:
		// An unknown destination may be memory.
		unknownPkt(p, pk, off, PKT3_COPY_DATA, fmt.Sprintf("COPY_DATA DST_SEL %d not modelled", dst))
		return
	}
	var srcSource Source
	switch src {
	case cdSrcMem, cdTCL2:
		if dstMem {
			p.add(off, Copy{Src: srcVA, Dst: dstVA, Len: size})
		} else {
			p.add(off, Read{VA: srcVA, Len: size})
		}
		return
	case cdImm:
		if dstMem {
			w := []uint32{pk[2]}
			if size == 8 {
				w = append(w, pk[3])
			}
			p.add(off, Write{VA: dstVA, Data: dwordsToBytes(w)})
		} else {
			p.add(off, Nop{Dwords: len(pk)})
		}
		return
	case cdReg, cdPerf:
		srcSource = SourceRegister
	case cdGDS, cdGDSAtom0, cdGDSAtom1:
		srcSource = SourceGDS
	case cdAtomicRet:
		srcSource = SourceAtomicReturn
	case cdGPUClock, cdSysClock:
		srcSource = SourceTimestamp
	default:
		p.unknownAccess(off, PKT3_COPY_DATA, fmt.Sprintf("COPY_DATA SRC_SEL %d not modelled", src))
		srcSource = SourceUnknown
	}
	if dstMem {
		p.add(off, OpaqueWrite{VA: dstVA, Len: size, Source: srcSource})
	} else {
		p.add(off, Nop{Dwords: len(pk)})
	}
}

func decodeDMAData(p *Program, pk []uint32, off int, gfx GfxLevel) {
	c, cmd := pk[1], pk[6]
	srcSel, dstSel := (c>>29)&3, (c>>20)&3
	n := uint64(cmd & 0x1FFFFF)
	if gfx >= GFX9 {
		n = uint64(cmd & 0x3FFFFFF)
	}
	srcVA, dstVA := addr(pk[2], pk[3]), addr(pk[4], pk[5])

	type kind int
	const (
		mem kind = iota
		reg
		gds
		data
		nowhere
		other
	)
	var s, d kind
	switch {
	case srcSel == ddSrcData:
		s = data
	case srcSel == ddSrcGDS:
		s = gds
	case cmd&ddSAS != 0:
		s = reg
	default: // ddSrcAddr, ddSrcAddrL2
		s = mem
	}
	switch {
	case dstSel == ddDstNowhere && gfx >= GFX12:
		d = nowhere
	case dstSel == ddDstNowhere:
		d = other
	case dstSel == ddDstGDS:
		d = gds
	case cmd&ddDAS != 0:
		d = reg
	default: // ddDstAddr, ddDstAddrL2
		d = mem
	}
	if n == 0 {
		p.add(off, Nop{Dwords: len(pk)})
		return
	}
	if d == other {
		unknownPkt(p, pk, off, PKT3_DMA_DATA, fmt.Sprintf("DMA_DATA DST_SEL %d not modelled", dstSel))
		return
	}
	if d == reg {
		p.unknownAccess(off, PKT3_DMA_DATA, "DMA_DATA to a register")
	}
	// No-increment addressing reads or writes one dword over and over.
	srcLen, dstLen := n, n
	if cmd&ddSAIC != 0 {
		srcLen = 4
	}
	if cmd&ddDAIC != 0 {
		dstLen = 4
	}
	switch {
	case s == mem && d == mem && srcLen == n && dstLen == n:
		p.add(off, Copy{Src: srcVA, Dst: dstVA, Len: n})
	case s == data && d == mem:
		p.add(off, Fill{VA: dstVA, Len: dstLen, Pattern: pk[2]})
	case d == mem:
		if s == mem {
			p.add(off, Read{VA: srcVA, Len: srcLen})
		}
		src := SourceRegister
		switch s {
		case gds:
			src = SourceGDS
		case mem:
			// Copy with a no-increment side: the bytes are a
			// repetition vmemu does not compute.
			src = SourceUnknown
		}
		p.add(off, OpaqueWrite{VA: dstVA, Len: dstLen, Source: src})
	case s == mem: // to a register, GDS or nowhere (prefetch)
		p.add(off, Read{VA: srcVA, Len: srcLen})
	default:
		p.add(off, Nop{Dwords: len(pk)})
	}
}

func decodeEOPWrite(p *Program, pk []uint32, off int, dstSel, dataSel uint32, va uint64, lo, hi uint32) {
	op := uint8(pk[0] >> 8)
	if dataSel == eopDataDiscard {
		p.add(off, Nop{Dwords: len(pk)})
		return
	}
	if dstSel != eopDstMem && dstSel != eopDstTCL2 {
		// RELEASE_MEM DST_SEL 2/3 write queue write-pointer registers.
		unknownPkt(p, pk, off, op, fmt.Sprintf("end-of-pipe write to DST_SEL %d not modelled", dstSel))
		return
	}
	switch dataSel {
	case eopData32:
		p.add(off, FenceWrite{VA: va &^ 3, Value: uint64(lo), Size: 4})
	case eopData64:
		p.add(off, FenceWrite{VA: va &^ 7, Value: addr(lo, hi), Size: 8})
	case eopDataTimestamp, eopDataSysClock:
		p.add(off, OpaqueWrite{VA: va &^ 7, Len: 8, Source: SourceTimestamp})
	case eopDataGDS:
		// DATA_LO = EOP_DATA_GDS(dw_offset, num_dwords).
		p.add(off, OpaqueWrite{VA: va &^ 3, Len: 4 * uint64(lo>>16), Source: SourceGDS})
	default:
		unknownPkt(p, pk, off, op, fmt.Sprintf("end-of-pipe DATA_SEL %d not modelled", dataSel))
	}
}
