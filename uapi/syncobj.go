package uapi

import "structs"

// Syncobj ioctl numbers (nr) from include/uapi/drm/drm.h.
const (
	DRM_IOCTL_NR_SYNCOBJ_CREATE          = 0xBF
	DRM_IOCTL_NR_SYNCOBJ_DESTROY         = 0xC0
	DRM_IOCTL_NR_SYNCOBJ_HANDLE_TO_FD    = 0xC1
	DRM_IOCTL_NR_SYNCOBJ_FD_TO_HANDLE    = 0xC2
	DRM_IOCTL_NR_SYNCOBJ_WAIT            = 0xC3
	DRM_IOCTL_NR_SYNCOBJ_RESET           = 0xC4
	DRM_IOCTL_NR_SYNCOBJ_SIGNAL          = 0xC5
	DRM_IOCTL_NR_SYNCOBJ_TIMELINE_WAIT   = 0xCA
	DRM_IOCTL_NR_SYNCOBJ_QUERY           = 0xCB
	DRM_IOCTL_NR_SYNCOBJ_TRANSFER        = 0xCC
	DRM_IOCTL_NR_SYNCOBJ_TIMELINE_SIGNAL = 0xCD
	DRM_IOCTL_NR_SYNCOBJ_EVENTFD         = 0xCF
)

// Syncobj request numbers. All are DRM_IOWR.
const (
	DRM_IOCTL_SYNCOBJ_CREATE          uint32 = drmIOWR | SizeOfSyncobjCreate<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_CREATE
	DRM_IOCTL_SYNCOBJ_DESTROY         uint32 = drmIOWR | SizeOfSyncobjDestroy<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_DESTROY
	DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD    uint32 = drmIOWR | SizeOfSyncobjHandle<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_HANDLE_TO_FD
	DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE    uint32 = drmIOWR | SizeOfSyncobjHandle<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_FD_TO_HANDLE
	DRM_IOCTL_SYNCOBJ_WAIT            uint32 = drmIOWR | SizeOfSyncobjWait<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_WAIT
	DRM_IOCTL_SYNCOBJ_RESET           uint32 = drmIOWR | SizeOfSyncobjArray<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_RESET
	DRM_IOCTL_SYNCOBJ_SIGNAL          uint32 = drmIOWR | SizeOfSyncobjArray<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_SIGNAL
	DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT   uint32 = drmIOWR | SizeOfSyncobjTimelineWait<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_TIMELINE_WAIT
	DRM_IOCTL_SYNCOBJ_QUERY           uint32 = drmIOWR | SizeOfSyncobjTimelineArray<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_QUERY
	DRM_IOCTL_SYNCOBJ_TRANSFER        uint32 = drmIOWR | SizeOfSyncobjTransfer<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_TRANSFER
	DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL uint32 = drmIOWR | SizeOfSyncobjTimelineArray<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_TIMELINE_SIGNAL
	DRM_IOCTL_SYNCOBJ_EVENTFD         uint32 = drmIOWR | SizeOfSyncobjEventfd<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_EVENTFD
)

// Request numbers of older headers, before drm_syncobj_handle gained point
// and the waits gained deadline_nsec. drm_ioctl() dispatches on nr only and
// zero-extends the argument, so these still work and mean point 0 and no
// deadline.
const (
	DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1  uint32 = drmIOWR | SizeOfSyncobjHandle_V1<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_HANDLE_TO_FD
	DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1  uint32 = drmIOWR | SizeOfSyncobjHandle_V1<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_FD_TO_HANDLE
	DRM_IOCTL_SYNCOBJ_WAIT_V1          uint32 = drmIOWR | SizeOfSyncobjWait_V1<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_WAIT
	DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT_V1 uint32 = drmIOWR | SizeOfSyncobjTimelineWait_V1<<IOC_SIZESHIFT | DRM_IOCTL_NR_SYNCOBJ_TIMELINE_WAIT
)

// Struct sizes (x86-64/arm64).
const (
	SizeOfSyncobjCreate          = 8
	SizeOfSyncobjDestroy         = 8
	SizeOfSyncobjHandle          = 24
	SizeOfSyncobjHandle_V1       = 16
	SizeOfSyncobjTransfer        = 32
	SizeOfSyncobjWait            = 40
	SizeOfSyncobjWait_V1         = 32
	SizeOfSyncobjTimelineWait    = 48
	SizeOfSyncobjTimelineWait_V1 = 40
	SizeOfSyncobjEventfd         = 24
	SizeOfSyncobjArray           = 16
	SizeOfSyncobjTimelineArray   = 24
)

// SyncobjCreate is struct drm_syncobj_create, from include/uapi/drm/drm.h.
type SyncobjCreate struct {
	_      structs.HostLayout
	Handle uint32 // out
	Flags  uint32 // DRM_SYNCOBJ_CREATE_*
}

