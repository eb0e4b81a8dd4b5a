package amdgpu

import (
	"unsafe"

	"github.com/vmemu/vmemu/usermem"
)

// Ioctl issues ioctl req with argument arg, as ioctl(2) on the DRM fd does:
// req is the kernel's request number and arg points to the kernel's struct
// layout; pointers inside it are real pointers into the caller's memory,
// which must stay valid (and reachable, for the Go garbage collector) for the
// call. It returns nil or an error in which errors.As finds a syscall.Errno.
func (f *File) Ioctl(req uintptr, arg unsafe.Pointer) error {
	return f.IoctlIO(usermem.Local{}, uint32(req), uint64(uintptr(arg)))
}
