package amdgpu_test

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// FuzzIoctl issues a stream of ioctls with fuzzed request numbers and
// argument bytes against one file: never a panic, never a hang (endless
// waits fail under FailDeadlocks), every error a syscall.Errno, and the
// device still closes cleanly with no descriptor left behind.
func FuzzIoctl(f *testing.F) {
	seed := func(reqs ...uint32) []byte {
		var b []byte
		for _, r := range reqs {
			b = binary.LittleEndian.AppendUint32(b, r)
			b = append(b, make([]byte, 64)...)
		}
		return b
	}
	f.Add(seed(uapi.DRM_IOCTL_SYNCOBJ_CREATE, uapi.DRM_IOCTL_SYNCOBJ_WAIT))
	f.Add(seed(uapi.DRM_IOCTL_SYNCOBJ_CREATE, uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL))
	f.Add(seed(uapi.DRM_IOCTL_VERSION, uapi.DRM_IOCTL_GET_CAP, uapi.DRM_IOCTL_AMDGPU_INFO))
	f.Add(seed(uapi.DRM_IOCTL_AMDGPU_GEM_CREATE, uapi.DRM_IOCTL_PRIME_HANDLE_TO_FD, uapi.DRM_IOCTL_PRIME_FD_TO_HANDLE, uapi.DRM_IOCTL_GEM_CLOSE))
	f.Fuzz(func(t *testing.T, data []byte) {
		dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true, Logf: func(string, ...any) {}})
		if err != nil {
			t.Fatal(err)
		}
		file, _ := dev.Open()
		// User memory: one region at 0x10000; pointers in the fuzzed bytes
		// either land in it or fault.
		const base = 0x10000
		region := make([]byte, 4096)
		var mem usermem.Sandbox
		mem.Map(base, region)
		for len(data) >= 4 {
			req := binary.LittleEndian.Uint32(data)
			data = data[4:]
			n := copy(region, data[:min(len(data), 64)])
			data = data[n:]
			err := file.IoctlIO(&mem, req, base)
			if err != nil {
				var e syscall.Errno
				if !errors.As(err, &e) {
					t.Fatalf("req %#x: error %v is not an errno", req, err)
				}
			}
		}
		if err := dev.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
	})
}
