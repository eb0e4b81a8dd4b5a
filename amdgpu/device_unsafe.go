package amdgpu

import (
	"unsafe"

	"github.com/vmemu/vmemu/usermem"
)

// FDIoctl is FDIoctlIO on the caller's own memory: arg points to the
// request's struct, as for ioctl(2).
func (d *Device) FDIoctl(fd int, req uintptr, arg unsafe.Pointer) error {
	usermem.Escape(arg)
	return d.FDIoctlIO(usermem.Local{}, fd, uint32(req), uint64(uintptr(arg)))
}
