package uapi

import "structs"

// User-queue request numbers.
const (
	DRM_IOCTL_AMDGPU_USERQ        uint32 = drmIOWR | SizeOfUserq<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_USERQ)
	DRM_IOCTL_AMDGPU_USERQ_SIGNAL uint32 = drmIOWR | SizeOfUserqSignal<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_USERQ_SIGNAL)
	DRM_IOCTL_AMDGPU_USERQ_WAIT   uint32 = drmIOWR | SizeOfUserqWait<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_USERQ_WAIT)

	// DRM_IOCTL_AMDGPU_USERQ_SIGNAL_V2 is the number of the linux-next
	// 56-byte struct (UserqSignal_V2).
	DRM_IOCTL_AMDGPU_USERQ_SIGNAL_V2 uint32 = drmIOWR | SizeOfUserqSignal_V2<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_USERQ_SIGNAL)
)

// Struct and union sizes (x86-64/arm64).
const (
	SizeOfUserq                = 72 // union drm_amdgpu_userq
	SizeOfUserqMQDGfx11        = 16
	SizeOfUserqMQDSDMAGfx11    = 8
	SizeOfUserqMQDComputeGfx11 = 8
	SizeOfUserqSignal          = 48
	SizeOfUserqSignal_V2       = 56
	SizeOfUserqFenceInfo       = 16
	SizeOfUserqWait            = 72
)

// USERQ operations.
const (
	AMDGPU_USERQ_OP_CREATE = 1
	AMDGPU_USERQ_OP_FREE   = 2
)

// UserqIn.Flags.
const (
	AMDGPU_USERQ_CREATE_FLAGS_QUEUE_PRIORITY_MASK        = 0x3
	AMDGPU_USERQ_CREATE_FLAGS_QUEUE_PRIORITY_SHIFT       = 0
	AMDGPU_USERQ_CREATE_FLAGS_QUEUE_PRIORITY_NORMAL_LOW  = 0
	AMDGPU_USERQ_CREATE_FLAGS_QUEUE_PRIORITY_LOW         = 1
	AMDGPU_USERQ_CREATE_FLAGS_QUEUE_PRIORITY_NORMAL_HIGH = 2
	AMDGPU_USERQ_CREATE_FLAGS_QUEUE_PRIORITY_HIGH        = 3 // admin only
	AMDGPU_USERQ_CREATE_FLAGS_QUEUE_SECURE               = 1 << 2
)

// UserqIn is struct drm_amdgpu_userq_in, from include/uapi/drm/amdgpu_drm.h.
type UserqIn struct {
	_              structs.HostLayout
	Op             uint32 // AMDGPU_USERQ_OP_*
	QueueID        uint32 // FREE only
	IPType         uint32 // AMDGPU_HW_IP_*
	DoorbellHandle uint32
	DoorbellOffset uint32
	Flags          uint32 // AMDGPU_USERQ_CREATE_FLAGS_*
	QueueVA        uint64
	QueueSize      uint64 // 256-byte aligned
	RptrVA         uint64
	WptrVA         uint64
	MQD            P64 // IP-specific UserqMQD*
	MQDSize        uint64
}

// UserqOut is struct drm_amdgpu_userq_out, from
// include/uapi/drm/amdgpu_drm.h.
type UserqOut struct {
	_       structs.HostLayout
	QueueID uint32
	Pad     uint32
}

// UserqMQDGfx11 is struct drm_amdgpu_userq_mqd_gfx11, from
// include/uapi/drm/amdgpu_drm.h.
type UserqMQDGfx11 struct {
	_        structs.HostLayout
	ShadowVA uint64
	CSAVA    uint64
}

// UserqMQDSDMAGfx11 is struct drm_amdgpu_userq_mqd_sdma_gfx11, from
// include/uapi/drm/amdgpu_drm.h.
type UserqMQDSDMAGfx11 struct {
	_     structs.HostLayout
	CSAVA uint64
}

// UserqMQDComputeGfx11 is struct drm_amdgpu_userq_mqd_compute_gfx11, from
// include/uapi/drm/amdgpu_drm.h.
type UserqMQDComputeGfx11 struct {
	_     structs.HostLayout
	EOPVA uint64
}

// UserqSignal is struct drm_amdgpu_userq_signal, from the mainline
// include/uapi/drm/amdgpu_drm.h (48 bytes). linux-next narrows
// num_syncobj_handles and appends syncobj_points; see UserqSignal_V2.
type UserqSignal struct {
	_                 structs.HostLayout
	QueueID           uint32
	Pad               uint32
	SyncobjHandles    P64 // __u32[num_syncobj_handles]
	NumSyncobjHandles uint64
	BOReadHandles     P64 // __u32[num_bo_read_handles]
	BOWriteHandles    P64 // __u32[num_bo_write_handles]
	NumBOReadHandles  uint32
	NumBOWriteHandles uint32
}

// UserqSignal_V2 is struct drm_amdgpu_userq_signal of the linux-next
// include/uapi/drm/amdgpu_drm.h (56 bytes; KMS 3.65 "userq syncobj timeline
// signaling"). On little-endian machines a 48-byte UserqSignal with fewer
// than 65536 syncobjs reads the same through this layout.
type UserqSignal_V2 struct {
	_                 structs.HostLayout
	QueueID           uint32
	Pad               uint32
	SyncobjHandles    P64
	NumSyncobjHandles uint16
	Pad0              uint16
	Pad1              uint32
	BOReadHandles     P64
	BOWriteHandles    P64
	NumBOReadHandles  uint32
	NumBOWriteHandles uint32
	// SyncobjPoints points to __u64[num_syncobj_handles]; a nonzero point
	// adds a timeline point instead of replacing the fence.
	SyncobjPoints P64
}

// UserqFenceInfo is struct drm_amdgpu_userq_fence_info, from
// include/uapi/drm/amdgpu_drm.h.
type UserqFenceInfo struct {
	_     structs.HostLayout
	VA    uint64 // GPU address of the queue's RPTR
	Value uint64 // WPTR value to compare against
}

// UserqWait is struct drm_amdgpu_userq_wait, from the mainline
// include/uapi/drm/amdgpu_drm.h. linux-next has the same size but splits
// num_syncobj_handles into __u16 num_syncobj_handles and __u16 pad0, which
// reads the same on little-endian machines while pad0 is 0.
type UserqWait struct {
	_                         structs.HostLayout
	WaitqID                   uint32
	Pad                       uint32
	SyncobjHandles            P64 // __u32[num_syncobj_handles]
	SyncobjTimelineHandles    P64 // __u32[num_syncobj_timeline_handles]
	SyncobjTimelinePoints     P64 // __u64[num_syncobj_timeline_handles]
	BOReadHandles             P64
	BOWriteHandles            P64
	NumSyncobjTimelineHandles uint16
	NumFences                 uint16 // in: capacity of out_fences; out: count
	NumSyncobjHandles         uint32
	NumBOReadHandles          uint32
	NumBOWriteHandles         uint32
	OutFences                 P64 // UserqFenceInfo[num_fences]
}
