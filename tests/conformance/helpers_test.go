package conformance

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// The helpers below are this package's counterparts of IGT's
// lib/igt_syncobj.c and the static helpers of the four test files. They
// use the struct sizes of IGT's bundled include/drm-uapi/drm.h: the 16-byte
// drm_syncobj_handle, the 32-byte drm_syncobj_wait and the 40-byte
// drm_syncobj_timeline_wait (uapi.*_V1), so the request numbers are the ones
// IGT sends. Helpers report failures with t.Errorf, because they also run
// inside timer callbacks (Target.After); the test goroutine stops on them
// with t.FailNow where going on makes no sense.

const (
	nsPerSec = int64(1_000_000_000)
	// uint64Max is UINT64_MAX as the kernel reads it in timeout_nsec
	// (s64): -1, a time in the past, so the wait polls.
	uint64Max = int64(-1)
)

// shortTime is IGT's SHORT_TIME_NSEC, one tenth of a second, times
// VMEMU_CONFORMANCE_TIME_SCALE (TimeScale): the QEMU/TCG guest of
// tests/kernel runs its timers late by milliseconds, and the snapshot
// and delayed-signal subtests leave 20 ms between their last event and
// their deadline.
var shortTime = 100_000_000 * TimeScale()

// drm is one DRM file of a target with the test it belongs to.
type drm struct {
	t     testing.TB
	tg    Target
	ioctl func(req uintptr, arg unsafe.Pointer) error
}

// setup returns the test's target and a client of its DRM file.
func setup(t testing.TB) (*drm, Target) {
	t.Helper()
	tg := NewTarget(t)
	return &drm{t: t, tg: tg, ioctl: tg.Ioctl}, tg
}

// onFile returns a client of another DRM file of the same device.
func (c *drm) onFile(f File) *drm { return &drm{t: c.t, tg: c.tg, ioctl: f.Ioctl} }

// call issues req with argument a. Every pointer in pins (the arrays a
// points into) and a itself are pinned for the call: a Go object left on a
// goroutine stack could move while the ioctl runs.
func call[T any](c *drm, req uint32, a *T, pins ...any) error {
	var p runtime.Pinner
	p.Pin(a)
	for _, x := range pins {
		if x != nil {
			p.Pin(x)
		}
	}
	defer p.Unpin()
	err := c.ioctl(uintptr(req), unsafe.Pointer(a))
	if err != nil {
		var e syscall.Errno
		if !errors.As(err, &e) {
			c.t.Errorf("ioctl %#x returned %v, which is not an errno", req, err)
		}
	}
	return err
}

