package amdgpu

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/uapi"
)

// infoIoctl issues DRM_IOCTL_AMDGPU_INFO through File.Ioctl, as a client
// calling ioctl(2) on the DRM fd would, with the result going to out
// (ReturnPointer = &out[0], or 0 for an empty out when nullPtr).
func infoIoctl(f *File, req *uapi.Info, out []byte) error {
	if len(out) > 0 {
		req.ReturnPointer = uapi.SliceP64(out)
	}
	err := f.Ioctl(uintptr(uapi.DRM_IOCTL_AMDGPU_INFO), unsafe.Pointer(req))
	runtime.KeepAlive(out)
	return err
}

// infoOpen opens a file on a new device with the named profile.
func infoOpen(t testing.TB, cfg Config) (*Device, *File) {
	t.Helper()
	dev, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dev.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	return dev, f
}
