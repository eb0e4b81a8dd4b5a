package uapi

import "structs"

// GEM_VA and VM request numbers. GEM_VA is DRM_IOW: nothing is copied back.
const (
	DRM_IOCTL_AMDGPU_GEM_VA uint32 = drmIOW | SizeOfGemVA<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_VA)
	DRM_IOCTL_AMDGPU_VM     uint32 = drmIOWR | SizeOfVM<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_VM)

	// DRM_IOCTL_AMDGPU_GEM_VA_V1 is the number of headers before the
	// timeline-syncobj fields (40-byte struct). drm_ioctl() zero-extends it,
	// so the missing fields read as 0.
	DRM_IOCTL_AMDGPU_GEM_VA_V1 uint32 = drmIOW | SizeOfGemVA_V1<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_VA)
)

// Struct and union sizes (x86-64/arm64).
const (
	SizeOfGemVA    = 64
	SizeOfGemVA_V1 = 40
	SizeOfVM       = 8 // union drm_amdgpu_vm
)

// GEM_VA operations (AMDGPU_VA_OP_*).
const (
	AMDGPU_VA_OP_MAP     = 1
	AMDGPU_VA_OP_UNMAP   = 2
	AMDGPU_VA_OP_CLEAR   = 3
	AMDGPU_VA_OP_REPLACE = 4
)

// GEM_VA flags (AMDGPU_VM_*).
const (
	// AMDGPU_VM_DELAY_UPDATE leaves the page-table update to the next CS.
	AMDGPU_VM_DELAY_UPDATE    = 1 << 0
	AMDGPU_VM_PAGE_READABLE   = 1 << 1
	AMDGPU_VM_PAGE_WRITEABLE  = 1 << 2
	AMDGPU_VM_PAGE_EXECUTABLE = 1 << 3
	AMDGPU_VM_PAGE_PRT        = 1 << 4 // unmapped page of a partially resident texture
	AMDGPU_VM_MTYPE_MASK      = 0xf << 5
	AMDGPU_VM_MTYPE_DEFAULT   = 0 << 5
	AMDGPU_VM_MTYPE_NC        = 1 << 5
	AMDGPU_VM_MTYPE_WC        = 2 << 5
	AMDGPU_VM_MTYPE_CC        = 3 << 5
	AMDGPU_VM_MTYPE_UC        = 4 << 5
	AMDGPU_VM_MTYPE_RW        = 5 << 5
	AMDGPU_VM_PAGE_NOALLOC    = 1 << 9 // don't allocate in MALL
)

// AMDGPU_VM_EXPLICIT_SYNC is a vmemu extension, NOT upstream UAPI.
//
// No released or linux-next amdgpu_drm.h assigns bit 10 of the GEM_VA flags,
// so a real kernel rejects it with -EINVAL (which is how user space probes
// for it). Every explicit-sync proposal posted upstream used this name and
// value (Tatsuyuki Ishi 2023, Friedrich Vock 2024, Natalie Vock 2026), none
// merged. In vmemu, when the device profile enables the extension, the page
// table update for the operation (and, for unmaps, the later clear of the
// freed range) does not implicitly wait for the VM's earlier submissions: it
// is ordered only by input_fence_syncobj_handles and published through
// vm_timeline_syncobj_out. With the extension disabled the emulator answers
// -EINVAL like the kernel.
const AMDGPU_VM_EXPLICIT_SYNC = 1 << 10

// GemVA is struct drm_amdgpu_gem_va, from include/uapi/drm/amdgpu_drm.h.
type GemVA struct {
	_          structs.HostLayout
	Handle     uint32 // GEM handle; ignored for CLEAR and PRT maps
	Pad        uint32
	Operation  uint32 // AMDGPU_VA_OP_*
	Flags      uint32 // AMDGPU_VM_*
	VAAddress  uint64
	OffsetInBO uint64
	MapSize    uint64
	// VMTimelinePoint is the point at which the page-table update fence is
	// installed in VMTimelineSyncobjOut; 0 replaces the syncobj's fence.
	VMTimelinePoint      uint64
	VMTimelineSyncobjOut uint32 // syncobj handle, 0 = none
	NumSyncobjHandles    uint32
	// InputFenceSyncobjHandles points to __u32[num_syncobj_handles]; the
	// kernel waits for each on the CPU before the operation.
	InputFenceSyncobjHandles P64
}

// GemVA_V1 is the 40-byte struct drm_amdgpu_gem_va of headers before
// vm_timeline_point and the fields after it, from
// include/uapi/drm/amdgpu_drm.h.
type GemVA_V1 struct {
	_          structs.HostLayout
	Handle     uint32
	Pad        uint32
	Operation  uint32
	Flags      uint32
	VAAddress  uint64
	OffsetInBO uint64
	MapSize    uint64
}

// Kernel-internal VA-space constants checked by amdgpu_gem_va_ioctl(), from
// drivers/gpu/drm/amd/amdgpu/amdgpu_vm.h and amdgpu_gmc.h. Not uapi.
const (
	// AMDGPU_VA_RESERVED_BOTTOM: addresses below 64 KiB are rejected.
	AMDGPU_VA_RESERVED_BOTTOM = 1 << 16

	// The top of the VA space reserved for the kernel is
	// AMDGPU_VA_RESERVED_TOP = TRAP + SEQ64 + CSA sizes below the maximum
	// address. A posted patch adds a further 12 KiB user-queue trap area.
	AMDGPU_VA_RESERVED_CSA_SIZE   = 2 << 20
	AMDGPU_VA_RESERVED_SEQ64_SIZE = 2 << 20
	AMDGPU_VA_RESERVED_TRAP_SIZE  = 2 << 12
	AMDGPU_VA_RESERVED_TOP        = AMDGPU_VA_RESERVED_TRAP_SIZE + AMDGPU_VA_RESERVED_SEQ64_SIZE + AMDGPU_VA_RESERVED_CSA_SIZE

	// The GMC hole: addresses in [START, END) are not canonical and are
	// rejected; others are masked with AMDGPU_GMC_HOLE_MASK (48-bit parts).
	AMDGPU_GMC_HOLE_START = 0x0000800000000000
	AMDGPU_GMC_HOLE_END   = 0xFFFF800000000000
	AMDGPU_GMC_HOLE_MASK  = 0x0000FFFFFFFFFFFF

	// Hole bounds on parts with 57-bit (5-level) VM.
	AMDGPU_GMC_HOLE_START_57BIT = 0x0100000000000000
	AMDGPU_GMC_HOLE_END_57BIT   = 0xFF00000000000000
)

// VM operations.
const (
	AMDGPU_VM_OP_RESERVE_VMID   = 1
	AMDGPU_VM_OP_UNRESERVE_VMID = 2
)

// VMIn is struct drm_amdgpu_vm_in, from include/uapi/drm/amdgpu_drm.h.
type VMIn struct {
	_     structs.HostLayout
	Op    uint32 // AMDGPU_VM_OP_*
	Flags uint32
}

// VMOut is struct drm_amdgpu_vm_out, from include/uapi/drm/amdgpu_drm.h.
type VMOut struct {
	_     structs.HostLayout
	Flags uint64 // none defined
}
