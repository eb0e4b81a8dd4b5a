package conformance

import (
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/internal/hostfd"
)

// DRMEnv names the environment variable that selects the real-device
// target: the path of a DRM render node (for example /dev/dri/renderD129,
// virtio_gpu in the QEMU VM). When it is unset the tests run against vmemu.
const DRMEnv = "VMEMU_CONFORMANCE_DRM"

// Target is one DRM device under test. The tests reach it only the way a
// process reaches a kernel driver: ioctls with the kernel's request numbers
// and struct layouts on a DRM file, ioctls on sw_sync timeline descriptors,
// and plain system calls (poll, read, close) on the descriptors it hands
// out. Implementations are safe for concurrent use.
type Target interface {
	// Name identifies the target in test output.
	Name() string
	// Ioctl issues ioctl(2) on the target's DRM file: req is the kernel's
	// request number, arg points to the argument struct, and pointers inside
	// it are addresses in this process. It returns nil or a syscall.Errno.
	// The caller keeps arg and every array it points to alive and unmoved
	// (runtime.Pinner) for the call.
	Ioctl(req uintptr, arg unsafe.Pointer) error
	// OpenFile opens another DRM file on the same device, as a second
	// open(2) of the render node does: its own handle table, shared
	// objects only through file descriptors.
	OpenFile() (File, error)
	// FDIoctl issues ioctl(2) on a descriptor the target handed out or
	// that came from it (a sync_file, a dma-buf): on a real device the
	// kernel routes it to the file's owner; vmemu routes the descriptors it
	// created (Device.FDIoctl). It returns nil or a syscall.Errno.
	FDIoctl(fd int, req uintptr, arg unsafe.Pointer) error
	// DRMFD returns the descriptor of the target's DRM file, if it has one
	// (a real device). vmemu's DRM files are not descriptors.
	DRMFD() (fd int, ok bool)

	// Now returns the time, in ns, of the clock that absolute ioctl
	// timeouts refer to (CLOCK_MONOTONIC on a real device).
	Now() int64
	// After runs fn once, ns after now, the way IGT's timer threads
	// (timer_create(CLOCK_MONOTONIC, SIGEV_THREAD)) do. fn may issue
	// ioctls and must not block; it may run on another goroutine, so it
	// reports failures with t.Errorf, never t.Fatal.
	After(ns int64, fn func())
	// Settle returns once every fn scheduled with After has run (IGT's
	// timer_delete/pthread_join at the end of a subtest).
	Settle()
	// Interrupt is the closest the target has to delivering a signal to
	// every thread blocked in one of its ioctls, as IGT's
	// igt_while_interruptible does: the wait wakes up, and must go back to
	// sleep until its absolute deadline.
	Interrupt()

	// NewTimeline opens a sw_sync timeline (open(2) of
	// /sys/kernel/debug/sync/sw_sync); an error wrapping ErrNoFenceSource
	// if the target has none.
	NewTimeline() (Timeline, error)
	// NewFence returns a sync_file descriptor holding a new unsignaled
	// fence and a function that signals it. Both the descriptor and the
	// fence's timeline are closed when the test ends. It skips the test if
	// the target has no fence source.
	NewFence(t testing.TB) (syncFileFD int, signal func())

	// Close releases the target: its DRM files and everything they own.
	Close() error
}

// DmaBufTarget is a Target that can make shared buffers (dma-bufs). The
// real target makes them with vgem, vmemu with GEM_CREATE and
// PRIME_HANDLE_TO_FD.
type DmaBufTarget interface {
	Target
	// NewDmaBuf returns a new dma-buf descriptor, closed when the test
	// ends, and attach, which puts a new unsignaled fence on the buffer's
	// reservation object (write: as its writer, else as a reader) and
	// returns the function that signals it. It skips the test if the
	// target cannot make buffers.
	NewDmaBuf(t testing.TB) (fd int, attach func(write bool) (signal func()))
}