// SyncobjDestroy is struct drm_syncobj_destroy, from include/uapi/drm/drm.h.
type SyncobjDestroy struct {
	_      structs.HostLayout
	Handle uint32
	Pad    uint32
}

// SyncobjHandle is struct drm_syncobj_handle, from include/uapi/drm/drm.h,
// the argument of SYNCOBJ_HANDLE_TO_FD and SYNCOBJ_FD_TO_HANDLE.
type SyncobjHandle struct {
	_      structs.HostLayout
	Handle uint32
	Flags  uint32 // DRM_SYNCOBJ_{FD_TO_HANDLE,HANDLE_TO_FD}_FLAGS_*
	FD     int32
	Pad    uint32
	Point  uint64 // with the *_FLAGS_TIMELINE flags
}

// SyncobjHandle_V1 is the 16-byte struct drm_syncobj_handle of headers
// before the point field, from include/uapi/drm/drm.h.
type SyncobjHandle_V1 struct {
	_      structs.HostLayout
	Handle uint32
	Flags  uint32
	FD     int32
	Pad    uint32
}

// SyncobjTransfer is struct drm_syncobj_transfer, from
// include/uapi/drm/drm.h.
type SyncobjTransfer struct {
	_         structs.HostLayout
	SrcHandle uint32
	DstHandle uint32
	SrcPoint  uint64
	DstPoint  uint64
	Flags     uint32 // DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
	Pad       uint32
}

// SyncobjWait is struct drm_syncobj_wait, from include/uapi/drm/drm.h.
type SyncobjWait struct {
	_             structs.HostLayout
	Handles       P64   // __u32[count_handles]
	TimeoutNsec   int64 // absolute CLOCK_MONOTONIC
	CountHandles  uint32
	Flags         uint32 // DRM_SYNCOBJ_WAIT_FLAGS_*
	FirstSignaled uint32 // out, only when not waiting for all
	Pad           uint32
	DeadlineNsec  uint64 // with DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE
}

// SyncobjWait_V1 is the 32-byte struct drm_syncobj_wait of headers before
// deadline_nsec, from include/uapi/drm/drm.h.
type SyncobjWait_V1 struct {
	_             structs.HostLayout
	Handles       P64
	TimeoutNsec   int64
	CountHandles  uint32
	Flags         uint32
	FirstSignaled uint32
	Pad           uint32
}

// SyncobjTimelineWait is struct drm_syncobj_timeline_wait, from
// include/uapi/drm/drm.h.
type SyncobjTimelineWait struct {
	_             structs.HostLayout
	Handles       P64 // __u32[count_handles]
	Points        P64 // __u64[count_handles]
	TimeoutNsec   int64
	CountHandles  uint32
	Flags         uint32
	FirstSignaled uint32
	Pad           uint32
	DeadlineNsec  uint64
}

// SyncobjTimelineWait_V1 is the 40-byte struct drm_syncobj_timeline_wait of
// headers before deadline_nsec, from include/uapi/drm/drm.h.
type SyncobjTimelineWait_V1 struct {
	_             structs.HostLayout
	Handles       P64
	Points        P64
	TimeoutNsec   int64
	CountHandles  uint32
	Flags         uint32
	FirstSignaled uint32
	Pad           uint32
}

// SyncobjEventfd is struct drm_syncobj_eventfd, from include/uapi/drm/drm.h.
type SyncobjEventfd struct {
	_      structs.HostLayout
	Handle uint32
	Flags  uint32 // 0 or DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE
	Point  uint64
	FD     int32 // eventfd
	Pad    uint32
}

// SyncobjArray is struct drm_syncobj_array, from include/uapi/drm/drm.h, the
// argument of SYNCOBJ_RESET and SYNCOBJ_SIGNAL.
type SyncobjArray struct {
	_            structs.HostLayout
	Handles      P64 // __u32[count_handles]
	CountHandles uint32
	Pad          uint32
}

// SyncobjTimelineArray is struct drm_syncobj_timeline_array, from
// include/uapi/drm/drm.h, the argument of SYNCOBJ_QUERY and
// SYNCOBJ_TIMELINE_SIGNAL.
type SyncobjTimelineArray struct {
	_            structs.HostLayout
	Handles      P64 // __u32[count_handles]
	Points       P64 // __u64[count_handles]
	CountHandles uint32
	Flags        uint32 // DRM_SYNCOBJ_QUERY_FLAGS_*
}

// Syncobj flags, from include/uapi/drm/drm.h.
const (
	DRM_SYNCOBJ_CREATE_SIGNALED = 1 << 0

	DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE = 1 << 0
	DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE         = 1 << 1
	DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE = 1 << 0
	DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE         = 1 << 1

	DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL        = 1 << 0
	DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT = 1 << 1
	DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE  = 1 << 2
	DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE   = 1 << 3

	DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED = 1 << 0
)
