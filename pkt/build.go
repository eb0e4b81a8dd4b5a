package pkt

import "fmt"

// PM4 builds a PM4 IB. The zero value builds for GFX9 and later; set Gfx
// for an older level. Methods append packets; arguments the builder cannot
// encode are recorded in a sticky error (Err) and emit nothing. A PM4 is
// not safe for concurrent use.
type PM4 struct {
	// Gfx selects the encodings (RELEASE_MEM vs EVENT_WRITE_EOP, DMA_DATA
	// byte-count width, NOP padding). Zero means GFX9.
	Gfx GfxLevel

	dw  []uint32
	err error
}

func (b *PM4) gfx() GfxLevel {
	if b.Gfx == 0 {
		return GFX9
	}
	return b.Gfx
}

func (b *PM4) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("pm4: %w: %s", ErrBuild, fmt.Sprintf(format, args...))
	}
}

// Dwords returns the IB built so far. The slice aliases the builder's
// buffer until the next append.
func (b *PM4) Dwords() []uint32 { return b.dw }

// Err returns the first encoding error, or nil.
func (b *PM4) Err() error { return b.err }

// Reset empties the builder, keeping Gfx.
func (b *PM4) Reset() { b.dw, b.err = b.dw[:0], nil }

func (b *PM4) pkt3(op uint8, body ...uint32) {
	b.dw = append(b.dw, PKT3(op, len(body)-1, false))
	b.dw = append(b.dw, body...)
}

// maxWriteDataDwords is the most data dwords in one WRITE_DATA: count
// (14 bits) = 2 + data dwords.
const maxWriteDataDwords = 0x3FFF - 2

// WriteData stores data (a multiple of 4 bytes) at va with WRITE_DATA,
// DST_SEL memory, WR_CONFIRM, ENGINE_SEL ME — the packet radv's
// radv_cs_write_data() emits. Long data is split into several packets.
func (b *PM4) WriteData(va uint64, data []byte) {
	if len(data) == 0 || len(data)%4 != 0 || va%4 != 0 {
		b.fail("WRITE_DATA of %d bytes at %#x: need a non-zero multiple of 4 bytes at a 4-byte aligned address", len(data), va)
		return
	}
	w := bytesToDwords(data)
	for len(w) > 0 {
		n := min(len(w), maxWriteDataDwords)
		body := make([]uint32, 0, 3+n)
		body = append(body, wdDstMem<<8|wdWrConfirm, uint32(va), uint32(va>>32))
		b.pkt3(PKT3_WRITE_DATA, append(body, w[:n]...)...)
		w, va = w[n:], va+4*uint64(n)
	}
}

// CopyData copies n bytes (4 or 8) from src to dst with COPY_DATA,
// SRC_SEL memory, DST_SEL memory, WR_CONFIRM.
func (b *PM4) CopyData(src, dst uint64, n int) {
	var c uint32 = cdSrcMem | cdDstMem<<8 | cdWrConfirm
	switch {
	case n == 4 && src%4 == 0 && dst%4 == 0:
	case n == 8 && src%8 == 0 && dst%8 == 0:
		c |= cdCountSel
	default:
		b.fail("COPY_DATA of %d bytes %#x -> %#x: need 4 or 8 bytes, naturally aligned", n, src, dst)
		return
	}
	b.pkt3(PKT3_COPY_DATA, c, uint32(src), uint32(src>>32), uint32(dst), uint32(dst>>32))
}

// CopyImmediate stores the low n bytes (4 or 8) of value at dst with
// COPY_DATA, SRC_SEL immediate.
func (b *PM4) CopyImmediate(dst uint64, value uint64, n int) {
	var c uint32 = cdImm | cdDstMem<<8 | cdWrConfirm
	switch {
	case n == 4 && dst%4 == 0:
	case n == 8 && dst%8 == 0:
		c |= cdCountSel
	default:
		b.fail("COPY_DATA immediate of %d bytes at %#x: need 4 or 8 bytes, naturally aligned", n, dst)
		return
	}
	b.pkt3(PKT3_COPY_DATA, c, uint32(value), uint32(value>>32), uint32(dst), uint32(dst>>32))
}

// dmaMaxBytes is the largest CP DMA transfer per packet, aligned down to 32
// bytes as Mesa's cp_dma_max_byte_count() does (GFX11+: 32767).
func dmaMaxBytes(gfx GfxLevel) uint64 {
	var m uint64
	switch {
	case gfx >= GFX11:
		m = 32767
	case gfx >= GFX9:
		m = 0x3FFFFFF
	default:
		m = 0x1FFFFF
	}
	return m &^ 31
}

// DMAData copies n bytes from src to dst with DMA_DATA (CP DMA), source
// and destination through L2, CP_SYNC set, as Mesa's si_emit_cp_dma().
// Large copies are split. GFX7 or later.
func (b *PM4) DMAData(src, dst, n uint64) {
	b.dmaData(ddSrcAddrL2, src, dst, n)
}

