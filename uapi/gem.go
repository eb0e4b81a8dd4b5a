package uapi

import "structs"

// GEM request numbers.
const (
	DRM_IOCTL_AMDGPU_GEM_CREATE       uint32 = drmIOWR | SizeOfGemCreate<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_CREATE)
	DRM_IOCTL_AMDGPU_GEM_MMAP         uint32 = drmIOWR | SizeOfGemMmap<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_MMAP)
	DRM_IOCTL_AMDGPU_GEM_METADATA     uint32 = drmIOWR | SizeOfGemMetadata<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_METADATA)
	DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE    uint32 = drmIOWR | SizeOfGemWaitIdle<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_WAIT_IDLE)
	DRM_IOCTL_AMDGPU_GEM_OP           uint32 = drmIOWR | SizeOfGemOp<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_OP)
	DRM_IOCTL_AMDGPU_GEM_USERPTR      uint32 = drmIOWR | SizeOfGemUserptr<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_USERPTR)
	DRM_IOCTL_AMDGPU_GEM_LIST_HANDLES uint32 = drmIOWR | SizeOfGemListHandles<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_LIST_HANDLES)

	// DRM_IOCTL_AMDGPU_GEM_OP_V1 is the number of headers before
	// num_entries/padding were added (16-byte struct).
	DRM_IOCTL_AMDGPU_GEM_OP_V1 uint32 = drmIOWR | SizeOfGemOp_V1<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_GEM_OP)

	// Only in linux-next.
	DRM_IOCTL_AMDGPU_UALINK_HANDLE uint32 = drmIOWR | SizeOfUALinkHandle<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_UALINK_HANDLE)
)

// Struct and union sizes (x86-64/arm64).
const (
	SizeOfGemCreate           = 32 // union drm_amdgpu_gem_create
	SizeOfGemMmap             = 8  // union drm_amdgpu_gem_mmap
	SizeOfGemWaitIdle         = 16 // union drm_amdgpu_gem_wait_idle
	SizeOfGemOp               = 24
	SizeOfGemOp_V1            = 16
	SizeOfGemVMEntry          = 32
	SizeOfGemUserptr          = 24
	SizeOfGemMetadata         = 288
	SizeOfGemMetadataData     = 280
	SizeOfGemListHandles      = 16
	SizeOfGemListHandlesEntry = 40
	SizeOfUALinkHandle        = 24 // union drm_amdgpu_ualink_handle
)

// Memory domains (AMDGPU_GEM_DOMAIN_*).
const (
	AMDGPU_GEM_DOMAIN_CPU        = 0x1
	AMDGPU_GEM_DOMAIN_GTT        = 0x2
	AMDGPU_GEM_DOMAIN_VRAM       = 0x4
	AMDGPU_GEM_DOMAIN_GDS        = 0x8
	AMDGPU_GEM_DOMAIN_GWS        = 0x10
	AMDGPU_GEM_DOMAIN_OA         = 0x20
	AMDGPU_GEM_DOMAIN_DOORBELL   = 0x40
	AMDGPU_GEM_DOMAIN_MMIO_REMAP = 0x80

	// AMDGPU_GEM_DOMAIN_NPA is only in linux-next, where it is deliberately
	// left out of AMDGPU_GEM_DOMAIN_MASK (user space may not allocate it).
	AMDGPU_GEM_DOMAIN_NPA = 0x100

	// AMDGPU_GEM_DOMAIN_MASK is the mainline mask (0xFF). linux-next drops
	// MMIO_REMAP from it (0x7F).
	AMDGPU_GEM_DOMAIN_MASK = AMDGPU_GEM_DOMAIN_CPU | AMDGPU_GEM_DOMAIN_GTT |
		AMDGPU_GEM_DOMAIN_VRAM | AMDGPU_GEM_DOMAIN_GDS | AMDGPU_GEM_DOMAIN_GWS |
		AMDGPU_GEM_DOMAIN_OA | AMDGPU_GEM_DOMAIN_DOORBELL |
		AMDGPU_GEM_DOMAIN_MMIO_REMAP
)

