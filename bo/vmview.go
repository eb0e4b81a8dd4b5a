package bo

import (
	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
)

// VMBO presents a BO to the VM (bova.BO: struct amdgpu_bo as amdgpu_vm.c
// sees it). It is a comparable value: two VMBOs of one BO are equal, so it
// can key the VM's bo_va lookups.
type VMBO struct{ B *BO }

// VMBases implements bova.BO: the BO's bo_va list.
func (v VMBO) VMBases() *bova.Bases { return &v.B.vmBases }

// Size implements bova.BO.
func (v VMBO) Size() uint64 { return v.B.Size() }

// Resv implements bova.BO.
func (v VMBO) Resv() *resv.Resv { return v.B.Resv() }

// AlwaysValid reports AMDGPU_GEM_CREATE_VM_ALWAYS_VALID.
func (v VMBO) AlwaysValid() bool {
	return v.B.Flags()&uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID != 0
}

// Placement implements bova.BO: the current allocation, named by AllocID.
func (v VMBO) Placement() bova.Placement {
	d, ref := v.B.Placement()
	return bova.Placement{Alloc: AllocID(ref), Gen: ref.Gen, Domain: uint32(d)}
}

// InPreferredDomain implements bova.BO.
func (v VMBO) InPreferredDomain() bool {
	d, _ := v.B.Placement()
	pref, _ := v.B.Domains()
	return d&pref != 0
}

// AllocID names an allocation for the VM and the hazard checker: its
// domain and first page. With the generation it is unique over time.
func AllocID(r Ref) uint64 { return uint64(r.Domain)<<48 | r.Start }

// RefOf is the inverse of AllocID for a placement.
func RefOf(p bova.Placement) Ref {
	return Ref{Domain: Domain(p.Alloc >> 48), Start: p.Alloc & (1<<48 - 1), Gen: p.Gen}
}
