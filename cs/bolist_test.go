package cs

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// Reference: amdgpu_bo_create_list_entry_array(): bo_number entries of
// info_size bytes each; a stride of 8 is one copy, any other stride is
// copied entry by entry, min(stride, 8) bytes each, the rest zero; a fault
// anywhere is EFAULT.
func TestCopyInBOListEntries(t *testing.T) {
	const base = 0x10000
	for _, tc := range []struct {
		name   string
		n      int
		stride uint32
	}{
		{"stride 8, several 4 KiB pieces", 1500, 8},
		{"stride 8, one entry", 1, 8},
		{"stride 12", 300, 12},
		{"stride 4 (priority zero)", 300, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := make([]byte, tc.n*int(tc.stride))
			for i := range tc.n {
				e := mem[i*int(tc.stride):]
				binary.LittleEndian.PutUint32(e, uint32(i+1))
				if tc.stride >= 8 {
					binary.LittleEndian.PutUint32(e[4:], uint32(i%7))
				}
			}
			var io usermem.Sandbox
			if err := io.Map(base, mem); err != nil {
				t.Fatal(err)
			}
			in := uapi.BOListIn{BONumber: uint32(tc.n), BOInfoSize: tc.stride, BOInfoPtr: uapi.P64(base)}
			out, err := CopyInBOListEntries(&io, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != tc.n {
				t.Fatalf("%d entries, want %d", len(out), tc.n)
			}
			for i, e := range out {
				wantPrio := uint32(0)
				if tc.stride >= 8 {
					wantPrio = uint32(i % 7)
				}
				if e.BOHandle != uint32(i+1) || e.BOPriority != wantPrio {
					t.Fatalf("entry %d = %+v, want handle %d priority %d", i, e, i+1, wantPrio)
				}
			}
			// One entry more than is mapped: EFAULT.
			in.BONumber++
			if _, err := CopyInBOListEntries(&io, in); !errors.Is(err, errno.EFAULT) {
				t.Errorf("past the mapping: %v, want EFAULT", err)
			}
		})
	}
}