// DMAFill fills n bytes at dst with the 32-bit pattern using DMA_DATA with
// SRC_SEL DATA (Mesa's CP_DMA_CLEAR). n must be a multiple of 4. GFX7 or
// later.
func (b *PM4) DMAFill(dst, n uint64, pattern uint32) {
	if n%4 != 0 || dst%4 != 0 {
		b.fail("DMA_DATA fill of %d bytes at %#x: need a multiple of 4 bytes at a 4-byte aligned address", n, dst)
		return
	}
	b.dmaData(ddSrcData, uint64(pattern), dst, n)
}

func (b *PM4) dmaData(srcSel uint32, src, dst, n uint64) {
	gfx := b.gfx()
	if gfx < GFX7 {
		b.fail("DMA_DATA needs GFX7 or later, have GFX%d", int(gfx))
		return
	}
	if n == 0 {
		b.fail("DMA_DATA of 0 bytes")
		return
	}
	max := dmaMaxBytes(gfx)
	for n > 0 {
		c := min(n, max)
		b.pkt3(PKT3_DMA_DATA,
			ddCPSync|srcSel<<29|ddDstAddrL2<<20,
			uint32(src), uint32(src>>32), uint32(dst), uint32(dst>>32),
			uint32(c))
		if srcSel != ddSrcData {
			src += c
		}
		dst, n = dst+c, n-c
	}
}

// ReleaseMem writes the 32-bit value to va at end of pipe, after a cache
// flush: RELEASE_MEM on GFX9+ (8 dwords) or EVENT_WRITE_EOP on GFX6-8
// (6 dwords, 48-bit addresses), event CACHE_FLUSH_AND_INV_TS_EVENT,
// DATA_SEL 32-bit, no interrupt — the fence packet of the kernel's
// gfx_v*_ring_emit_fence().
func (b *PM4) ReleaseMem(va uint64, value uint32) {
	b.releaseMem(va, uint64(value), eopData32)
}

// ReleaseMem64 is ReleaseMem with a 64-bit value (DATA_SEL 64-bit).
func (b *PM4) ReleaseMem64(va uint64, value uint64) {
	b.releaseMem(va, value, eopData64)
}

func (b *PM4) releaseMem(va, value uint64, dataSel uint32) {
	align := uint64(4)
	if dataSel == eopData64 {
		align = 8
	}
	if va%align != 0 {
		b.fail("end-of-pipe write at %#x: need %d-byte alignment", va, align)
		return
	}
	sel := dataSel << 29
	if b.gfx() < GFX9 && va >= 1<<48 {
		b.fail("EVENT_WRITE_EOP at %#x: ADDR_HI has 16 bits on GFX%d", va, int(b.gfx()))
		return
	}
	if b.gfx() >= GFX9 {
		b.pkt3(PKT3_RELEASE_MEM, eopEventCntl, sel, uint32(va), uint32(va>>32),
			uint32(value), uint32(value>>32), 0)
		return
	}
	b.pkt3(PKT3_EVENT_WRITE_EOP, eopEventCntl, uint32(va), sel|uint32(va>>32)&0xFFFF,
		uint32(value), uint32(value>>32))
}

// Nop appends n dwords of NOP: the header-only NOP (or type-2 filler on
// GFX6, as Mesa pads) for one dword, NOP packets with zero bodies for more.
func (b *PM4) Nop(n int) {
	for n > 0 {
		switch {
		case n == 1 && b.gfx() == GFX6:
			b.dw = append(b.dw, PKT2_NOP_PAD)
			n--
		case n == 1:
			b.dw = append(b.dw, PKT3_NOP_PAD)
			n--
		default:
			// A packet of k dwords has count k-2 <= 0x3FFE; never
			// leave a single dword behind unless n was 1.
			k := min(n, 0x3FFE+2)
			if n-k == 1 {
				k--
			}
			b.pkt3(PKT3_NOP, make([]uint32, k-1)...)
			n -= k
		}
	}
}

// Annotate appends a as a vmemu annotation NOP (docs/annotations.md).
func (b *PM4) Annotate(a Annotation) {
	body, err := encodeAnnotation(a)
	if err != nil {
		if b.err == nil {
			b.err = fmt.Errorf("pm4: %w", err)
		}
		return
	}
	b.pkt3(PKT3_NOP, body...)
}

// Reads appends an annotation: the IB reads [va, va+n).
func (b *PM4) Reads(va, n uint64) { b.Annotate(Annotation{Reads: []Range{{va, n}}}) }

// Writes appends an annotation: the IB writes [va, va+n).
func (b *PM4) Writes(va, n uint64) { b.Annotate(Annotation{Writes: []Range{{va, n}}}) }

// Busy appends an annotation: the IB keeps its engine busy for ns
// nanoseconds.
func (b *PM4) Busy(ns int64) {
	if ns <= 0 {
		b.fail("busy time %d ns: need > 0", ns)
		return
	}
	b.Annotate(Annotation{BusyNS: ns})
}

