package vm

import (
	"encoding/binary"
	"errors"
	"sort"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/uapi"
)

// OpKind is the kind of a memory-level operation of a command stream.
type OpKind uint8

const (
	// OpNop does nothing (PM4 NOP, type-2 filler, SDMA NOP).
	OpNop OpKind = iota
	// OpWrite stores Data at VA (WRITE_DATA, COPY_DATA immediate, SDMA
	// WRITE linear).
	OpWrite
	// OpCopy copies Len bytes from Src to VA (COPY_DATA, DMA_DATA, SDMA
	// COPY_LINEAR).
	OpCopy
	// OpFill stores Len bytes at VA repeating the little-endian Pattern
	// from VA on (DMA_DATA immediate, SDMA CONST_FILL).
	OpFill
	// OpFenceWrite stores the low Len (4 or 8) bytes of Value at VA
	// (RELEASE_MEM, EVENT_WRITE_EOP, SDMA FENCE).
	OpFenceWrite
	// OpRead loads Len bytes at VA without storing them.
	OpRead
	// OpOpaqueWrite stores Len bytes of unknown value at VA: the access is
	// reported, no data is moved.
	OpOpaqueWrite
	// OpAnnotation is a vmemu annotation: Reads and Writes are accessed,
	// Busy ns are spent; no data is moved.
	OpAnnotation
	// OpUnknown is a packet vmemu does not model: counted and skipped.
	OpUnknown
)

var opNames = [...]string{"nop", "write", "copy", "fill", "fence", "read",
	"opaque-write", "annotation", "unknown"}

func (k OpKind) String() string {
	if int(k) < len(opNames) {
		return opNames[k]
	}
	return "op?"
}

// Range is a GPU VA range [VA, VA+Len).
type Range struct{ VA, Len uint64 }

// Op is one memory operation, the form in which the packet decoder's output
// reaches the VM (the cs layer adapts pkt's ops to it).
type Op struct {
	Kind OpKind
	// VA is the destination (or the accessed address); Len its length.
	VA, Len uint64
	// Src is OpCopy's source.
	Src uint64
	// Data is OpWrite's payload (Len is ignored).
	Data []byte
	// Pattern is OpFill's pattern; Value OpFenceWrite's value.
	Pattern uint32
	Value   uint64
	// Reads, Writes and Busy are OpAnnotation's.
	Reads, Writes []Range
	Busy          int64
}

// Program is the decoded IBs of a job.
type Program struct {
	Ops []Op
	// AccessesKnown is false when some packet's accesses are unknown: the
	// job is then treated as touching every VA it could reach.
	AccessesKnown bool
}

// csWork executes a Program through the VM's page tables.
type csWork struct {
	vm   *VM
	prog Program
}

// NewCSWork returns the Work of a CS job of v: when the job starts on its
// ring it grabs a VMID (flushing that VMID's TLB when the VM's tlb_seq
// moved on or the VMID changes hands), then executes prog's operations
// against Memory, each VA range translated at that instant through the
// VMID's TLB and the page tables. Accesses go to the Observer; an access
// without valid translation is a fault (recorded, reported, dropped: reads
// see zeros) and the job goes on. If !prog.AccessesKnown, every range the
// job could reach (all valid PTEs and the VMID's cached translations) is
// additionally reported as read and written, conservatively, with no data
// moved. The Usage counts the bytes written and copied, the annotations'
// busy time and the operations.
func NewCSWork(v *VM, prog Program) gpu.Work { return &csWork{vm: v, prog: prog} }

// piece is one translated stretch of an access.
type piece struct {
	va, n     uint64
	placement Placement
	off       uint64
	fault     bool
	prt       bool
	stale     bool
}

// translator holds what one job execution needs.
type translator struct {
	v    *VM
	id   *vmid
	rc   gpu.RunContext
	obs  Observer
	mem  Memory
	buf  []piece
	errs []error
}

