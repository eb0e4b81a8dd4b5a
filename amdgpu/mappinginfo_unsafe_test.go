package amdgpu

import (
	"errors"
	"runtime"
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

// Reference: amdgpu_gem_list_mappings() (amdgpu_gem.c): the bo_va's valid
// mappings then its invalid ones; entries are copied only when all fit,
// and num_entries returns the count either way.
func TestGemOpMappingInfo(t *testing.T) {
	_, f := mustDevice(t, Config{})
	h, err := gemCreate(f, 64<<10, 4096, uapi.AMDGPU_GEM_DOMAIN_GTT, 0)
	if err != nil {
		t.Fatal(err)
	}
	rw := uint32(uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE)
	for _, m := range []uapi.GemVA{
		// Updated at once: on the valid list.
		{Handle: h, Operation: uapi.AMDGPU_VA_OP_MAP, Flags: rw, VAAddress: 0x100000, OffsetInBO: 0, MapSize: 16 << 10},
		// DELAY_UPDATE: stays on the invalid list.
		{Handle: h, Operation: uapi.AMDGPU_VA_OP_MAP, Flags: rw | uapi.AMDGPU_VM_DELAY_UPDATE, VAAddress: 0x200000,
			OffsetInBO: 16 << 10, MapSize: 8 << 10},
	} {
		if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_VA, &m); err != nil {
			t.Fatalf("GEM_VA %#x: %v", m.VAAddress, err)
		}
	}
	want := []uapi.GemVMEntry{
		{Addr: 0x100000, Size: 16 << 10, Offset: 0, Flags: uint64(rw)},
		{Addr: 0x200000, Size: 8 << 10, Offset: 16 << 10, Flags: uint64(rw)},
	}

	entries := make([]uapi.GemVMEntry, 4)
	query := func(n uint32, value uapi.P64) (uint32, error) {
		a := uapi.GemOp{Handle: h, Op: uapi.AMDGPU_GEM_OP_GET_MAPPING_INFO, Value: uint64(value), NumEntries: n}
		err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &a)
		runtime.KeepAlive(entries)
		return a.NumEntries, err
	}
	// Too small an array: nothing copied, the count returned.
	if n, err := query(1, uapi.SliceP64(entries)); err != nil || n != 2 {
		t.Fatalf("num_entries=1: %d, %v; want 2, nil", n, err)
	}
	if entries[0] != (uapi.GemVMEntry{}) {
		t.Errorf("num_entries=1 copied %+v", entries[0])
	}
	// Room for all: both, valid list first.
	if n, err := query(4, uapi.SliceP64(entries)); err != nil || n != 2 {
		t.Fatalf("num_entries=4: %d, %v; want 2, nil", n, err)
	}
	for i, w := range want {
		if entries[i] != w {
			t.Errorf("entry %d = %+v, want %+v", i, entries[i], w)
		}
	}
	// Entries that fit, at an address user space cannot write: EFAULT
	// (the kernel returns copy_to_user()'s residue, a positive count;
	// vmemu reports the fault).
	if _, err := query(4, 0); !errors.Is(err, errno.EFAULT) {
		t.Errorf("value 0: %v, want EFAULT", err)
	}
	// Too small an array at that address: nothing copied, no fault.
	if n, err := query(1, 0); err != nil || n != 2 {
		t.Errorf("num_entries=1 at 0: %d, %v; want 2, nil", n, err)
	}
	// An unknown handle: ENOENT, before the op is looked at.
	a := uapi.GemOp{Handle: h + 100, Op: uapi.AMDGPU_GEM_OP_GET_MAPPING_INFO, NumEntries: 4}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &a); !errors.Is(err, errno.ENOENT) {
		t.Errorf("unknown handle: %v, want ENOENT", err)
	}
	// num_entries beyond INT_MAX / sizeof(entry): EINVAL.
	if _, err := query(1<<30, uapi.SliceP64(entries)); !errors.Is(err, errno.EINVAL) {
		t.Errorf("huge num_entries: %v, want EINVAL", err)
	}
}
