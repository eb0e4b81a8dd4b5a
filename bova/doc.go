// Package bova models amdgpu's per-(BO, VM) objects: struct amdgpu_bo_va
// with its struct amdgpu_vm_bo_base, and struct amdgpu_bo_va_mapping
// (drivers/gpu/drm/amd/amdgpu/amdgpu_object.h, amdgpu_vm.h, amdgpu_vm.c).
//
//   - BoVA is amdgpu_bo_va: one per BO opened in a VM (GEM_OPEN), or the
//     per-file PRT bo_va with no BO. It carries its mappings on two lists,
//     invalids (PTEs not or not correctly written) and valids, the
//     last_pt_update fence, the cleared flag, the base's moved flag and its
//     status (which per-VM list the base is on, spec/amdgpu.md §2.2 and
//     §2.13.2), plus the EXPLICIT-mode lastUnmap fence (DESIGN.md rule E3).
//   - Mapping is amdgpu_bo_va_mapping: [Start, Last] in GPU pages, the byte
//     Offset into the BO and the uAPI flags (the 6.18+ representation), and
//     where it is: on its bo_va's invalids or valids, or on the VM's freed
//     list (then its bo_va pointer is NULL in the kernel; Origin keeps it).
//   - List is the kernel's list_head for mappings: intrusive, O(1) insert
//     and removal, and a tag on every mapping saying which list holds it, so
//     the invariant "a mapping is on exactly one list" (spec §2.13.5) is
//     checkable.
//   - StatusLists are the VM's evicted, evicted_user, relocated, moved, idle,
//     invalidated and done lists of amdgpu_vm_bo_base; its become methods
//     (amdgpu_vm_bo_evicted(), …_relocated(), …_moved(), …_idle(),
//     …_invalidated(), …_done(), …_evicted_user()) are the only writers of
//     a BoVA's State.
//
// The VA interval tree, the freed list, the page tables and every operation
// live in package vm, which owns these objects.
//
// # Concurrency
//
// Nothing here locks. Every BoVA, Mapping, List and StatusLists belongs to
// one VM and is protected by that VM's mutex (vm.VM.mu), as the kernel
// protects them with the root PD reservation and vm->status_lock. Fence
// fields are read by the CS path under the same lock.
package bova
