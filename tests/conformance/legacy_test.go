package conformance

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/uapi"
)

// IGT is built against its bundled include/drm-uapi/drm.h, whose
// drm_syncobj_handle (16 bytes), drm_syncobj_wait (32) and
// drm_syncobj_timeline_wait (40) predate the point and deadline_nsec
// fields, so it sends request numbers with those sizes. drm_ioctl()
// dispatches on nr alone, zero-extends a short argument and copies back
// only the caller's size (spec/uapi.md §1.2, §3.2). The tests here pin
// those numbers and that behaviour.

const sentinel = uint64(0xa5a5_a5a5_a5a5_a5a5)

func TestLegacyStructSizes(t *testing.T) {
	t.Run("sizes-and-request-numbers", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			size, want uintptr
			req, value uint32
		}{
			{"drm_syncobj_handle (IGT)", unsafe.Sizeof(uapi.SyncobjHandle_V1{}), 16, uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1, 0xC01064C1},
			{"drm_syncobj_handle (IGT)", unsafe.Sizeof(uapi.SyncobjHandle_V1{}), 16, uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1, 0xC01064C2},
			{"drm_syncobj_wait (IGT)", unsafe.Sizeof(uapi.SyncobjWait_V1{}), 32, uapi.DRM_IOCTL_SYNCOBJ_WAIT_V1, 0xC02064C3},
			{"drm_syncobj_timeline_wait (IGT)", unsafe.Sizeof(uapi.SyncobjTimelineWait_V1{}), 40, uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT_V1, 0xC02864CA},
			{"drm_syncobj_handle", unsafe.Sizeof(uapi.SyncobjHandle{}), 24, uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 0xC01864C1},
			{"drm_syncobj_handle", unsafe.Sizeof(uapi.SyncobjHandle{}), 24, uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 0xC01864C2},
			{"drm_syncobj_wait", unsafe.Sizeof(uapi.SyncobjWait{}), 40, uapi.DRM_IOCTL_SYNCOBJ_WAIT, 0xC02864C3},
			{"drm_syncobj_timeline_wait", unsafe.Sizeof(uapi.SyncobjTimelineWait{}), 48, uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, 0xC03064CA},
		} {
			if tc.size != tc.want || tc.req != tc.value {
				t.Errorf("%s: size %d, request %#x; want %d, %#x", tc.name, tc.size, tc.req, tc.want, tc.value)
			}
		}
	})

	t.Run("handle-to-fd-16-bytes", func(t *testing.T) {
		// A timeline syncobj with points up to 5. The 24-byte struct
		// asking to export unsubmitted point 7 fails; the 16-byte struct
		// followed by the same bytes where point would be exports point
		// 0 (the head): the kernel never reads past the caller's 16
		// bytes, nor writes past them.
		c, _ := setup(t)
		h := c.create(0)
		c.timelineSignal([]uint32{h}, []uint64{5})
		flags := uint32(uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE)
		full := &uapi.SyncobjHandle{Handle: h, Flags: flags, Point: 7}
		expect(t, "HANDLE_TO_FD (24 bytes) of unsubmitted point 7", call(c, uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, full), syscall.EINVAL)
		legacy := &struct {
			a    uapi.SyncobjHandle_V1
			tail uint64
		}{a: uapi.SyncobjHandle_V1{Handle: h, Flags: flags}, tail: 7}
		err := call(c, uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1, legacy)
		expect(t, "HANDLE_TO_FD (16 bytes), point bytes 7 beyond the struct", err, nil)
		if legacy.tail != 7 {
			t.Errorf("bytes after the 16-byte struct = %#x, want them untouched (7)", legacy.tail)
		}
		if err == nil {
			if !readable(t, int(legacy.a.FD), 0) {
				t.Error("exported head (signaled) does not poll readable")
			}
			closeFD(t, int(legacy.a.FD))
		}
		c.destroy(h)
	})

	t.Run("fd-to-handle-16-bytes", func(t *testing.T) {
		// IMPORT_SYNC_FILE|TIMELINE through the 16-byte struct imports
		// at point 0 (replacing the fence), whatever follows the struct.
		c, tg := setup(t)
		h := c.create(0)
		fd, signal := tg.NewFence(t)
		legacy := &struct {
			a    uapi.SyncobjHandle_V1
			tail uint64
		}{a: uapi.SyncobjHandle_V1{
			Handle: h, FD: int32(fd),
			Flags: uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE | uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE,
		}, tail: 9}
		expect(t, "FD_TO_HANDLE (16 bytes)", call(c, uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1, legacy), nil)
		if legacy.tail != 9 {
			t.Errorf("bytes after the 16-byte struct = %#x, want them untouched (9)", legacy.tail)
		}
		if q := c.query1(h); q != 0 {
			t.Errorf("QUERY = %d, want 0 (a binary fence, not point 9)", q)
		}
		expect(t, "binary poll, fence unsignaled", c.waitErr([]uint32{h}, 0, 0), syscall.ETIME)
		signal()
		expect(t, "binary wait, fence signaled", c.waitErr([]uint32{h}, 0, 0), nil)
		c.destroy(h)
	})

	t.Run("wait-32-and-40-bytes", func(t *testing.T) {
		// Both wait sizes give the same results; the 32-byte struct gets
		// first_signaled written and nothing beyond it; WAIT_DEADLINE
		// with no deadline field reads deadline 0, a hint only.
		c, _ := setup(t)
		hs := []uint32{c.create(0), c.create(uapi.DRM_SYNCOBJ_CREATE_SIGNALED)}
		for _, flags := range []uint32{0, uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
			uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT | uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
			uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT | uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE} {
			legacy := &struct {
				a    uapi.SyncobjWait_V1
				tail uint64
			}{a: uapi.SyncobjWait_V1{Handles: uapi.SliceP64(hs), CountHandles: 2, Flags: flags, FirstSignaled: 77}, tail: sentinel}
			full := &uapi.SyncobjWait{Handles: uapi.SliceP64(hs), CountHandles: 2, Flags: flags, FirstSignaled: 77}
			errLegacy := call(c, uapi.DRM_IOCTL_SYNCOBJ_WAIT_V1, legacy, &hs[0])
			errFull := call(c, uapi.DRM_IOCTL_SYNCOBJ_WAIT, full, &hs[0])
			if !is(errLegacy, errFull) {
				t.Errorf("flags %#x: 32-byte WAIT = %s, 40-byte = %s", flags, errName(errLegacy), errName(errFull))
			}
			if legacy.tail != sentinel {
				t.Errorf("flags %#x: bytes after the 32-byte struct changed to %#x", flags, legacy.tail)
			}
			if errLegacy == nil && flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL == 0 && legacy.a.FirstSignaled != 1 {
				t.Errorf("flags %#x: first_signaled = %d, want 1", flags, legacy.a.FirstSignaled)
			}
		}
		c.destroy(hs[0])
		c.destroy(hs[1])
	})

	t.Run("timeline-wait-40-and-48-bytes", func(t *testing.T) {
		c, _ := setup(t)
		hs := []uint32{c.create(0), c.create(0)}
		c.timelineSignal(hs[1:], []uint64{3})
		points := []uint64{1, 2}
		for _, flags := range []uint32{0, uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
			uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE, uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL | uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE,
			uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT | uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE} {
			legacy := &struct {
				a    uapi.SyncobjTimelineWait_V1
				tail uint64
			}{a: uapi.SyncobjTimelineWait_V1{
				Handles: uapi.SliceP64(hs), Points: uapi.SliceP64(points), CountHandles: 2, Flags: flags, FirstSignaled: 77,
			}, tail: sentinel}
			full := &uapi.SyncobjTimelineWait{
				Handles: uapi.SliceP64(hs), Points: uapi.SliceP64(points), CountHandles: 2, Flags: flags, FirstSignaled: 77,
			}
			errLegacy := call(c, uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT_V1, legacy, &hs[0], &points[0])
			errFull := call(c, uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, full, &hs[0], &points[0])
			if !is(errLegacy, errFull) {
				t.Errorf("flags %#x: 40-byte TIMELINE_WAIT = %s, 48-byte = %s", flags, errName(errLegacy), errName(errFull))
			}
			if legacy.tail != sentinel {
				t.Errorf("flags %#x: bytes after the 40-byte struct changed to %#x", flags, legacy.tail)
			}
			if errLegacy == nil && flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL == 0 && legacy.a.FirstSignaled != 1 {
				t.Errorf("flags %#x: first_signaled = %d, want 1", flags, legacy.a.FirstSignaled)
			}
		}
		c.destroy(hs[0])
		c.destroy(hs[1])
	})
}