// GEM_CREATE flags (AMDGPU_GEM_CREATE_*), the domain_flags of GemCreateIn.
const (
	AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED = 1 << 0
	AMDGPU_GEM_CREATE_NO_CPU_ACCESS       = 1 << 1
	AMDGPU_GEM_CREATE_CPU_GTT_USWC        = 1 << 2
	AMDGPU_GEM_CREATE_VRAM_CLEARED        = 1 << 3
	AMDGPU_GEM_CREATE_VRAM_CONTIGUOUS     = 1 << 5
	AMDGPU_GEM_CREATE_VM_ALWAYS_VALID     = 1 << 6
	// AMDGPU_GEM_CREATE_EXPLICIT_SYNC: BO sharing is explicitly
	// synchronized; CS implicit sync ignores other submissions' fences.
	AMDGPU_GEM_CREATE_EXPLICIT_SYNC = 1 << 7
	// AMDGPU_GEM_CREATE_CP_MQD_GFX9 is kernel-internal; never from user space.
	AMDGPU_GEM_CREATE_CP_MQD_GFX9          = 1 << 8
	AMDGPU_GEM_CREATE_VRAM_WIPE_ON_RELEASE = 1 << 9
	AMDGPU_GEM_CREATE_ENCRYPTED            = 1 << 10
	AMDGPU_GEM_CREATE_PREEMPTIBLE          = 1 << 11
	AMDGPU_GEM_CREATE_DISCARDABLE          = 1 << 12
	AMDGPU_GEM_CREATE_COHERENT             = 1 << 13
	AMDGPU_GEM_CREATE_UNCACHED             = 1 << 14
	AMDGPU_GEM_CREATE_EXT_COHERENT         = 1 << 15
	AMDGPU_GEM_CREATE_GFX12_DCC            = 1 << 16

	// AMDGPU_GEM_CREATE_SETTABLE_MASK is the set of flags
	// amdgpu_gem_create_ioctl() accepts from user space (0x1F6CF); it is
	// kernel-internal (amdgpu_gem.c), not part of the uapi header.
	AMDGPU_GEM_CREATE_SETTABLE_MASK = AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED |
		AMDGPU_GEM_CREATE_NO_CPU_ACCESS |
		AMDGPU_GEM_CREATE_CPU_GTT_USWC |
		AMDGPU_GEM_CREATE_VRAM_CLEARED |
		AMDGPU_GEM_CREATE_VM_ALWAYS_VALID |
		AMDGPU_GEM_CREATE_EXPLICIT_SYNC |
		AMDGPU_GEM_CREATE_VRAM_WIPE_ON_RELEASE |
		AMDGPU_GEM_CREATE_ENCRYPTED |
		AMDGPU_GEM_CREATE_GFX12_DCC |
		AMDGPU_GEM_CREATE_DISCARDABLE |
		AMDGPU_GEM_CREATE_COHERENT |
		AMDGPU_GEM_CREATE_UNCACHED |
		AMDGPU_GEM_CREATE_EXT_COHERENT
)

// GemCreateIn is struct drm_amdgpu_gem_create_in, from
// include/uapi/drm/amdgpu_drm.h: the in arm of union drm_amdgpu_gem_create.
type GemCreateIn struct {
	_           structs.HostLayout
	BOSize      uint64
	Alignment   uint64
	Domains     uint64 // AMDGPU_GEM_DOMAIN_*
	DomainFlags uint64 // AMDGPU_GEM_CREATE_*
}

// GemCreateOut is struct drm_amdgpu_gem_create_out, from
// include/uapi/drm/amdgpu_drm.h: the out arm of union drm_amdgpu_gem_create.
type GemCreateOut struct {
	_      structs.HostLayout
	Handle uint32
	Pad    uint32
}

