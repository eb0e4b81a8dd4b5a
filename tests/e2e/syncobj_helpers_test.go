package e2e

import (
	"unsafe"

	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/uapi"
)

func exportSyncobj(c *client.Client, h uint32) (int, error) {
	a := uapi.SyncobjHandle{Handle: h}
	err := c.F.Ioctl(uintptr(uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD), unsafe.Pointer(&a))
	return int(a.FD), err
}

func importSyncobj(c *client.Client, fd int) (uint32, error) {
	a := uapi.SyncobjHandle{FD: int32(fd)}
	err := c.F.Ioctl(uintptr(uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE), unsafe.Pointer(&a))
	return a.Handle, err
}
