package vm

import (
	"math/bits"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

// verifyParameters mirrors amdgpu_vm_verify_parameters(): address, offset
// and size 4 KiB aligned, size non-zero, no overflow of addr+size or
// offset+size, the range inside the BO (if any), the last page below
// max_pfn. errno.EINVAL otherwise.
func (v *VM) verifyParameters(bo BO, saddr, offset, size uint64) error {
	const mask = GPUPageSize - 1
	if saddr&mask != 0 || offset&mask != 0 || size&mask != 0 {
		return errno.EINVAL
	}
	if _, c := bits.Add64(saddr, size, 0); c != 0 {
		return errno.EINVAL
	}
	if _, c := bits.Add64(offset, size, 0); c != 0 || size == 0 {
		return errno.EINVAL
	}
	if bo != nil && offset+size > bo.Size() {
		return errno.EINVAL
	}
	if (saddr+size-1)>>gpuPageShift >= v.m.layout.MaxPFN {
		return errno.EINVAL
	}
	return nil
}

// insertMap mirrors amdgpu_vm_bo_insert_map(): the mapping goes to the
// bo_va's invalids and into the tree, takes a PRT ref if PRT; a per-VM
// bo_va not yet moved goes to moved.
func (v *VM) insertMap(b *bova.BoVA, m *bova.Mapping) {
	v.va.insert(m)
	v.addMap(b, m)
}

// addMap is the rest of amdgpu_vm_bo_insert_map() once m is in the tree.
func (v *VM) addMap(b *bova.BoVA, m *bova.Mapping) {
	b.Invalids().Add(m)
	if m.Flags&uapi.AMDGPU_VM_PAGE_PRT != 0 {
		v.m.prtGet()
	}
	if b.AlwaysValid() && !b.Moved() {
		v.status.BecomeMoved(b)
	}
}

// boMap mirrors amdgpu_vm_bo_map(): verify, refuse any overlap (EINVAL),
// insert a new invalid mapping. No PTE is written.
func (v *VM) boMap(b *bova.BoVA, saddr, offset, size uint64, flags uint32) error {
	if err := v.verifyParameters(b.BO(), saddr, offset, size); err != nil {
		return err
	}
	s := saddr / GPUPageSize
	e := s + (size-1)/GPUPageSize
	// amdgpu_vm_it_iter_first() finding a mapping is EINVAL; the check and
	// the insertion are one tree descent here.
	m := v.newMapping(s, e, offset, flags)
	if v.va.insertFree(m) != nil {
		v.recycleMapping(m) // never on a list: no PRT ref taken
		return errno.EINVAL
	}
	v.addMap(b, m)
	return nil
}

// boReplaceMap mirrors amdgpu_vm_bo_replace_map(): verify, clear the range
// (clearMappings), insert.
func (v *VM) boReplaceMap(b *bova.BoVA, saddr, offset, size uint64, flags uint32, explicit bool) error {
	if err := v.verifyParameters(b.BO(), saddr, offset, size); err != nil {
		return err
	}
	if err := v.clearMappings(saddr, size, explicit); err != nil {
		return err
	}
	s := saddr / GPUPageSize
	e := s + (size-1)/GPUPageSize
	v.insertMap(b, v.newMapping(s, e, offset, flags))
	return nil
}

// boUnmap mirrors amdgpu_vm_bo_unmap(): the bo_va's mapping starting at
// saddr (exact start only) leaves the tree; a valid one goes to the freed
// list (PTEs live until ClearFreed), an invalid one is destroyed at once.
// errno.ENOENT when the bo_va has no mapping starting there.
func (v *VM) boUnmap(b *bova.BoVA, saddr uint64, explicit bool) error {
	m := v.va.removeStart(saddr/GPUPageSize, func(m *bova.Mapping) bool { return m.BoVA() == b })
	if m == nil {
		return errno.ENOENT
	}
	if m.Where() == bova.WhereValid {
		b.Valids().Remove(m)
		m.Explicit = explicit
		v.freed.Add(m)
		return nil
	}
	b.Invalids().Remove(m)
	v.freeMapping(m, b.LastPTUpdate())
	return nil
}

// clearMappings mirrors amdgpu_vm_bo_clear_mappings() (GEM_VA CLEAR, and
// the first half of REPLACE): every mapping overlapping [saddr,
// saddr+size) leaves its list and the tree; the part before the range and
// the part after it become new mappings on the same bo_va's invalids (the
// "after" offset advanced by the skipped pages); the removed mapping,
// clipped to the range, goes to the freed list whether it was valid or
// not. A per-VM bo_va with a surviving piece goes to moved.
func (v *VM) clearMappings(saddr, size uint64, explicit bool) error {
	if err := v.verifyParameters(nil, saddr, 0, size); err != nil {
		return err
	}
	s := saddr / GPUPageSize
	e := s + (size-1)/GPUPageSize
	hit := v.va.overlapping(s, e, v.scratch[:0])
	var before, after *bova.Mapping
	for _, m := range hit {
		if m.Start < s {
			before = v.newMapping(m.Start, s-1, m.Offset, m.Flags)
			before.SetOrigin(m.BoVA())
		}
		if m.Last > e {
			after = v.newMapping(e+1, m.Last, m.Offset+(e+1-m.Start)*GPUPageSize, m.Flags)
			after.SetOrigin(m.BoVA())
		}
	}
	for _, m := range hit {
		b := m.BoVA()
		if m.Where() == bova.WhereValid {
			b.Valids().Remove(m)
		} else {
			b.Invalids().Remove(m)
		}
		v.va.remove(m)
		m.Start, m.Last = max(m.Start, s), min(m.Last, e)
		m.Explicit = explicit
		v.freed.Add(m)
	}
	clear(hit)
	v.scratch = hit[:0]
	for _, p := range []*bova.Mapping{before, after} {
		if p == nil {
			continue
		}
		b := p.Origin()
		p.SetOrigin(nil)
		v.insertMapPiece(b, p)
	}
	return nil
}

// insertMapPiece inserts a split piece as clear_mappings does: tree, PRT
// ref, moved for per-VM bo_vas. The piece joins the bo_va's invalids.
func (v *VM) insertMapPiece(b *bova.BoVA, m *bova.Mapping) {
	v.insertMap(b, m)
}
