package uapi

import "structs"

// CS, BO_LIST and fence request numbers.
const (
	DRM_IOCTL_AMDGPU_BO_LIST         uint32 = drmIOWR | SizeOfBOList<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_BO_LIST)
	DRM_IOCTL_AMDGPU_CS              uint32 = drmIOWR | SizeOfCS<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_CS)
	DRM_IOCTL_AMDGPU_WAIT_CS         uint32 = drmIOWR | SizeOfWaitCS<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_WAIT_CS)
	DRM_IOCTL_AMDGPU_WAIT_FENCES     uint32 = drmIOWR | SizeOfWaitFences<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_WAIT_FENCES)
	DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE uint32 = drmIOWR | SizeOfFenceToHandle<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_FENCE_TO_HANDLE)
)

// Struct and union sizes (x86-64/arm64).
const (
	SizeOfBOList             = 24 // union drm_amdgpu_bo_list
	SizeOfBOListEntry        = 8
	SizeOfCS                 = 24 // union drm_amdgpu_cs
	SizeOfCSChunk            = 16
	SizeOfCSChunkIB          = 32
	SizeOfCSChunkDep         = 24
	SizeOfCSChunkFence       = 8
	SizeOfCSChunkSem         = 4
	SizeOfCSChunkSyncobj     = 16
	SizeOfCSChunkCPGfxShadow = 32
	SizeOfCSChunkData        = 32 // union drm_amdgpu_cs_chunk_data (ib | fence)
	SizeOfWaitCS             = 32 // union drm_amdgpu_wait_cs
	SizeOfFence              = 24
	SizeOfWaitFences         = 24 // union drm_amdgpu_wait_fences
	SizeOfFenceToHandle      = 32 // union drm_amdgpu_fence_to_handle
)

// BO_LIST operations.
const (
	AMDGPU_BO_LIST_OP_CREATE  = 0
	AMDGPU_BO_LIST_OP_DESTROY = 1
	AMDGPU_BO_LIST_OP_UPDATE  = 2
)

// BOListIn is struct drm_amdgpu_bo_list_in, from
// include/uapi/drm/amdgpu_drm.h. It is also the payload of the
// AMDGPU_CHUNK_ID_BO_HANDLES chunk.
type BOListIn struct {
	_          structs.HostLayout
	Operation  uint32 // AMDGPU_BO_LIST_OP_*
	ListHandle uint32 // 0 for CREATE
	BONumber   uint32
	BOInfoSize uint32 // stride of one entry in bytes
	BOInfoPtr  P64    // BOListEntry[bo_number], bo_info_size apart
}

// BOListEntry is struct drm_amdgpu_bo_list_entry, from
// include/uapi/drm/amdgpu_drm.h.
type BOListEntry struct {
	_          structs.HostLayout
	BOHandle   uint32
	BOPriority uint32
}

// BOListOut is struct drm_amdgpu_bo_list_out, from
// include/uapi/drm/amdgpu_drm.h.
type BOListOut struct {
	_          structs.HostLayout
	ListHandle uint32
	Pad        uint32
}

// HW IP types (AMDGPU_HW_IP_*).
const (
	AMDGPU_HW_IP_GFX      = 0
	AMDGPU_HW_IP_COMPUTE  = 1
	AMDGPU_HW_IP_DMA      = 2
	AMDGPU_HW_IP_UVD      = 3
	AMDGPU_HW_IP_VCE      = 4
	AMDGPU_HW_IP_UVD_ENC  = 5
	AMDGPU_HW_IP_VCN_DEC  = 6
	AMDGPU_HW_IP_VCN_ENC  = 7 // VCN4+: both encode and decode
	AMDGPU_HW_IP_VCN_JPEG = 8
	AMDGPU_HW_IP_VPE      = 9
	AMDGPU_HW_IP_NUM      = 10

	AMDGPU_HW_IP_INSTANCE_MAX_COUNT = 1
)