// File is an additional DRM file opened on a Target's device.
type File interface {
	Ioctl(req uintptr, arg unsafe.Pointer) error
	Close() error
}

// Timeline is a sw_sync timeline: SW_SYNC_IOC_CREATE_FENCE and
// SW_SYNC_IOC_INC on its descriptor (drivers/dma-buf/sw_sync.c).
type Timeline interface {
	// CreateFence returns a new sync_file descriptor with a fence that
	// signals when the timeline reaches value. The caller closes it.
	CreateFence(value uint32) (int, error)
	// Inc advances the timeline by n, signaling the fences it reaches.
	Inc(n uint32) error
	// Close closes the timeline descriptor; pending fences then signal
	// with -ENOENT.
	Close() error
}

// ErrNoFenceSource is returned (wrapped) by Target.NewTimeline when the
// target has no way to make controllable fences.
var ErrNoFenceSource = errors.New("no controllable fence source")

// NewTarget returns the target the tests run against: the real device
// named by VMEMU_CONFORMANCE_DRM if it is set (skipping the test with the
// reason if that device or its fence source is unusable), else vmemu. The
// target is settled and closed when the test ends.
func NewTarget(t testing.TB) Target {
	t.Helper()
	return newTarget(t, func(path string) Target { return NewDRMTarget(t, path) })
}

// TimeScaleEnv names the environment variable that stretches the
// suite's wall-clock margins (IGT's 100 ms SHORT_TIME_NSEC and what is
// derived from it) by an integer factor on a slow real target; it changes
// no ioctl argument the recorder keeps. Default 1.
const TimeScaleEnv = "VMEMU_CONFORMANCE_TIME_SCALE"

// TimeScale returns the factor of TimeScaleEnv (1 if unset or invalid).
func TimeScale() int64 {
	n, err := strconv.Atoi(os.Getenv(TimeScaleEnv))
	if err != nil || n < 1 {
		return 1
	}
	return int64(n)
}

// wallClock is nonzero when the target runs in wall-clock time (a real
// device). There the kernel may return success after the deadline: a
// signal that lands just before it wakes the waiter, whose final check
// sees the fence signaled, and the return is delayed by scheduling (a
// QEMU/TCG guest adds milliseconds). Only vmemu's virtual time makes
// "returned before the deadline" exact.
var wallClock atomic.Int32

// newTarget is NewTarget with the real target opened by openDRM.
func newTarget(t testing.TB, openDRM func(path string) Target) Target {
	t.Helper()
	r := theRecorder()
	var x *Record
	if r != nil {
		target := "vmemu"
		if os.Getenv(DRMEnv) != "" {
			target = "drm"
		}
		x = r.begin(t, target)
	}
	var tg Target
	if path := os.Getenv(DRMEnv); path != "" {
		wallClock.Store(1)
		tg = openDRM(path)
	} else {
		var err error
		if tg, err = NewVmemuTarget(); err != nil {
			t.Fatalf("vmemu target: %v", err)
		}
	}
	if r != nil {
		tg = newRecordingTarget(r, x, tg)
	}
	t.Cleanup(func() {
		tg.Settle()
		if err := tg.Close(); err != nil {
			t.Errorf("close %s target: %v", tg.Name(), err)
		}
	})
	return tg
}

// newFence implements Target.NewFence on top of a Timeline.
func newFence(t testing.TB, tg Target) (int, func()) {
	t.Helper()
	tl, err := tg.NewTimeline()
	if errors.Is(err, ErrNoFenceSource) {
		skipf(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("sw_sync timeline: %v", err)
	}
	fd, err := tl.CreateFence(1)
	if err != nil {
		tl.Close()
		t.Fatalf("SW_SYNC_IOC_CREATE_FENCE: %v", err)
	}
	t.Cleanup(func() {
		hostfd.Close(fd)
		tl.Close()
	})
	return fd, func() {
		if err := tl.Inc(1); err != nil {
			t.Errorf("SW_SYNC_IOC_INC: %v", err)
		}
	}
}