// GemMmapIn is struct drm_amdgpu_gem_mmap_in, from
// include/uapi/drm/amdgpu_drm.h.
type GemMmapIn struct {
	_      structs.HostLayout
	Handle uint32
	Pad    uint32
}

// GemMmapOut is struct drm_amdgpu_gem_mmap_out, from
// include/uapi/drm/amdgpu_drm.h.
type GemMmapOut struct {
	_       structs.HostLayout
	AddrPtr uint64 // fake mmap offset on the DRM fd, not a pointer
}

// GemWaitIdleIn is struct drm_amdgpu_gem_wait_idle_in, from
// include/uapi/drm/amdgpu_drm.h.
type GemWaitIdleIn struct {
	_       structs.HostLayout
	Handle  uint32
	Flags   uint32 // none defined
	Timeout uint64 // absolute CLOCK_MONOTONIC ns; negative as s64 = infinite
}

// GemWaitIdleOut is struct drm_amdgpu_gem_wait_idle_out, from
// include/uapi/drm/amdgpu_drm.h.
type GemWaitIdleOut struct {
	_      structs.HostLayout
	Status uint32 // 0 idle, 1 busy
	Domain uint32
}

// GEM_OP operations (AMDGPU_GEM_OP_*).
const (
	AMDGPU_GEM_OP_GET_GEM_CREATE_INFO = 0
	AMDGPU_GEM_OP_SET_PLACEMENT       = 1
	AMDGPU_GEM_OP_GET_MAPPING_INFO    = 2
)

// GemVMEntry is struct drm_amdgpu_gem_vm_entry, from
// include/uapi/drm/amdgpu_drm.h: one mapping reported by
// AMDGPU_GEM_OP_GET_MAPPING_INFO.
type GemVMEntry struct {
	_      structs.HostLayout
	Addr   uint64
	Size   uint64
	Offset uint64
	Flags  uint64
}

// GemOp is struct drm_amdgpu_gem_op, from include/uapi/drm/amdgpu_drm.h.
type GemOp struct {
	_      structs.HostLayout
	Handle uint32
	Op     uint32 // AMDGPU_GEM_OP_*
	// Value is the input or output value. For GET_GEM_CREATE_INFO it is a
	// user pointer to a GemCreateIn, for GET_MAPPING_INFO a user pointer to
	// GemVMEntry[num_entries], for SET_PLACEMENT the domains; see ValueP64.
	Value      uint64
	NumEntries uint32 // GET_MAPPING_INFO, in/out
	Padding    uint32 // must be 0
}

// ValueP64 returns Value as a user pointer, for the ops that pass one.
func (g *GemOp) ValueP64() P64 { return P64(g.Value) }

// GemOp_V1 is the 16-byte struct drm_amdgpu_gem_op of headers before
// num_entries and padding, from include/uapi/drm/amdgpu_drm.h.
type GemOp_V1 struct {
	_      structs.HostLayout
	Handle uint32
	Op     uint32
	Value  uint64
}

// GEM_USERPTR flags (AMDGPU_GEM_USERPTR_*).
const (
	AMDGPU_GEM_USERPTR_READONLY = 1 << 0
	AMDGPU_GEM_USERPTR_ANONONLY = 1 << 1
	AMDGPU_GEM_USERPTR_VALIDATE = 1 << 2
	AMDGPU_GEM_USERPTR_REGISTER = 1 << 3
)

// GemUserptr is struct drm_amdgpu_gem_userptr, from
// include/uapi/drm/amdgpu_drm.h.
type GemUserptr struct {
	_      structs.HostLayout
	Addr   P64 // start of the user memory to wrap, page aligned
	Size   uint64
	Flags  uint32 // AMDGPU_GEM_USERPTR_*
	Handle uint32 // out
}

// GEM_METADATA operations.
const (
	AMDGPU_GEM_METADATA_OP_SET_METADATA = 1
	AMDGPU_GEM_METADATA_OP_GET_METADATA = 2
)