// CS chunk ids (AMDGPU_CHUNK_ID_*).
const (
	AMDGPU_CHUNK_ID_IB                      = 0x01 // CSChunkIB
	AMDGPU_CHUNK_ID_FENCE                   = 0x02 // CSChunkFence
	AMDGPU_CHUNK_ID_DEPENDENCIES            = 0x03 // CSChunkDep[]
	AMDGPU_CHUNK_ID_SYNCOBJ_IN              = 0x04 // CSChunkSem[]
	AMDGPU_CHUNK_ID_SYNCOBJ_OUT             = 0x05 // CSChunkSem[]
	AMDGPU_CHUNK_ID_BO_HANDLES              = 0x06 // BOListIn
	AMDGPU_CHUNK_ID_SCHEDULED_DEPENDENCIES  = 0x07 // CSChunkDep[]
	AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_WAIT   = 0x08 // CSChunkSyncobj[]
	AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_SIGNAL = 0x09 // CSChunkSyncobj[]
	AMDGPU_CHUNK_ID_CP_GFX_SHADOW           = 0x0a // CSChunkCPGfxShadow
)

// CSChunk is struct drm_amdgpu_cs_chunk, from include/uapi/drm/amdgpu_drm.h.
type CSChunk struct {
	_         structs.HostLayout
	ChunkID   uint32 // AMDGPU_CHUNK_ID_*
	LengthDW  uint32 // payload length in dwords
	ChunkData P64
}

// CSIn is struct drm_amdgpu_cs_in, from include/uapi/drm/amdgpu_drm.h.
type CSIn struct {
	_            structs.HostLayout
	CtxID        uint32
	BOListHandle uint32 // 0 = none
	NumChunks    uint32
	Flags        uint32 // none defined
	// Chunks points to __u64[num_chunks], each a user pointer to a CSChunk.
	Chunks P64
}

// CSOut is struct drm_amdgpu_cs_out, from include/uapi/drm/amdgpu_drm.h.
type CSOut struct {
	_      structs.HostLayout
	Handle uint64 // sequence number on the gang leader's entity
}

// IB flags (AMDGPU_IB_FLAG_*; note the plural AMDGPU_IB_FLAGS_SECURE).
const (
	AMDGPU_IB_FLAG_CE                    = 1 << 0
	AMDGPU_IB_FLAG_PREAMBLE              = 1 << 1
	AMDGPU_IB_FLAG_PREEMPT               = 1 << 2
	AMDGPU_IB_FLAG_TC_WB_NOT_INVALIDATE  = 1 << 3
	AMDGPU_IB_FLAG_RESET_GDS_MAX_WAVE_ID = 1 << 4
	AMDGPU_IB_FLAGS_SECURE               = 1 << 5
	AMDGPU_IB_FLAG_EMIT_MEM_SYNC         = 1 << 6
)

// CSChunkIB is struct drm_amdgpu_cs_chunk_ib, from
// include/uapi/drm/amdgpu_drm.h.
type CSChunkIB struct {
	_          structs.HostLayout
	Pad        uint32
	Flags      uint32 // AMDGPU_IB_FLAG_*
	VAStart    uint64
	IBBytes    uint32
	IPType     uint32 // AMDGPU_HW_IP_*
	IPInstance uint32
	Ring       uint32
}

// CSChunkDep is struct drm_amdgpu_cs_chunk_dep, from
// include/uapi/drm/amdgpu_drm.h: the entries of DEPENDENCIES and
// SCHEDULED_DEPENDENCIES chunks.
type CSChunkDep struct {
	_          structs.HostLayout
	IPType     uint32
	IPInstance uint32
	Ring       uint32
	CtxID      uint32
	Handle     uint64 // CS sequence number
}

// CSChunkFence is struct drm_amdgpu_cs_chunk_fence, from
// include/uapi/drm/amdgpu_drm.h.
type CSChunkFence struct {
	_      structs.HostLayout
	Handle uint32 // user fence BO
	Offset uint32
}