// Label appends an annotation naming the IB in reports.
func (b *PM4) Label(s string) {
	if s == "" {
		b.fail("empty label")
		return
	}
	b.Annotate(Annotation{Label: s})
}

// SDMA builds an SDMA IB. The zero value builds for SDMA 5.0; set Version
// for another. Errors are sticky, as for PM4. An SDMA is not safe for
// concurrent use.
type SDMA struct {
	// Version selects the count encodings. Zero means SDMA5_0.
	Version SDMAVersion

	dw  []uint32
	err error
}

func (b *SDMA) version() SDMAVersion {
	if b.Version == 0 {
		return SDMA5_0
	}
	return b.Version
}

func (b *SDMA) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("sdma: %w: %s", ErrBuild, fmt.Sprintf(format, args...))
	}
}

// Dwords returns the IB built so far. The slice aliases the builder's
// buffer until the next append.
func (b *SDMA) Dwords() []uint32 { return b.dw }

// Err returns the first encoding error, or nil.
func (b *SDMA) Err() error { return b.err }

// Reset empties the builder, keeping Version.
func (b *SDMA) Reset() { b.dw, b.err = b.dw[:0], nil }

func (b *SDMA) count(n uint64) uint32 {
	if b.version().countMinusOne() {
		return uint32(n - 1)
	}
	return uint32(n)
}

// maxCount is the largest byte count one COPY_LINEAR or CONST_FILL
// carries.
func (b *SDMA) maxCount() uint64 {
	m := uint64(b.version().countMask())
	if b.version().countMinusOne() {
		m++
	}
	return m
}

// Copy copies n bytes from src to dst with COPY_LINEAR packets, as the
// kernel's sdma_v*_emit_copy_buffer().
func (b *SDMA) Copy(src, dst, n uint64) {
	if n == 0 {
		b.fail("COPY_LINEAR of 0 bytes")
		return
	}
	for max := b.maxCount(); n > 0; {
		c := min(n, max)
		b.dw = append(b.dw, SDMAHeader(SDMA_OP_COPY, SDMA_SUBOP_COPY_LINEAR, 0), b.count(c), 0,
			uint32(src), uint32(src>>32), uint32(dst), uint32(dst>>32))
		src, dst, n = src+c, dst+c, n-c
	}
}

// Write stores data (a non-zero multiple of 4 bytes) at va with WRITE
// linear, as the kernel's sdma_v*_ring_test_ib().
func (b *SDMA) Write(va uint64, data []byte) {
	if len(data) == 0 || len(data)%4 != 0 || va%4 != 0 {
		b.fail("WRITE_LINEAR of %d bytes at %#x: need a non-zero multiple of 4 bytes at a 4-byte aligned address", len(data), va)
		return
	}
	w := bytesToDwords(data)
	const maxDwords = 0xFFFFF // the narrowest count field (20 bits)
	for len(w) > 0 {
		n := min(len(w), maxDwords)
		b.dw = append(b.dw, SDMAHeader(SDMA_OP_WRITE, SDMA_SUBOP_WRITE_LINEAR, 0),
			uint32(va), uint32(va>>32), b.count(uint64(n)))
		b.dw = append(b.dw, w[:n]...)
		w, va = w[n:], va+4*uint64(n)
	}
}

// Fill fills n bytes (a multiple of 4) at va with the 32-bit pattern using
// CONST_FILL with fillsize DW (SDMA_CONSTANT_FILL_EXTRA_SIZE(2)).
func (b *SDMA) Fill(va, n uint64, pattern uint32) {
	if n == 0 || n%4 != 0 || va%4 != 0 {
		b.fail("CONST_FILL of %d bytes at %#x: need a non-zero multiple of 4 bytes at a 4-byte aligned address", n, va)
		return
	}
	for max := b.maxCount() &^ 3; n > 0; {
		c := min(n, max)
		b.dw = append(b.dw, SDMAHeader(SDMA_OP_CONST_FILL, 0, sdmaFillDword<<(sdmaFillSizeShift-16)),
			uint32(va), uint32(va>>32), pattern, b.count(c))
		va, n = va+c, n-c
	}
}

// Fence writes the 32-bit value to va with FENCE, as the kernel's
// sdma_v*_ring_emit_fence() (MTYPE left 0).
func (b *SDMA) Fence(va uint64, value uint32) {
	if va%4 != 0 {
		b.fail("FENCE at %#x: need 4-byte alignment", va)
		return
	}
	b.dw = append(b.dw, SDMAHeader(SDMA_OP_FENCE, 0, 0), uint32(va), uint32(va>>32), value)
}

// Nop appends n one-dword NOP packets (the padding every SDMA firmware
// accepts; burst NOPs with a count need firmware support).
func (b *SDMA) Nop(n int) {
	for range n {
		b.dw = append(b.dw, SDMAHeader(SDMA_OP_NOP, 0, 0))
	}
}