// GemMetadata is struct drm_amdgpu_gem_metadata, from
// include/uapi/drm/amdgpu_drm.h. The same struct is used for input and
// output.
type GemMetadata struct {
	_      structs.HostLayout
	Handle uint32
	Op     uint32 // AMDGPU_GEM_METADATA_OP_*
	Data   GemMetadataData
}

// GemMetadataData is the anonymous struct drm_amdgpu_gem_metadata.data, from
// include/uapi/drm/amdgpu_drm.h.
type GemMetadataData struct {
	_             structs.HostLayout
	Flags         uint64 // none defined
	TilingInfo    uint64 // AMDGPU_TILING_*
	DataSizeBytes uint32 // at most 256
	Data          [64]uint32
	_             [4]byte // implicit trailing padding (struct is 8-aligned)
}

// AMDGPU_GEM_LIST_HANDLES_FLAG_IS_IMPORT marks an imported BO in
// GemListHandlesEntry.Flags.
const AMDGPU_GEM_LIST_HANDLES_FLAG_IS_IMPORT = 1 << 0

// GemListHandles is struct drm_amdgpu_gem_list_handles, from
// include/uapi/drm/amdgpu_drm.h.
type GemListHandles struct {
	_          structs.HostLayout
	Entries    P64    // GemListHandlesEntry[num_entries]
	NumEntries uint32 // in: capacity; out: number of handles
	Padding    uint32
}

// GemListHandlesEntry is struct drm_amdgpu_gem_list_handles_entry, from
// include/uapi/drm/amdgpu_drm.h.
type GemListHandlesEntry struct {
	_                structs.HostLayout
	GemHandle        uint32
	Flags            uint32 // AMDGPU_GEM_LIST_HANDLES_FLAG_*
	Size             uint64
	PreferredDomains uint64
	AllocFlags       uint64
	Alignment        uint64
}

// UALINK_HANDLE operations (linux-next only).
const (
	DRM_AMDGPU_UALINK_HANDLE_OP_EXPORT = 0
	DRM_AMDGPU_UALINK_HANDLE_OP_IMPORT = 1
)

// UALinkHandleIn is struct drm_amdgpu_ualink_handle_in, from the linux-next
// include/uapi/drm/amdgpu_drm.h (not in mainline). The anonymous union at
// offset 8 is
//
//	union {
//		__u32 gem_handle;              /* EXPORT */
//		__u64 import_ualink_handle[2]; /* IMPORT */
//	};
//
// and is kept as ImportUALinkHandle; GemHandle reads the other arm.
type UALinkHandleIn struct {
	_                  structs.HostLayout
	Op                 uint32 // DRM_AMDGPU_UALINK_HANDLE_OP_*
	Flags              uint32 // none defined
	ImportUALinkHandle [2]uint64
}

// GemHandle returns the gem_handle arm of the union (little-endian).
func (u *UALinkHandleIn) GemHandle() uint32 { return uint32(u.ImportUALinkHandle[0]) }

// UALinkHandleOut is union drm_amdgpu_ualink_handle_out, from the linux-next
// include/uapi/drm/amdgpu_drm.h (not in mainline):
//
//	union drm_amdgpu_ualink_handle_out {
//		__u64 export_ualink_handle[2];
//		__u32 import_dmabuf_handle;
//	};
type UALinkHandleOut struct {
	_                  structs.HostLayout
	ExportUALinkHandle [2]uint64
}

// ImportDmabufHandle returns the import_dmabuf_handle arm (little-endian).
func (u *UALinkHandleOut) ImportDmabufHandle() uint32 { return uint32(u.ExportUALinkHandle[0]) }

// SetImportDmabufHandle sets the import_dmabuf_handle arm, clearing the rest.
func (u *UALinkHandleOut) SetImportDmabufHandle(h uint32) {
	u.ExportUALinkHandle = [2]uint64{uint64(h), 0}
}