// CSChunkSem is struct drm_amdgpu_cs_chunk_sem, from
// include/uapi/drm/amdgpu_drm.h: the entries of SYNCOBJ_IN and SYNCOBJ_OUT
// chunks.
type CSChunkSem struct {
	_      structs.HostLayout
	Handle uint32
}

// CSChunkSyncobj is struct drm_amdgpu_cs_chunk_syncobj, from
// include/uapi/drm/amdgpu_drm.h: the entries of SYNCOBJ_TIMELINE_WAIT and
// SYNCOBJ_TIMELINE_SIGNAL chunks.
type CSChunkSyncobj struct {
	_      structs.HostLayout
	Handle uint32
	Flags  uint32 // DRM_SYNCOBJ_WAIT_FLAGS_*
	Point  uint64
}

// AMDGPU_CS_CHUNK_CP_GFX_SHADOW_FLAGS_INIT_SHADOW is a CSChunkCPGfxShadow
// flag.
const AMDGPU_CS_CHUNK_CP_GFX_SHADOW_FLAGS_INIT_SHADOW = 0x1

// CSChunkCPGfxShadow is struct drm_amdgpu_cs_chunk_cp_gfx_shadow, from
// include/uapi/drm/amdgpu_drm.h.
type CSChunkCPGfxShadow struct {
	_        structs.HostLayout
	ShadowVA uint64
	CSAVA    uint64
	GDSVA    uint64
	Flags    uint64
}

// WaitCSIn is struct drm_amdgpu_wait_cs_in, from
// include/uapi/drm/amdgpu_drm.h.
type WaitCSIn struct {
	_          structs.HostLayout
	Handle     uint64 // CS sequence number; ~0 = latest, 0 = nothing
	Timeout    uint64 // absolute CLOCK_MONOTONIC ns; negative as s64 = infinite
	IPType     uint32
	IPInstance uint32
	Ring       uint32
	CtxID      uint32
}

// WaitCSOut is struct drm_amdgpu_wait_cs_out, from
// include/uapi/drm/amdgpu_drm.h.
type WaitCSOut struct {
	_      structs.HostLayout
	Status uint64 // 0 completed, 1 still busy
}

// Fence is struct drm_amdgpu_fence, from include/uapi/drm/amdgpu_drm.h.
type Fence struct {
	_          structs.HostLayout
	CtxID      uint32
	IPType     uint32
	IPInstance uint32
	Ring       uint32
	SeqNo      uint64
}

// WaitFencesIn is struct drm_amdgpu_wait_fences_in, from
// include/uapi/drm/amdgpu_drm.h.
type WaitFencesIn struct {
	_          structs.HostLayout
	Fences     P64 // Fence[fence_count]
	FenceCount uint32
	WaitAll    uint32
	TimeoutNs  uint64 // absolute, as for WaitCSIn.Timeout
}

// WaitFencesOut is struct drm_amdgpu_wait_fences_out, from
// include/uapi/drm/amdgpu_drm.h.
type WaitFencesOut struct {
	_             structs.HostLayout
	Status        uint32 // 1 signaled, 0 timed out (opposite of WAIT_CS)
	FirstSignaled uint32
}

// FENCE_TO_HANDLE what values (AMDGPU_FENCE_TO_HANDLE_*).
const (
	AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ      = 0
	AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ_FD   = 1
	AMDGPU_FENCE_TO_HANDLE_GET_SYNC_FILE_FD = 2
)

// FenceToHandleIn is the in arm of union drm_amdgpu_fence_to_handle, from
// include/uapi/drm/amdgpu_drm.h.
type FenceToHandleIn struct {
	_     structs.HostLayout
	Fence Fence
	What  uint32 // AMDGPU_FENCE_TO_HANDLE_*
	Pad   uint32
}

// FenceToHandleOut is the out arm of union drm_amdgpu_fence_to_handle, from
// include/uapi/drm/amdgpu_drm.h.
type FenceToHandleOut struct {
	_      structs.HostLayout
	Handle uint32 // syncobj handle or fd
}
