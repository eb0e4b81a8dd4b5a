// Package pkt decodes and builds the command packets vmemu executes: PM4
// type-3 packets of the gfx and compute rings, SDMA packets of the DMA
// rings, and vmemu annotations carried in PM4 NOP payloads.
//
// A decoded IB is a Program: a list of memory-level operations (Write,
// Copy, Fill, FenceWrite, OpaqueWrite, Read, Annotation, Nop, Unknown) with
// GPU virtual addresses, per-opcode counters, and AccessesKnown, which is
// false when some packet may touch memory in a way vmemu does not model. The
// executor (package gpu) runs the operations through the page tables and
// treats a program whose accesses are unknown as touching everything it
// could reach.
//
// # Hardware formats modelled
//
// PM4 (DecodePM4, builder PM4), per Mesa src/amd/common/sid.h for the
// header (PKT_TYPE, PKT_COUNT, PKT3_IT_OPCODE, PKT3_PREDICATE) and the
// opcodes, the generated packet definitions behind sid.h's S_370_*,
// S_411_*, S_415_* and S_500_* fields (src/amd/registers/pkt3.json), the
// kernel's drivers/gpu/drm/amd/amdgpu/soc15d.h and AMD PAL's PM4 headers
// for the GFX9+ fields, and Mesa's radv_cs.c / si_cp_dma.c for how drivers
// emit them:
//
//   - NOP (0x10): a Nop, or an Annotation when its body starts with
//     AnnotationMagic. Count 0x3FFF is the one-dword header-only NOP
//     (sid.h PKT3_NOP_PAD, the kernel's ring nop).
//   - Type-2 headers: one-dword filler (sid.h PKT2_NOP_PAD), a Nop.
//   - WRITE_DATA (0x37): DST_SEL 1, 2, 5 (memory, directly or through L2)
//     give a Write; WR_ONE_ADDR keeps the last dword. DST_SEL 3 (GDS)
//     gives no memory op. DST_SEL 0 (register) and others are Unknown.
//   - COPY_DATA (0x40): 4 or 8 bytes (COUNT_SEL). Memory to memory is a
//     Copy, immediate to memory a Write, register/GDS/clock/atomic-return to
//     memory an OpaqueWrite, memory to register/GDS a Read.
//   - DMA_DATA (0x50, GFX7+): BYTE_COUNT is bits [20:0] on GFX7-8 and
//     [25:0] on GFX9+. Memory to memory (SAS/DAS clear) is a Copy, SRC_SEL
//     DATA a Fill, GDS/register sources an OpaqueWrite, register, GDS and
//     "nowhere" (GFX12 prefetch) destinations a Read of the source.
//   - EVENT_WRITE_EOP (0x47, GFX6-8) and RELEASE_MEM (0x49, GFX7+): DATA_SEL
//     1 and 2 give a FenceWrite of 4 or 8 bytes, 3 and 4 (clock counters)
//     and 5 (GDS) an OpaqueWrite, 0 nothing. DST_SEL other than memory/L2
//     is Unknown.
//   - Every other type-3 packet is Unknown. Packets with the PREDICATE bit
//     are decoded as if they execute (the superset of their accesses).
//
// SDMA (DecodeSDMA, builder SDMA), per Mesa sid.h (SDMA_PACKET,
// SDMA_OPCODE_*) and the kernel's drivers/gpu/drm/amd/amdgpu/cik_sdma.c,
// sdma_v3_0.c, sdma_v4_0.c, sdma_v5_0.c, sdma_v6_0.c with their
// *_sdma_pkt_open.h headers; libdrm's tests/amdgpu/basic_tests.c and IGT's
// lib/amdgpu/amd_ip_blocks.c build the same packets:
//
//   - NOP (0): count [29:16] dwords follow the header.
//   - COPY linear (1/0): 7 dwords; a Copy. Header flags other than TMZ
//     (broadcast, DCC) change the layout and end the decode.
//   - WRITE linear (2/0): header, address, count, data; a Write.
//   - FENCE (5): 4 dwords; a 4-byte FenceWrite.
//   - CONST_FILL (11): 5 dwords; a Fill (fillsize 0 byte, 2 dword).
//   - TRAP (6), POLL_REGMEM (8, a Read when polling memory), COND_EXE (9,
//     a Read), SRBM_WRITE (14, Unknown), INDIRECT (4, Unknown) are sized.
//   - Counts: bytes and dwords are encoded minus one from SDMA 4.0 on;
//     COPY/CONST_FILL counts are 22 bits wide, 30 bits on SDMA 4.4 and 5.2+.
//   - Any other opcode ends the decode: SDMA packets carry no generic
//     length, so the rest of the IB is one Unknown.
//
// Registers and GDS are not memory: packets that only address them produce
// no memory op. A register write may start anything, so it makes the
// program's accesses unknown; GDS is on-chip and outside the VA space, so a
// GDS destination does not.
//
// # vmemu annotations
//
// docs/annotations.md defines the annotation format, a vmemu convention
// (not AMD's) carried in PM4 NOP bodies, which real hardware skips: the same
// IB runs on a GPU and in vmemu.
//
// # Usage
//
//	var b pkt.PM4 // GFX9+
//	b.Label("upload")
//	b.WriteData(dst, payload)
//	b.ReleaseMem(fenceVA, seq)
//	if err := b.Err(); err != nil { ... }
//	prog, err := pkt.DecodePM4(b.Dwords(), pkt.GFX10)
//
// Decoding never panics on any input and is safe for concurrent use.
// Builders are not safe for concurrent use.
package pkt