// Tiling flags of GemMetadataData.TilingInfo (AMDGPU_TILING_*), SI–VI.
const (
	AMDGPU_TILING_ARRAY_MODE_SHIFT        = 0
	AMDGPU_TILING_ARRAY_MODE_MASK         = 0xf
	AMDGPU_TILING_PIPE_CONFIG_SHIFT       = 4
	AMDGPU_TILING_PIPE_CONFIG_MASK        = 0x1f
	AMDGPU_TILING_TILE_SPLIT_SHIFT        = 9
	AMDGPU_TILING_TILE_SPLIT_MASK         = 0x7
	AMDGPU_TILING_MICRO_TILE_MODE_SHIFT   = 12
	AMDGPU_TILING_MICRO_TILE_MODE_MASK    = 0x7
	AMDGPU_TILING_BANK_WIDTH_SHIFT        = 15
	AMDGPU_TILING_BANK_WIDTH_MASK         = 0x3
	AMDGPU_TILING_BANK_HEIGHT_SHIFT       = 17
	AMDGPU_TILING_BANK_HEIGHT_MASK        = 0x3
	AMDGPU_TILING_MACRO_TILE_ASPECT_SHIFT = 19
	AMDGPU_TILING_MACRO_TILE_ASPECT_MASK  = 0x3
	AMDGPU_TILING_NUM_BANKS_SHIFT         = 21
	AMDGPU_TILING_NUM_BANKS_MASK          = 0x3
)

// Tiling flags, GFX9–GFX11.
const (
	AMDGPU_TILING_SWIZZLE_MODE_SHIFT         = 0
	AMDGPU_TILING_SWIZZLE_MODE_MASK          = 0x1f
	AMDGPU_TILING_DCC_OFFSET_256B_SHIFT      = 5
	AMDGPU_TILING_DCC_OFFSET_256B_MASK       = 0xFFFFFF
	AMDGPU_TILING_DCC_PITCH_MAX_SHIFT        = 29
	AMDGPU_TILING_DCC_PITCH_MAX_MASK         = 0x3FFF
	AMDGPU_TILING_DCC_INDEPENDENT_64B_SHIFT  = 43
	AMDGPU_TILING_DCC_INDEPENDENT_64B_MASK   = 0x1
	AMDGPU_TILING_DCC_INDEPENDENT_128B_SHIFT = 44
	AMDGPU_TILING_DCC_INDEPENDENT_128B_MASK  = 0x1
	AMDGPU_TILING_SCANOUT_SHIFT              = 63
	AMDGPU_TILING_SCANOUT_MASK               = 0x1
)

// Tiling flags, GFX12 and later.
const (
	AMDGPU_TILING_GFX12_SWIZZLE_MODE_SHIFT               = 0
	AMDGPU_TILING_GFX12_SWIZZLE_MODE_MASK                = 0x7
	AMDGPU_TILING_GFX12_DCC_MAX_COMPRESSED_BLOCK_SHIFT   = 3
	AMDGPU_TILING_GFX12_DCC_MAX_COMPRESSED_BLOCK_MASK    = 0x3
	AMDGPU_TILING_GFX12_DCC_NUMBER_TYPE_SHIFT            = 5
	AMDGPU_TILING_GFX12_DCC_NUMBER_TYPE_MASK             = 0x7
	AMDGPU_TILING_GFX12_DCC_DATA_FORMAT_SHIFT            = 8
	AMDGPU_TILING_GFX12_DCC_DATA_FORMAT_MASK             = 0x3f
	AMDGPU_TILING_GFX12_DCC_WRITE_COMPRESS_DISABLE_SHIFT = 14
	AMDGPU_TILING_GFX12_DCC_WRITE_COMPRESS_DISABLE_MASK  = 0x1
	AMDGPU_TILING_GFX12_SCANOUT_SHIFT                    = 63
	AMDGPU_TILING_GFX12_SCANOUT_MASK                     = 0x1
)
