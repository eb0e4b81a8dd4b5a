package amdgpu

import (
	"os"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

// Reference: drm_prime_handle_to_fd_ioctl(), drm_prime_fd_to_handle_ioctl()
// (drm_prime.c), amdgpu_gem_prime_export() (amdgpu_dma_buf.c), dma_buf_get().
func TestPrimeErrnos(t *testing.T) {
	_, f := mustDevice(t, Config{})
	_, g := mustDevice(t, Config{})
	h, err := gemCreate(f, 4096, 0, uapi.AMDGPU_GEM_DOMAIN_GTT, 0)
	if err != nil {
		t.Fatal(err)
	}
	pervm, err := gemCreate(f, 4096, 0, uapi.AMDGPU_GEM_DOMAIN_GTT, uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID)
	if err != nil {
		t.Fatal(err)
	}
	exp := func(f *File, a uapi.PrimeHandle) (uapi.PrimeHandle, error) {
		err := ioctl(f, uapi.DRM_IOCTL_PRIME_HANDLE_TO_FD, &a)
		return a, err
	}
	imp := func(f *File, fd int32) (uint32, error) {
		a := uapi.PrimeHandle{FD: fd}
		err := ioctl(f, uapi.DRM_IOCTL_PRIME_FD_TO_HANDLE, &a)
		return a.Handle, err
	}
	if _, err := exp(f, uapi.PrimeHandle{Handle: h, Flags: 4}); err != errno.EINVAL {
		t.Errorf("bad flags: %v", err)
	}
	if _, err := exp(f, uapi.PrimeHandle{Handle: 99}); err != errno.ENOENT {
		t.Errorf("unknown handle: %v", err)
	}
	if _, err := exp(f, uapi.PrimeHandle{Handle: pervm}); err != errno.EPERM {
		t.Errorf("VM_ALWAYS_VALID export: %v", err)
	}
	a, err := exp(f, uapi.PrimeHandle{Handle: h, Flags: uapi.DRM_CLOEXEC})
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(int(a.FD))
	// The exporter's prime cache gives its own handle back.
	if back, err := imp(f, a.FD); err != nil || back != h {
		t.Errorf("re-import in the exporting file: handle %d %v, want %d", back, err, h)
	}
	if _, err := imp(f, -1); err != errno.EBADF {
		t.Errorf("fd -1: %v", err)
	}
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	if _, err := imp(f, int32(null.Fd())); err != errno.EINVAL {
		t.Errorf("not a dma-buf: %v", err)
	}
	// Another device's dma-buf: not built in vmemu (EINVAL, logged).
	if _, err := imp(g, a.FD); err != errno.EINVAL {
		t.Errorf("another device's dma-buf: %v", err)
	}
	// Another file of the same device gets a handle to the same BO, once.
	f2, _ := f.Device().Open()
	h2, err := imp(f2, a.FD)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := imp(f2, a.FD); again != h2 {
		t.Errorf("second import: %d, want %d", again, h2)
	}
	if f2.LookupBO(h2) != f.LookupBO(h) {
		t.Error("the importer's handle names another BO")
	}
}
