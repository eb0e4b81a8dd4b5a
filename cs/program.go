package cs

import (
	"sync/atomic"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/vm"
)

// Engines says how to decode IBs: the GFX level for PM4 (gfx and compute
// rings) and the SDMA version for DMA rings.
type Engines struct {
	Gfx  pkt.GfxLevel
	SDMA pkt.SDMAVersion
}

// IBStats counts what decoding the IBs of one CS found.
type IBStats struct {
	// Unreadable IBs were not mapped (to a BO) when the CS was submitted.
	Unreadable atomic.Int64
	// Malformed IBs failed to decode; their jobs are treated conservatively.
	Malformed atomic.Int64
}

// program builds the vm.Program of one job from its IBs.
//
// The command processor fetches an IB through the page tables when the job
// runs; vmemu reads its contents when the CS is submitted (through the VA
// map, as amdgpu_cs_find_mapping() does for UVD/VCE), and reports the fetch
// itself as a read of the IB's range at execution time, so an IB whose
// mapping is not in the page tables yet faults like any other access. An IB
// modified between submission and execution is therefore not modelled.
func program(v *vm.VM, mem *bo.Manager, eng Engines, job *Job, st *IBStats) vm.Program {
	prog := vm.Program{AccessesKnown: true}
	for _, ib := range job.IBs {
		n := uint64(ib.LengthDW) * 4
		prog.Ops = append(prog.Ops, vm.Op{Kind: vm.OpRead, VA: ib.VA, Len: n})
		dw, ok := readIB(v, mem, ib.VA, n)
		if !ok {
			st.Unreadable.Add(1)
			continue
		}
		var p pkt.Program
		var err error
		if ib.IP == uapi.AMDGPU_HW_IP_DMA {
			p, err = pkt.DecodeSDMA(dw, eng.SDMA)
		} else {
			p, err = pkt.DecodePM4(dw, eng.Gfx)
		}
		if err != nil {
			st.Malformed.Add(1)
		}
		if err != nil || !p.AccessesKnown {
			prog.AccessesKnown = false
		}
		for _, op := range p.Ops {
			if o, ok := vmOp(op); ok {
				prog.Ops = append(prog.Ops, o)
			}
		}
	}
	return prog
}

// readIB reads n bytes at va from the BO mapped there, or reports false.
func readIB(v *vm.VM, mem *bo.Manager, va, n uint64) ([]uint32, bool) {
	b, off, ok := v.MappingAt(va)
	if !ok {
		return nil, false
	}
	vb, isBO := b.(bo.VMBO)
	if !isBO || off+n > vb.B.Size() {
		return nil, false
	}
	_, ref := vb.B.Placement()
	buf := make([]byte, n)
	if mem.Read(ref, off, buf) != nil {
		return nil, false
	}
	dw := make([]uint32, n/4)
	for i := range dw {
		dw[i] = uint32(buf[4*i]) | uint32(buf[4*i+1])<<8 | uint32(buf[4*i+2])<<16 | uint32(buf[4*i+3])<<24
	}
	return dw, true
}

func ranges(rs []pkt.Range) []vm.Range {
	out := make([]vm.Range, len(rs))
	for i, r := range rs {
		out[i] = vm.Range{VA: r.VA, Len: r.Len}
	}
	return out
}

// vmOp adapts one decoded packet operation to the VM's form.
func vmOp(op pkt.Op) (vm.Op, bool) {
	switch o := op.(type) {
	case pkt.Write:
		return vm.Op{Kind: vm.OpWrite, VA: o.VA, Len: uint64(len(o.Data)), Data: o.Data}, true
	case pkt.Copy:
		return vm.Op{Kind: vm.OpCopy, VA: o.Dst, Src: o.Src, Len: o.Len}, true
	case pkt.Fill:
		return vm.Op{Kind: vm.OpFill, VA: o.VA, Len: o.Len, Pattern: o.Pattern}, true
	case pkt.FenceWrite:
		return vm.Op{Kind: vm.OpFenceWrite, VA: o.VA, Len: uint64(o.Size), Value: o.Value}, true
	case pkt.OpaqueWrite:
		return vm.Op{Kind: vm.OpOpaqueWrite, VA: o.VA, Len: o.Len}, true
	case pkt.Read:
		return vm.Op{Kind: vm.OpRead, VA: o.VA, Len: o.Len}, true
	case pkt.Annotation:
		return vm.Op{Kind: vm.OpAnnotation, Reads: ranges(o.Reads), Writes: ranges(o.Writes), Busy: o.BusyNS}, true
	case pkt.Unknown:
		return vm.Op{Kind: vm.OpUnknown}, true
	}
	return vm.Op{}, false
}
