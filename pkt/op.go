package pkt

import "fmt"

// Op is one memory-level operation decoded from a packet. The concrete
// types are Write, Copy, Fill, FenceWrite, OpaqueWrite, Read, Annotation,
// Nop and Unknown; the set is closed.
type Op interface {
	isOp()
}

// Write stores Data at VA: WRITE_DATA to memory, COPY_DATA with an
// immediate source, SDMA WRITE linear. Data is little-endian, as the GPU
// stores dwords.
type Write struct {
	VA   uint64
	Data []byte
}

// Copy copies Len bytes from Src to Dst: COPY_DATA memory to memory,
// DMA_DATA memory to memory, SDMA COPY linear.
type Copy struct {
	Src, Dst uint64
	Len      uint64
}

// Fill stores Len bytes at VA, repeating the little-endian Pattern from VA
// on: DMA_DATA with an immediate source, SDMA CONST_FILL. A byte fill
// (SDMA fillsize 0) has its byte replicated into all four Pattern bytes.
type Fill struct {
	VA, Len uint64
	Pattern uint32
}

// FenceWrite stores the low Size (4 or 8) bytes of Value at VA at the end of
// the preceding work: RELEASE_MEM and EVENT_WRITE_EOP with DATA_SEL 32 or 64
// bit, SDMA FENCE.
type FenceWrite struct {
	VA    uint64
	Value uint64
	Size  int
}

// Source says where the bytes of an OpaqueWrite come from.
type Source uint8

// Sources of OpaqueWrite data.
const (
	// SourceUnknown is a source selector vmemu does not know.
	SourceUnknown Source = iota
	// SourceRegister is a register or performance counter.
	SourceRegister
	// SourceGDS is the global data share (on-chip memory).
	SourceGDS
	// SourceTimestamp is a GPU or system clock counter.
	SourceTimestamp
	// SourceAtomicReturn is the return value of an earlier atomic.
	SourceAtomicReturn
)

func (s Source) String() string {
	switch s {
	case SourceRegister:
		return "register"
	case SourceGDS:
		return "gds"
	case SourceTimestamp:
		return "timestamp"
	case SourceAtomicReturn:
		return "atomic-return"
	default:
		return "unknown"
	}
}

// OpaqueWrite stores Len bytes at VA whose values vmemu cannot compute
// (register, GDS, timestamp sources). The access itself is known: an
// executor treats the bytes as written with unspecified values.
type OpaqueWrite struct {
	VA, Len uint64
	Source  Source
}

// Read loads Len bytes at VA without storing them to memory (COPY_DATA or
// DMA_DATA from memory to a register or GDS, SDMA POLL_REGMEM on memory,
// SDMA COND_EXE).
type Read struct {
	VA, Len uint64
}

// Range is a GPU virtual address range [VA, VA+Len).
type Range struct {
	VA, Len uint64
}

// End returns VA+Len.
func (r Range) End() uint64 { return r.VA + r.Len }

func (r Range) String() string { return fmt.Sprintf("[%#x,%#x)", r.VA, r.VA+r.Len) }

// Annotation is a vmemu annotation carried in a PM4 NOP payload (see
// docs/annotations.md): the IB reads Reads, writes Writes and keeps its
// engine busy for BusyNS nanoseconds. Label names the work in reports.
// Complete asserts that the annotations of the IB cover every memory access
// of the packets vmemu does not model, so that unknown packets do not make
// the program's accesses unknown.
type Annotation struct {
	Reads    []Range
	Writes   []Range
	BusyNS   int64
	Label    string
	Complete bool
}

// Nop is a packet that does nothing: PM4 NOP (without annotation), PM4
// type-2 filler, SDMA NOP. Dwords is the size of the packet.
type Nop struct {
	Dwords int
}

// Unknown is a packet vmemu does not model. Dwords holds the whole packet,
// header included (a copy). An SDMA Unknown whose length vmemu cannot tell
// holds the rest of the IB.
type Unknown struct {
	Opcode uint8
	Dwords []uint32
}

func (Write) isOp()       {}
func (Copy) isOp()        {}
func (Fill) isOp()        {}
func (FenceWrite) isOp()  {}
func (OpaqueWrite) isOp() {}
func (Read) isOp()        {}
func (Annotation) isOp()  {}
func (Nop) isOp()         {}
func (Unknown) isOp()     {}

// Engine names the packet format of a Program.
type Engine uint8

// Engines.
const (
	EnginePM4 Engine = iota + 1
	EngineSDMA
)

func (e Engine) String() string {
	switch e {
	case EnginePM4:
		return "pm4"
	case EngineSDMA:
		return "sdma"
	default:
		return fmt.Sprintf("engine(%d)", uint8(e))
	}
}

// Reason records why a packet makes the accesses of a program unknown.
type Reason struct {
	// Offset is the dword offset of the packet in the IB.
	Offset int
	// Opcode is the packet's opcode (PM4 IT_OPCODE or SDMA op).
	Opcode uint8
	// Cause is a short human-readable explanation.
	Cause string
}

func (r Reason) String() string {
	return fmt.Sprintf("dword %d: opcode %#x: %s", r.Offset, r.Opcode, r.Cause)
}

// Stats counts what a decode saw.
type Stats struct {
	// Packets is the number of packets, filler and NOPs included.
	Packets int
	// ByOpcode counts PM4 type-3 packets by IT_OPCODE, or SDMA packets by
	// op.
	ByOpcode map[uint8]int
	// Unknown is the number of Unknown ops.
	Unknown int
	// Predicated is the number of PM4 packets with the PREDICATE bit: they
	// are decoded as if they execute (the superset of their accesses).
	Predicated int
	// Filler is the number of PM4 type-2 filler dwords.
	Filler int
	// Annotations is the number of vmemu annotations decoded.
	Annotations int
	// ForeignAnnotations is the number of NOPs that carry the annotation
	// magic with a version this package does not know; they are NOPs.
	ForeignAnnotations int
}

// Program is a decoded IB.
type Program struct {
	Engine Engine
	// Ops are the operations in IB order.
	Ops []Op
	// Offsets[i] is the dword offset of the packet that produced Ops[i].
	Offsets []int
	Stats   Stats
	// Reasons lists the packets whose accesses vmemu cannot bound: unknown
	// packets, register destinations, nested IBs.
	Reasons []Reason
	// Complete is set when an annotation with the Complete flag vouches
	// for the accesses of the unknown packets.
	Complete bool
	// AccessesKnown reports that Ops (with annotations) cover every memory
	// access of the IB: len(Reasons) == 0 || Complete. When false, the
	// executor treats the job as touching everything it could reach.
	AccessesKnown bool
}

func (p *Program) add(off int, op Op) {
	p.Ops = append(p.Ops, op)
	p.Offsets = append(p.Offsets, off)
	if _, ok := op.(Unknown); ok {
		p.Stats.Unknown++
	}
}

func (p *Program) unknownAccess(off int, opcode uint8, cause string) {
	p.Reasons = append(p.Reasons, Reason{Offset: off, Opcode: opcode, Cause: cause})
}

func (p *Program) finish() {
	p.AccessesKnown = len(p.Reasons) == 0 || p.Complete
}
