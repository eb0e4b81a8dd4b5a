package amdgpu

import (
	"unsafe"

	"github.com/vmemu/vmemu/usermem"
)

// Ioctl issues ioctl req with argument arg, as ioctl(2) on the DRM fd does:
// req is the kernel's request number and arg points to the kernel's struct
// layout; pointers inside it are real pointers into the caller's memory,
// which must stay valid (and reachable, for the Go garbage collector) for the
// call (uapi.SliceP64, uapi.PtrTo, usermem.SliceAddr and usermem.PtrAddr
// move what they point to onto the heap, where it does not move; addresses
// built by hand must point to heap or pinned memory). The argument struct
// itself is moved to the heap by the same mechanism. It returns nil or an error in which errors.As finds a syscall.Errno.
func (f *File) Ioctl(req uintptr, arg unsafe.Pointer) error {
	usermem.Escape(arg) // the argument must not move while we hold its address
	return f.IoctlIO(usermem.Local{}, uint32(req), uint64(uintptr(arg)))
}

// FDIoctl is File.FDIoctlIO on the caller's own memory.
func (f *File) FDIoctl(fd int, req uintptr, arg unsafe.Pointer) error {
	usermem.Escape(arg)
	return f.FDIoctlIO(usermem.Local{}, fd, uint32(req), uint64(uintptr(arg)))
}