// translateLocked splits [va, va+n) into pieces.
//
// Preconditions: the vmid manager's mu and v.ptMu are held.
func (t *translator) translateLocked(va, n uint64, write bool) []piece {
	out := t.buf[:0]
	if n == 0 {
		return out
	}
	end := va + n
	if end < va {
		end = ^uint64(0)
	}
	for a := va; a < end; {
		page := a >> gpuPageShift
		pend := (page + 1) << gpuPageShift
		if pend == 0 || pend > end {
			pend = end
		}
		var p piece
		p.va, p.n = a, pend-a
		cur := t.v.pt.lookup(page)
		e, hit := t.id.tlb[page]
		if !hit && cur != nil {
			pl, off := cur.at(page)
			e = tlbEntry{placement: pl, off: off, flags: cur.flags, prt: cur.prt}
			t.id.tlb[page] = e
			hit = true
		}
		switch {
		case !hit:
			p.fault = true
		case e.prt:
			p.prt = true
		case write && e.flags&uapi.AMDGPU_VM_PAGE_WRITEABLE == 0,
			!write && e.flags&uapi.AMDGPU_VM_PAGE_READABLE == 0:
			p.fault = true
		default:
			p.placement = e.placement
			p.off = e.placement.Offset + e.off + (a & (GPUPageSize - 1))
			if cur == nil || cur.prt {
				p.stale = true
			} else if pl, off := cur.at(page); pl != e.placement || off != e.off {
				p.stale = true
			}
		}
		if k := len(out) - 1; k >= 0 && mergeable(&out[k], &p) {
			out[k].n += p.n
		} else {
			out = append(out, p)
		}
		a = pend
	}
	t.buf = out
	return out
}

func mergeable(a, b *piece) bool {
	if a.va+a.n != b.va || a.fault != b.fault || a.prt != b.prt || a.stale != b.stale {
		return false
	}
	if a.fault || a.prt {
		return true
	}
	return a.placement == b.placement && a.off+a.n == b.off
}

// access translates and performs one access; data is read into or written
// from buf (nil: report only). It returns the bytes moved.
func (t *translator) access(va, n uint64, write bool, buf []byte, conservative bool) {
	m := t.v.m.vmids
	m.mu.Lock()
	t.v.ptMu.Lock()
	ps := append([]piece(nil), t.translateLocked(va, n, write)...)
	t.v.ptMu.Unlock()
	m.mu.Unlock()
	for _, p := range ps {
		rel := p.va - va
		switch {
		case p.fault:
			t.fault(p.va, write)
			if buf != nil && !write {
				clear(buf[rel : rel+p.n])
			}
			continue
		case p.prt:
			if buf != nil && !write {
				clear(buf[rel : rel+p.n])
			}
			continue
		}
		var err error
		switch {
		case t.mem == nil:
		case buf == nil:
			// No data moves, but the memory layer still checks that the
			// allocation generation is live: probe one byte.
			var probe [1]byte
			err = t.mem.Read(p.placement, p.off, probe[:])
		case write:
			err = t.mem.Write(p.placement, p.off, buf[rel:rel+p.n])
		default:
			err = t.mem.Read(p.placement, p.off, buf[rel:rel+p.n])
		}
		if err != nil {
			t.v.faultMu.Lock()
			if errors.Is(err, ErrStale) {
				t.v.uafs++
			}
			t.v.faultMu.Unlock()
		}
		if t.obs != nil {
			t.obs.Access(&Access{Time: t.rc.Now, Job: t.rc.Job, Ring: t.rc.Ring,
				VMID: t.id.id, VA: p.va, Len: p.n, Placement: p.placement,
				Offset: p.off, Write: write, Stale: p.stale,
				Conservative: conservative, Err: err})
		}
	}
}

func (t *translator) fault(addr uint64, write bool) {
	f := &Fault{Time: t.rc.Now, Addr: addr &^ (GPUPageSize - 1), Write: write,
		Ring: t.rc.Ring, Job: t.rc.Job, VMID: t.id.id, VM: t.v}
	t.v.faultMu.Lock()
	t.v.lastFault = f
	t.v.faults++
	t.v.faultMu.Unlock()
	if t.obs != nil {
		t.obs.Fault(f)
	}
}

