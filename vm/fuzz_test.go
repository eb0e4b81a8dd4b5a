package vm

import (
	"encoding/binary"
	"testing"

	"github.com/vmemu/vmemu/uapi"
)

// FuzzGemVA drives GEM_VA with arbitrary arguments (both struct sizes,
// every flag and operation) on a small VM and checks that it never panics
// and that the invariants hold after every call.
func FuzzGemVA(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(make([]byte, 200))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newOracleRig(t)
		for len(data) >= 41 {
			var a uapi.GemVA
			a.Handle = uint32(data[0] % 5)
			a.Operation = uint32(data[1] % 6)
			a.Flags = binary.LittleEndian.Uint32(data[2:6]) & 0x7ff
			a.VAAddress = binary.LittleEndian.Uint64(data[6:14])
			if data[40]&1 == 0 {
				a.VAAddress = (a.VAAddress % (64 << 12)) &^ 0xfff // stay near the BOs
			}
			a.OffsetInBO = binary.LittleEndian.Uint64(data[14:22]) % (32 << 12)
			a.MapSize = binary.LittleEndian.Uint64(data[22:30])
			if data[40]&2 == 0 {
				a.MapSize %= 16 << 12
			}
			if data[40]&4 != 0 { // legacy struct: the tail reads as zero
				v1 := uapi.GemVA_V1{Handle: a.Handle, Operation: a.Operation,
					Flags: a.Flags, VAAddress: a.VAAddress, OffsetInBO: a.OffsetInBO,
					MapSize: a.MapSize}
				a = GemVAFromV1(&v1)
			} else {
				a.VMTimelinePoint = uint64(data[30])
				a.VMTimelineSyncobjOut = uint32(data[31] % 3)
				a.NumSyncobjHandles = uint32(data[32] % 3)
				a.InputFenceSyncobjHandles = uapi.P64(binary.LittleEndian.Uint64(data[32:40]))
			}
			_ = r.vm.GemVA(&a, &GemVAEnv{Objects: r.objs})
			if err := r.vm.Check(); err != nil {
				t.Fatalf("%+v: %v", a, err)
			}
			if data[40]&8 != 0 {
				r.clock.RunAll()
			}
			data = data[41:]
		}
		r.clock.RunAll()
	})
}

// FuzzCSWork executes arbitrary operations through the page tables: the
// executor must never panic, whatever the addresses and lengths.
func FuzzCSWork(f *testing.F) {
	f.Add([]byte{1, 0, 0, 16, 0, 4, 0xaa, 0xbb, 0xcc, 0xdd})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newOracleRig(t)
		a := uapi.GemVA{Operation: uapi.AMDGPU_VA_OP_MAP, Handle: 1,
			VAAddress: 16 << 12, MapSize: 8 << 12,
			Flags: uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE}
		if err := r.vm.GemVA(&a, &GemVAEnv{Objects: r.objs}); err != nil {
			t.Fatal(err)
		}
		r.clock.RunAll()
		var prog Program
		prog.AccessesKnown = len(data)%2 == 0
		for len(data) >= 6 {
			op := Op{Kind: OpKind(data[0] % 9)}
			op.VA = uint64(binary.LittleEndian.Uint32(data[1:5])) << 4
			op.Len = uint64(data[5]) * 97
			op.Src = op.VA ^ 0x3000
			op.Pattern = uint32(data[1])
			op.Value = uint64(data[2])
			if op.Kind == OpWrite {
				n := min(int(data[5]), len(data)-6)
				op.Data = data[6 : 6+n]
			}
			if op.Kind == OpAnnotation {
				op.Reads = []Range{{op.VA, op.Len}}
				op.Writes = []Range{{op.Src, op.Len}}
				op.Busy = int64(data[3])
			}
			prog.Ops = append(prog.Ops, op)
			data = data[6:]
		}
		ent := r.eng.NewEntity(r.eng.Ring(0, 0), gpuEntityConfig(r.vm))
		ent.Push(NewCSWork(r.vm, prog))
		r.clock.RunAll()
		if r.vm.UseAfterFree() != 0 {
			t.Fatal("use after free without any release")
		}
	})
}