// u32s and u64s return a pin target for the first element of s (nil for an
// empty s).
func u32s(s []uint32) any {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

func u64s(s []uint64) any {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

// errName formats an ioctl result as IGT prints it (0 or -ERRNO).
func errName(err error) string {
	if err == nil {
		return "0"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return "-" + errnoNames[e]
	}
	return err.Error()
}

// is reports whether err is the expected result (nil or an errno).
func is(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

// expect fails the test unless err is want (igt_assert_eq on -errno).
func expect(t testing.TB, what string, err, want error) {
	t.Helper()
	if !is(err, want) {
		t.Errorf("%s = %s, want %s", what, errName(err), errName(want))
	}
}

// --- create / destroy / handle <-> fd ---

func (c *drm) createErr(flags uint32) (uint32, error) {
	a := &uapi.SyncobjCreate{Flags: flags}
	err := call(c, uapi.DRM_IOCTL_SYNCOBJ_CREATE, a)
	return a.Handle, err
}

// create is IGT's syncobj_create: it must succeed with a nonzero handle.
func (c *drm) create(flags uint32) uint32 {
	c.t.Helper()
	h, err := c.createErr(flags)
	if err != nil || h == 0 {
		c.t.Errorf("SYNCOBJ_CREATE(flags %#x) = handle %d, %s", flags, h, errName(err))
	}
	return h
}

func (c *drm) destroyErr(h, pad uint32) error {
	return call(c, uapi.DRM_IOCTL_SYNCOBJ_DESTROY, &uapi.SyncobjDestroy{Handle: h, Pad: pad})
}

func (c *drm) destroy(h uint32) {
	c.t.Helper()
	expect(c.t, fmt.Sprintf("SYNCOBJ_DESTROY(%d)", h), c.destroyErr(h, 0), nil)
}

// handleToFDV1 and fdToHandleV1 issue the ioctls with IGT's 16-byte struct.
func (c *drm) handleToFDV1(a *uapi.SyncobjHandle_V1) error {
	return call(c, uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1, a)
}

func (c *drm) fdToHandleV1(a *uapi.SyncobjHandle_V1) error {
	return call(c, uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1, a)
}

// handleToFD is IGT's syncobj_handle_to_fd.
func (c *drm) handleToFD(h, flags uint32) int {
	c.t.Helper()
	a := &uapi.SyncobjHandle_V1{Handle: h, Flags: flags}
	if err := c.handleToFDV1(a); err != nil || a.FD < 0 {
		c.t.Errorf("SYNCOBJ_HANDLE_TO_FD(%d, flags %#x) = fd %d, %s", h, flags, a.FD, errName(err))
		return -1
	}
	return int(a.FD)
}

// fdToHandle is IGT's syncobj_fd_to_handle.
func (c *drm) fdToHandle(fd int, flags uint32) uint32 {
	c.t.Helper()
	a := &uapi.SyncobjHandle_V1{FD: int32(fd), Flags: flags}
	if err := c.fdToHandleV1(a); err != nil || a.Handle == 0 {
		c.t.Errorf("SYNCOBJ_FD_TO_HANDLE(fd %d, flags %#x) = handle %d, %s", fd, flags, a.Handle, errName(err))
	}
	return a.Handle
}

// importSyncFile is IGT's syncobj_import_sync_file.
func (c *drm) importSyncFile(h uint32, fd int) {
	c.t.Helper()
	a := &uapi.SyncobjHandle_V1{Handle: h, FD: int32(fd), Flags: uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE}
	expect(c.t, fmt.Sprintf("SYNCOBJ_FD_TO_HANDLE(IMPORT_SYNC_FILE fd %d → %d)", fd, h), c.fdToHandleV1(a), nil)
}

// --- waits ---

// waitV1 issues SYNCOBJ_WAIT with IGT's 32-byte struct.
func (c *drm) waitV1(a *uapi.SyncobjWait_V1, handles []uint32) error {
	return call(c, uapi.DRM_IOCTL_SYNCOBJ_WAIT_V1, a, u32s(handles))
}

// waitErr is IGT's syncobj_wait_err.
func (c *drm) waitErr(handles []uint32, timeout int64, flags uint32) error {
	a := &uapi.SyncobjWait_V1{
		Handles: uapi.SliceP64(handles), TimeoutNsec: timeout,
		CountHandles: uint32(len(handles)), Flags: flags,
	}
	return c.waitV1(a, handles)
}

// wait is IGT's syncobj_wait: false on ETIME, true on success, a failure
// otherwise. It returns first_signaled.
func (c *drm) wait(handles []uint32, timeout int64, flags uint32) (bool, uint32) {
	c.t.Helper()
	a := &uapi.SyncobjWait_V1{
		Handles: uapi.SliceP64(handles), TimeoutNsec: timeout,
		CountHandles: uint32(len(handles)), Flags: flags,
	}
	err := c.waitV1(a, handles)
	if errors.Is(err, syscall.ETIME) {
		return false, 0
	}
	expect(c.t, fmt.Sprintf("SYNCOBJ_WAIT(%v, flags %#x)", handles, flags), err, nil)
	return err == nil, a.FirstSignaled
}

// timelineWaitV1 issues SYNCOBJ_TIMELINE_WAIT with IGT's 40-byte struct.
func (c *drm) timelineWaitV1(a *uapi.SyncobjTimelineWait_V1, handles []uint32, points []uint64) error {
	return call(c, uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT_V1, a, u32s(handles), u64s(points))
}

func timelineWaitArgs(handles []uint32, points []uint64, timeout int64, flags uint32) *uapi.SyncobjTimelineWait_V1 {
	return &uapi.SyncobjTimelineWait_V1{
		Handles: uapi.SliceP64(handles), Points: uapi.SliceP64(points),
		TimeoutNsec: timeout, CountHandles: uint32(len(handles)), Flags: flags,
	}
}

// timelineWaitErr is IGT's syncobj_timeline_wait_err.
func (c *drm) timelineWaitErr(handles []uint32, points []uint64, timeout int64, flags uint32) error {
	return c.timelineWaitV1(timelineWaitArgs(handles, points, timeout, flags), handles, points)
}

// timelineWait is IGT's syncobj_timeline_wait.
func (c *drm) timelineWait(handles []uint32, points []uint64, timeout int64, flags uint32) (bool, uint32) {
	c.t.Helper()
	a := timelineWaitArgs(handles, points, timeout, flags)
	err := c.timelineWaitV1(a, handles, points)
	if errors.Is(err, syscall.ETIME) {
		return false, 0
	}
	expect(c.t, fmt.Sprintf("SYNCOBJ_TIMELINE_WAIT(%v@%v, flags %#x)", handles, points, flags), err, nil)
	return err == nil, a.FirstSignaled
}

// --- reset / signal / timeline signal / query / transfer ---

func (c *drm) arrayErr(req uint32, handles []uint32, count, pad uint32) error {
	a := &uapi.SyncobjArray{Handles: uapi.SliceP64(handles), CountHandles: count, Pad: pad}
	return call(c, req, a, u32s(handles))
}

func (c *drm) reset(handles ...uint32) {
	c.t.Helper()
	err := c.arrayErr(uapi.DRM_IOCTL_SYNCOBJ_RESET, handles, uint32(len(handles)), 0)
	expect(c.t, fmt.Sprintf("SYNCOBJ_RESET(%v)", handles), err, nil)
}

func (c *drm) signal(handles ...uint32) {
	c.t.Helper()
	err := c.arrayErr(uapi.DRM_IOCTL_SYNCOBJ_SIGNAL, handles, uint32(len(handles)), 0)
	expect(c.t, fmt.Sprintf("SYNCOBJ_SIGNAL(%v)", handles), err, nil)
}

func (c *drm) timelineArrayErr(req uint32, handles []uint32, points []uint64, count, flags uint32) error {
	a := &uapi.SyncobjTimelineArray{
		Handles: uapi.SliceP64(handles), Points: uapi.SliceP64(points), CountHandles: count, Flags: flags,
	}
	return call(c, req, a, u32s(handles), u64s(points))
}

// timelineSignal is IGT's syncobj_timeline_signal.
func (c *drm) timelineSignal(handles []uint32, points []uint64) {
	c.t.Helper()
	err := c.timelineArrayErr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, handles, points, uint32(len(handles)), 0)
	expect(c.t, fmt.Sprintf("SYNCOBJ_TIMELINE_SIGNAL(%v@%v)", handles, points), err, nil)
}

// query is IGT's syncobj_timeline_query.
func (c *drm) query(handles ...uint32) []uint64 {
	c.t.Helper()
	points := make([]uint64, len(handles))
	err := c.timelineArrayErr(uapi.DRM_IOCTL_SYNCOBJ_QUERY, handles, points, uint32(len(handles)), 0)
	expect(c.t, fmt.Sprintf("SYNCOBJ_QUERY(%v)", handles), err, nil)
	return points
}

func (c *drm) query1(h uint32) uint64 {
	c.t.Helper()
	return c.query(h)[0]
}

func (c *drm) transferErr(a *uapi.SyncobjTransfer) error {
	return call(c, uapi.DRM_IOCTL_SYNCOBJ_TRANSFER, a)
}

// transfer is IGT's __syncobj_transfer, which must succeed.
func (c *drm) transfer(dst uint32, dstPoint uint64, src uint32, srcPoint uint64, flags uint32) {
	c.t.Helper()
	a := &uapi.SyncobjTransfer{SrcHandle: src, DstHandle: dst, SrcPoint: srcPoint, DstPoint: dstPoint, Flags: flags}
	expect(c.t, fmt.Sprintf("SYNCOBJ_TRANSFER(%d@%d → %d@%d)", src, srcPoint, dst, dstPoint), c.transferErr(a), nil)
}

// binaryToTimeline is IGT's syncobj_binary_to_timeline.
func (c *drm) binaryToTimeline(timeline uint32, point uint64, binary uint32) {
	c.t.Helper()
	c.transfer(timeline, point, binary, 0, 0)
}

// --- eventfd ---

func (c *drm) eventfdErr(h uint32, point uint64, flags uint32, fd int, pad uint32) error {
	a := &uapi.SyncobjEventfd{Handle: h, Flags: flags, Point: point, FD: int32(fd), Pad: pad}
	return call(c, uapi.DRM_IOCTL_SYNCOBJ_EVENTFD, a)
}

// --- sw_sync ---

// newTimeline opens a sw_sync timeline (sw_sync_timeline_create), closed
// when the test ends unless closed before.
func (c *drm) newTimeline() *timeline {
	c.t.Helper()
	tl, err := c.tg.NewTimeline()
	if err != nil {
		c.t.Errorf("sw_sync timeline: %v", err)
		tl = brokenTimeline{err}
	}
	l := &timeline{t: c.t, tl: tl}
	c.t.Cleanup(l.close)
	return l
}

// timeline is a Timeline that reports errors to its test and closes once.
type timeline struct {
	t    testing.TB
	tl   Timeline
	once sync.Once
}

// fence is sw_sync_timeline_create_fence.
func (l *timeline) fence(value uint32) int {
	l.t.Helper()
	fd, err := l.tl.CreateFence(value)
	if err != nil {
		l.t.Errorf("create fence %d: %v", value, err)
	}
	return fd
}

// inc is sw_sync_timeline_inc.
func (l *timeline) inc(n uint32) {
	l.t.Helper()
	if err := l.tl.Inc(n); err != nil {
		l.t.Errorf("timeline inc %d: %v", n, err)
	}
}

func (l *timeline) close() { l.once.Do(func() { l.tl.Close() }) }

// brokenTimeline stands in for a timeline that could not be opened (the
// failure is already reported): every operation fails.
type brokenTimeline struct{ err error }

func (b brokenTimeline) CreateFence(uint32) (int, error) { return -1, b.err }
func (b brokenTimeline) Inc(uint32) error                { return b.err }
func (b brokenTimeline) Close() error                    { return nil }

// closeFD closes a descriptor this test owns (nothing for -1, which a
// failed helper returned).
func closeFD(t testing.TB, fd int) {
	t.Helper()
	if fd < 0 {
		return
	}
	if err := hostfd.Close(fd); err != nil {
		t.Errorf("close(%d): %v", fd, err)
	}
}

// attachSWSync is the test files' syncobj_attach_sw_sync: a new timeline
// with a fence of value 1, imported into h directly (point 0) or through a
// temporary binary syncobj and TRANSFER to point. The fence's descriptor is
// closed; the timeline is returned to signal it.
func (c *drm) attachSWSync(h uint32, point uint64) *timeline {
	c.t.Helper()
	tl := c.newTimeline()
	fd := tl.fence(1)
	if point == 0 {
		c.importSyncFile(h, fd)
	} else {
		tmp := c.create(0)
		c.importSyncFile(tmp, fd)
		c.binaryToTimeline(h, point, tmp)
		c.destroy(tmp)
	}
	closeFD(c.t, fd)
	return tl
}

// trigger is the test files' syncobj_trigger: attach a fence and signal it.
func (c *drm) trigger(h uint32, point uint64) {
	c.t.Helper()
	tl := c.attachSWSync(h, point)
	tl.inc(1)
	tl.close()
}

// --- fixtures ---

// emulated reports whether tg is vmemu, where a missing feature is a bug
// rather than a reason to skip.
func emulated(tg Target) bool {
	_, ok := unwrap(tg).(*VmemuTarget)
	return ok
}

// require skips the test (a real device) or fails it (vmemu) unless ok,
// like IGT's igt_require in a fixture.
func require(t testing.TB, tg Target, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	if emulated(tg) {
		t.Fatalf("vmemu lacks a feature IGT requires: "+format, args...)
	}
	skipf(t, "device lacks a feature IGT requires: "+format, args...)
}

func (c *drm) getCap(capability uint64) (uint64, error) {
	a := &uapi.GetCap{Capability: capability}
	err := call(c, uapi.DRM_IOCTL_GET_CAP, a)
	return a.Value, err
}

// requireSwSync is igt_require_sw_sync: the target can make controllable
// fences.
func (c *drm) requireSwSync() {
	c.t.Helper()
	tl, err := c.tg.NewTimeline()
	if err == nil {
		tl.Close()
		return
	}
	if errors.Is(err, ErrNoFenceSource) && !emulated(c.tg) {
		skipf(c.t, "%v", err)
	}
	c.t.Fatalf("sw_sync timeline: %v", err)
}

// requireSyncobj is syncobj_basic's has_syncobj.
func (c *drm) requireSyncobj() {
	c.t.Helper()
	v, err := c.getCap(uapi.DRM_CAP_SYNCOBJ)
	require(c.t, c.tg, err == nil && v != 0, "GET_CAP(DRM_CAP_SYNCOBJ) = %d, %s", v, errName(err))
}

// requireSyncobjWait is syncobj_wait's has_syncobj_wait.
func (c *drm) requireSyncobjWait() {
	c.t.Helper()
	c.requireSyncobj()
	err := c.waitErr([]uint32{0}, 0, 0)
	require(c.t, c.tg, errors.Is(err, syscall.ENOENT), "SYNCOBJ_WAIT(handle 0) = %s, want -ENOENT", errName(err))
}

// requireSyncobjTimeline is syncobj_timeline's has_syncobj_timeline_wait.
func (c *drm) requireSyncobjTimeline() {
	c.t.Helper()
	v, err := c.getCap(uapi.DRM_CAP_SYNCOBJ_TIMELINE)
	require(c.t, c.tg, err == nil && v != 0, "GET_CAP(DRM_CAP_SYNCOBJ_TIMELINE) = %d, %s", v, errName(err))
	err = c.timelineWaitErr([]uint32{0}, nil, 0, 0)
	require(c.t, c.tg, errors.Is(err, syscall.ENOENT), "SYNCOBJ_TIMELINE_WAIT(handle 0) = %s, want -ENOENT", errName(err))
}

// requireSyncobjEventfd is syncobj_eventfd's has_syncobj_eventfd.
func (c *drm) requireSyncobjEventfd() {
	c.t.Helper()
	v, err := c.getCap(uapi.DRM_CAP_SYNCOBJ_TIMELINE)
	require(c.t, c.tg, err == nil && v != 0, "GET_CAP(DRM_CAP_SYNCOBJ_TIMELINE) = %d, %s", v, errName(err))
	err = c.eventfdErr(0, 0, 0, -1, 0)
	require(c.t, c.tg, errors.Is(err, syscall.ENOENT), "SYNCOBJ_EVENTFD(handle 0) = %s, want -ENOENT", errName(err))
}

// subtest is one IGT subtest: its IGT name and its body.
type subtest struct {
	name string
	run  func(t *testing.T)
}

// runSubtests runs each subtest as t.Run(name).
func runSubtests(t *testing.T, subs []subtest) {
	t.Helper()
	for _, s := range subs {
		t.Run(s.name, s.run)
	}
}
