package uapi

import "structs"

// DRM core ioctl numbers (nr) from include/uapi/drm/drm.h that the emulator
// serves or needs to recognise. The syncobj ones are in syncobj.go.
const (
	DRM_IOCTL_NR_VERSION            = 0x00
	DRM_IOCTL_NR_GEM_CLOSE          = 0x09
	DRM_IOCTL_NR_GEM_FLINK          = 0x0A
	DRM_IOCTL_NR_GEM_OPEN           = 0x0B
	DRM_IOCTL_NR_GET_CAP            = 0x0C
	DRM_IOCTL_NR_SET_CLIENT_CAP     = 0x0D
	DRM_IOCTL_NR_PRIME_HANDLE_TO_FD = 0x2D
	DRM_IOCTL_NR_PRIME_FD_TO_HANDLE = 0x2E
	DRM_IOCTL_NR_MODE_CLOSEFB       = 0xD0
	DRM_IOCTL_NR_SET_CLIENT_NAME    = 0xD1
)

// DRM core request numbers.
const (
	DRM_IOCTL_VERSION            uint32 = drmIOWR | SizeOfDRMVersion<<IOC_SIZESHIFT | DRM_IOCTL_NR_VERSION
	DRM_IOCTL_GEM_CLOSE          uint32 = drmIOW | SizeOfGemClose<<IOC_SIZESHIFT | DRM_IOCTL_NR_GEM_CLOSE
	DRM_IOCTL_GEM_FLINK          uint32 = drmIOWR | SizeOfGemFlink<<IOC_SIZESHIFT | DRM_IOCTL_NR_GEM_FLINK
	DRM_IOCTL_GEM_OPEN           uint32 = drmIOWR | SizeOfGemOpen<<IOC_SIZESHIFT | DRM_IOCTL_NR_GEM_OPEN
	DRM_IOCTL_GET_CAP            uint32 = drmIOWR | SizeOfGetCap<<IOC_SIZESHIFT | DRM_IOCTL_NR_GET_CAP
	DRM_IOCTL_SET_CLIENT_CAP     uint32 = drmIOW | SizeOfSetClientCap<<IOC_SIZESHIFT | DRM_IOCTL_NR_SET_CLIENT_CAP
	DRM_IOCTL_PRIME_HANDLE_TO_FD uint32 = drmIOWR | SizeOfPrimeHandle<<IOC_SIZESHIFT | DRM_IOCTL_NR_PRIME_HANDLE_TO_FD
	DRM_IOCTL_PRIME_FD_TO_HANDLE uint32 = drmIOWR | SizeOfPrimeHandle<<IOC_SIZESHIFT | DRM_IOCTL_NR_PRIME_FD_TO_HANDLE
	DRM_IOCTL_SET_CLIENT_NAME    uint32 = drmIOWR | SizeOfSetClientName<<IOC_SIZESHIFT | DRM_IOCTL_NR_SET_CLIENT_NAME
)

// Struct sizes (x86-64/arm64).
const (
	SizeOfDRMVersion    = 64
	SizeOfGemClose      = 8
	SizeOfGemFlink      = 8
	SizeOfGemOpen       = 16
	SizeOfGetCap        = 16
	SizeOfSetClientCap  = 16
	SizeOfPrimeHandle   = 12
	SizeOfSetClientName = 16
)

// DRMVersion is struct drm_version, from include/uapi/drm/drm.h.
//
// For each string the kernel copies at most *Len bytes, without a NUL, and
// then stores the full length in *Len.
type DRMVersion struct {
	_                 structs.HostLayout
	VersionMajor      int32
	VersionMinor      int32
	VersionPatchlevel int32
	_                 [4]byte // implicit padding before the size_t
	NameLen           uint64  // __kernel_size_t
	Name              P64     // char __user *
	DateLen           uint64
	Date              P64
	DescLen           uint64
	Desc              P64
}

// GemClose is struct drm_gem_close, from include/uapi/drm/drm.h.
type GemClose struct {
	_      structs.HostLayout
	Handle uint32
	Pad    uint32
}