// Run implements gpu.Work.Run.
func (w *csWork) Run(rc gpu.RunContext) gpu.Usage {
	v := w.vm
	m := v.m.vmids
	m.mu.Lock()
	id, _ := m.grabLocked(v)
	m.mu.Unlock()
	release := func(*fence.Fence) {
		m.mu.Lock()
		id.active--
		m.mu.Unlock()
	}
	if rc.Job == nil || rc.Job.Finished().AddCallback(release) == nil {
		defer release(nil)
	}
	t := &translator{v: v, id: id, rc: rc, obs: v.m.observer, mem: v.m.memory}
	var u gpu.Usage
	for i := range w.prog.Ops {
		op := &w.prog.Ops[i]
		u.Packets++
		switch op.Kind {
		case OpWrite:
			t.access(op.VA, uint64(len(op.Data)), true, op.Data, false)
			u.Bytes += int64(len(op.Data))
		case OpCopy:
			buf := make([]byte, op.Len)
			t.access(op.Src, op.Len, false, buf, false)
			t.access(op.VA, op.Len, true, buf, false)
			u.Bytes += int64(op.Len)
		case OpFill:
			buf := make([]byte, op.Len)
			var pat [4]byte
			binary.LittleEndian.PutUint32(pat[:], op.Pattern)
			for j := range buf {
				buf[j] = pat[j%4]
			}
			t.access(op.VA, op.Len, true, buf, false)
			u.Bytes += int64(op.Len)
		case OpFenceWrite:
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], op.Value)
			n := op.Len
			if n != 4 {
				n = 8
			}
			t.access(op.VA, n, true, b[:n], false)
			u.Bytes += int64(n)
		case OpRead:
			t.access(op.VA, op.Len, false, nil, false)
		case OpOpaqueWrite:
			t.access(op.VA, op.Len, true, nil, false)
			u.Bytes += int64(op.Len)
		case OpAnnotation:
			for _, r := range op.Reads {
				t.access(r.VA, r.Len, false, nil, false)
			}
			for _, r := range op.Writes {
				t.access(r.VA, r.Len, true, nil, false)
			}
			u.Busy += op.Busy
		}
	}
	if !w.prog.AccessesKnown {
		for _, r := range t.reachable() {
			t.access(r.VA, r.Len, false, nil, true)
			t.access(r.VA, r.Len, true, nil, true)
		}
	}
	return u
}

// reachable returns every VA range the job could reach: the valid runs of
// the page tables and the VMID's cached translations, merged, in order.
func (t *translator) reachable() []Range {
	m := t.v.m.vmids
	var pages []uint64
	m.mu.Lock()
	t.v.ptMu.Lock()
	var rs []Range
	t.v.pt.each(func(p *pte) bool {
		if !p.prt {
			rs = append(rs, Range{p.start << gpuPageShift, (p.last - p.start + 1) << gpuPageShift})
		}
		return true
	})
	for page, e := range t.id.tlb {
		if !e.prt {
			pages = append(pages, page)
		}
	}
	t.v.ptMu.Unlock()
	m.mu.Unlock()
	for _, p := range pages {
		rs = append(rs, Range{p << gpuPageShift, GPUPageSize})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].VA < rs[j].VA })
	out := rs[:0]
	for _, r := range rs {
		if k := len(out) - 1; k >= 0 && out[k].VA+out[k].Len >= r.VA {
			if e := r.VA + r.Len; e > out[k].VA+out[k].Len {
				out[k].Len = e - out[k].VA
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// LastFault returns the last fault of the VM (vm->fault_info), if any.
func (v *VM) LastFault() (Fault, bool) {
	v.faultMu.Lock()
	defer v.faultMu.Unlock()
	if v.lastFault == nil {
		return Fault{}, false
	}
	return *v.lastFault, true
}

// Faults returns how many faults the VM took.
func (v *VM) Faults() int {
	v.faultMu.Lock()
	defer v.faultMu.Unlock()
	return v.faults
}

// UseAfterFree returns how many accesses reached a released allocation
// generation. It must stay 0: the kernel's rules are meant to prevent it.
func (v *VM) UseAfterFree() int {
	v.faultMu.Lock()
	defer v.faultMu.Unlock()
	return v.uafs
}

// L2 protection fault status bits (GCVM_L2_PROTECTION_FAULT_STATUS, gfx10+):
// MAPPING_ERROR and RW. vmemu reports only these.
const (
	faultStatusMappingError = 1 << 8
	faultStatusRW           = 1 << 18
)

// GPUVMFaultInfo answers AMDGPU_INFO_GPUVM_FAULT: the last fault's address,
// an approximate L2 protection-fault status (MAPPING_ERROR, plus RW for a
// write) and the GFX hub; zeros when the VM never faulted.
func (v *VM) GPUVMFaultInfo() uapi.InfoGPUVMFault {
	f, ok := v.LastFault()
	if !ok {
		return uapi.InfoGPUVMFault{}
	}
	st := uint32(faultStatusMappingError)
	if f.Write {
		st |= faultStatusRW
	}
	return uapi.InfoGPUVMFault{Addr: f.Addr, Status: st,
		VMHub: uapi.AMDGPU_VMHUB_TYPE_GFX}
}
