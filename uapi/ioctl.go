package uapi

// The generic Linux ioctl request encoding of include/uapi/asm-generic/ioctl.h
// (x86-64 and arm64): nr in bits 0–7, type in bits 8–15, size in bits 16–29
// and direction in bits 30–31.
const (
	IOC_NRBITS   = 8
	IOC_TYPEBITS = 8
	IOC_SIZEBITS = 14
	IOC_DIRBITS  = 2

	IOC_NRMASK   = 1<<IOC_NRBITS - 1
	IOC_TYPEMASK = 1<<IOC_TYPEBITS - 1
	IOC_SIZEMASK = 1<<IOC_SIZEBITS - 1
	IOC_DIRMASK  = 1<<IOC_DIRBITS - 1

	IOC_NRSHIFT   = 0
	IOC_TYPESHIFT = IOC_NRSHIFT + IOC_NRBITS
	IOC_SIZESHIFT = IOC_TYPESHIFT + IOC_TYPEBITS
	IOC_DIRSHIFT  = IOC_SIZESHIFT + IOC_SIZEBITS
)

// Directions. IOC_WRITE means user space writes the argument (the kernel
// copies it in); IOC_READ means the kernel copies it back out.
const (
	IOC_NONE  = 0
	IOC_WRITE = 1
	IOC_READ  = 2
)

// IOC mirrors _IOC(dir, type, nr, size).
func IOC(dir, typ, nr, size uint32) uint32 {
	return dir<<IOC_DIRSHIFT | typ<<IOC_TYPESHIFT | nr<<IOC_NRSHIFT | size<<IOC_SIZESHIFT
}

// IO mirrors _IO(type, nr).
func IO(typ, nr uint32) uint32 { return IOC(IOC_NONE, typ, nr, 0) }

// IOR mirrors _IOR(type, nr, size): the kernel writes the argument.
func IOR(typ, nr, size uint32) uint32 { return IOC(IOC_READ, typ, nr, size) }

// IOW mirrors _IOW(type, nr, size): the kernel reads the argument.
func IOW(typ, nr, size uint32) uint32 { return IOC(IOC_WRITE, typ, nr, size) }

// IOWR mirrors _IOWR(type, nr, size).
func IOWR(typ, nr, size uint32) uint32 { return IOC(IOC_READ|IOC_WRITE, typ, nr, size) }

// IOC_DIR mirrors _IOC_DIR(req).
func IOC_DIR(req uint32) uint32 { return req >> IOC_DIRSHIFT & IOC_DIRMASK }

// IOC_TYPE mirrors _IOC_TYPE(req).
func IOC_TYPE(req uint32) uint32 { return req >> IOC_TYPESHIFT & IOC_TYPEMASK }

// IOC_NR mirrors _IOC_NR(req).
func IOC_NR(req uint32) uint32 { return req >> IOC_NRSHIFT & IOC_NRMASK }

// IOC_SIZE mirrors _IOC_SIZE(req).
func IOC_SIZE(req uint32) uint32 { return req >> IOC_SIZESHIFT & IOC_SIZEMASK }

// DRM bases from include/uapi/drm/drm.h. Driver-private ioctls use nr in
// [DRM_COMMAND_BASE, DRM_COMMAND_END); core ioctls use the rest.
const (
	DRM_IOCTL_BASE   = 'd'
	DRM_COMMAND_BASE = 0x40
	DRM_COMMAND_END  = 0xA0
)

// DRM_IO mirrors DRM_IO(nr).
func DRM_IO(nr uint32) uint32 { return IO(DRM_IOCTL_BASE, nr) }

// DRM_IOR mirrors DRM_IOR(nr, type).
func DRM_IOR(nr, size uint32) uint32 { return IOR(DRM_IOCTL_BASE, nr, size) }

// DRM_IOW mirrors DRM_IOW(nr, type).
func DRM_IOW(nr, size uint32) uint32 { return IOW(DRM_IOCTL_BASE, nr, size) }

// DRM_IOWR mirrors DRM_IOWR(nr, type).
func DRM_IOWR(nr, size uint32) uint32 { return IOWR(DRM_IOCTL_BASE, nr, size) }

// Constant-expression forms of the macros above, so that request numbers can
// be typed constants (Go has no constant functions). A request number is
// written
//
//	drmIOWR | SizeOfX<<IOC_SIZESHIFT | nr
//
// which equals DRM_IOWR(nr, SizeOfX); TestIoctlNumbers checks every request
// number against the functions and against literal values.
const (
	iocIOR  = IOC_READ << IOC_DIRSHIFT
	iocIOW  = IOC_WRITE << IOC_DIRSHIFT
	iocIOWR = (IOC_READ | IOC_WRITE) << IOC_DIRSHIFT

	drmType = DRM_IOCTL_BASE << IOC_TYPESHIFT
	drmIOW  = iocIOW | drmType
	drmIOWR = iocIOWR | drmType
)

// amdgpu ioctl indices, from include/uapi/drm/amdgpu_drm.h. The request nr is
// DRM_COMMAND_BASE plus the index; indices 0x0A–0x0F are unused.
const (
	DRM_AMDGPU_GEM_CREATE       = 0x00
	DRM_AMDGPU_GEM_MMAP         = 0x01
	DRM_AMDGPU_CTX              = 0x02
	DRM_AMDGPU_BO_LIST          = 0x03
	DRM_AMDGPU_CS               = 0x04
	DRM_AMDGPU_INFO             = 0x05
	DRM_AMDGPU_GEM_METADATA     = 0x06
	DRM_AMDGPU_GEM_WAIT_IDLE    = 0x07
	DRM_AMDGPU_GEM_VA           = 0x08
	DRM_AMDGPU_WAIT_CS          = 0x09
	DRM_AMDGPU_GEM_OP           = 0x10
	DRM_AMDGPU_GEM_USERPTR      = 0x11
	DRM_AMDGPU_WAIT_FENCES      = 0x12
	DRM_AMDGPU_VM               = 0x13
	DRM_AMDGPU_FENCE_TO_HANDLE  = 0x14
	DRM_AMDGPU_SCHED            = 0x15
	DRM_AMDGPU_USERQ            = 0x16
	DRM_AMDGPU_USERQ_SIGNAL     = 0x17
	DRM_AMDGPU_USERQ_WAIT       = 0x18
	DRM_AMDGPU_GEM_LIST_HANDLES = 0x19

	// Only in linux-next (not yet in the mainline header mirrored here).
	DRM_AMDGPU_PROC_OPTIONS  = 0x1A
	DRM_AMDGPU_UALINK_HANDLE = 0x1B
)

// The amdgpu KMS interface version mirrored, as reported by
// DRM_IOCTL_VERSION (drivers/gpu/drm/amd/amdgpu/amdgpu_drv.c).
const (
	KMS_DRIVER_MAJOR      = 3
	KMS_DRIVER_MINOR      = 65
	KMS_DRIVER_PATCHLEVEL = 0

	DRIVER_NAME = "amdgpu"
	DRIVER_DESC = "AMD GPU"
)