// GemFlink is struct drm_gem_flink, from include/uapi/drm/drm.h. Render nodes
// do not allow DRM_IOCTL_GEM_FLINK.
type GemFlink struct {
	_      structs.HostLayout
	Handle uint32
	Name   uint32 // out: global name
}

// GemOpen is struct drm_gem_open, from include/uapi/drm/drm.h. Render nodes
// do not allow DRM_IOCTL_GEM_OPEN.
type GemOpen struct {
	_      structs.HostLayout
	Name   uint32
	Handle uint32 // out
	Size   uint64 // out
}

// GetCap is struct drm_get_cap, from include/uapi/drm/drm.h.
type GetCap struct {
	_          structs.HostLayout
	Capability uint64 // DRM_CAP_*
	Value      uint64 // out
}

// SetClientCap is struct drm_set_client_cap, from include/uapi/drm/drm.h.
type SetClientCap struct {
	_          structs.HostLayout
	Capability uint64 // DRM_CLIENT_CAP_*
	Value      uint64
}

// PrimeHandle is struct drm_prime_handle, from include/uapi/drm/drm.h.
type PrimeHandle struct {
	_      structs.HostLayout
	Handle uint32
	Flags  uint32 // DRM_CLOEXEC | DRM_RDWR, HANDLE_TO_FD only
	FD     int32  // dma-buf fd: out for HANDLE_TO_FD, in for FD_TO_HANDLE
}

// SetClientName is struct drm_set_client_name, from include/uapi/drm/drm.h.
type SetClientName struct {
	_       structs.HostLayout
	NameLen uint64 // at most DRM_CLIENT_NAME_MAX_LEN
	Name    P64
}

// DRM_CLIENT_NAME_MAX_LEN bounds SetClientName.NameLen.
const DRM_CLIENT_NAME_MAX_LEN = 64

// DRM_CAP_* capabilities for DRM_IOCTL_GET_CAP.
const (
	DRM_CAP_DUMB_BUFFER            = 0x1
	DRM_CAP_VBLANK_HIGH_CRTC       = 0x2
	DRM_CAP_DUMB_PREFERRED_DEPTH   = 0x3
	DRM_CAP_DUMB_PREFER_SHADOW     = 0x4
	DRM_CAP_PRIME                  = 0x5
	DRM_CAP_TIMESTAMP_MONOTONIC    = 0x6
	DRM_CAP_ASYNC_PAGE_FLIP        = 0x7
	DRM_CAP_CURSOR_WIDTH           = 0x8
	DRM_CAP_CURSOR_HEIGHT          = 0x9
	DRM_CAP_ADDFB2_MODIFIERS       = 0x10
	DRM_CAP_PAGE_FLIP_TARGET       = 0x11
	DRM_CAP_CRTC_IN_VBLANK_EVENT   = 0x12
	DRM_CAP_SYNCOBJ                = 0x13
	DRM_CAP_SYNCOBJ_TIMELINE       = 0x14
	DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP = 0x15
)

// Bits of the DRM_CAP_PRIME value.
const (
	DRM_PRIME_CAP_IMPORT = 0x1
	DRM_PRIME_CAP_EXPORT = 0x2
)

// DRM_CLIENT_CAP_* capabilities for DRM_IOCTL_SET_CLIENT_CAP.
const (
	DRM_CLIENT_CAP_STEREO_3D            = 1
	DRM_CLIENT_CAP_UNIVERSAL_PLANES     = 2
	DRM_CLIENT_CAP_ATOMIC               = 3
	DRM_CLIENT_CAP_ASPECT_RATIO         = 4
	DRM_CLIENT_CAP_WRITEBACK_CONNECTORS = 5
	DRM_CLIENT_CAP_CURSOR_PLANE_HOTSPOT = 6
)

// PrimeHandle.Flags for DRM_IOCTL_PRIME_HANDLE_TO_FD: O_CLOEXEC and O_RDWR as
// on x86-64 and arm64.
const (
	DRM_CLOEXEC = 0x80000
	DRM_RDWR    = 0x2
)
