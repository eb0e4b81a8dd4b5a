package conformance

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// swSyncPaths are where sw_sync may be found, in the order IGT's
// lib/sw_sync.c tries them.
var swSyncPaths = []string{"/dev/sw_sync", "/sys/kernel/debug/sync/sw_sync"}

// DRMTarget is a real DRM render node. Fences come from the kernel's
// sw_sync (CONFIG_SW_SYNC, debugfs) if it has one, else from vgem
// (VGEM_FENCE_ATTACH on a dumb buffer, exported as a sync_file through its
// dma-buf: vgem.go). Timers are Go timers on the monotonic clock, and Now
// reads CLOCK_MONOTONIC, the clock of the kernel's absolute syncobj
// timeouts (drm_timeout_abs_to_jiffies()).
//
// Interrupt sends SIGURG to every thread that is inside one of the
// target's ioctls. The Go runtime's handler is installed with SA_RESTART,
// so the kernel turns the wait's -ERESTARTSYS into a restart of the ioctl
// with the same (absolute) timeout: IGT's igt_while_interruptible, with the
// restart done by the kernel instead of drmIoctl.
type DRMTarget struct {
	path   string
	swSync string
	// vgem is the vgem node fences come from when there is no sw_sync.
	vgem string
	f    *os.File

	timers sync.WaitGroup

	mu sync.Mutex
	// inIoctl counts, per thread id, the ioctls in progress. Protected by
	// mu.
	inIoctl map[int]int
	// files are the extra files OpenFile opened. Protected by mu.
	files []*drmFile

	// bufs is the vgem file NewDmaBuf's buffers come from.
	bufs vgemBuffers
}

var _ Target = (*DRMTarget)(nil)

// NewDRMTarget opens the render node at path. It skips the test, with the
// reason, if path is empty, the node cannot be opened, or it lacks syncobj
// support. Fences come from sw_sync, else from vgem (the node named by
// VMEMU_CONFORMANCE_VGEM, else the first /dev/dri/card* whose driver is
// vgem). A kernel with neither still gives a target: the tests that need
// fences skip (IGT's igt_require_sw_sync), the others run.
func NewDRMTarget(t testing.TB, path string) *DRMTarget {
	t.Helper()
	if path == "" {
		skipf(t, "%s is not set: no real DRM device to test", DRMEnv)
	}
	d := openDRMTarget(t, path)
	for _, c := range []uint64{uapi.DRM_CAP_SYNCOBJ, uapi.DRM_CAP_SYNCOBJ_TIMELINE} {
		a := &uapi.GetCap{Capability: c}
		var pin runtime.Pinner
		pin.Pin(a)
		err := d.Ioctl(uintptr(uapi.DRM_IOCTL_GET_CAP), unsafe.Pointer(a))
		pin.Unpin()
		if err != nil || a.Value == 0 {
			d.f.Close()
			skipf(t, "%s: GET_CAP(%#x) = %d, %v: no syncobj support", path, c, a.Value, err)
		}
	}
	return d
}

// openDRMTarget opens the node without checking for syncobj support.
func openDRMTarget(t testing.TB, path string) *DRMTarget {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		skipf(t, "%s=%s: %v", DRMEnv, path, err)
	}
	d := &DRMTarget{path: path, f: f, inIoctl: map[int]int{}}
	for _, p := range swSyncPaths {
		if _, err := os.Stat(p); err == nil {
			d.swSync = p
			break
		}
	}
	if d.swSync == "" {
		d.vgem = findVgem()
	}
	return d
}

func (d *DRMTarget) Name() string { return "drm:" + d.path }

func (d *DRMTarget) Ioctl(req uintptr, arg unsafe.Pointer) error {
	return d.ioctl(int(d.f.Fd()), req, arg)
}

// ioctl issues ioctl(2) on fd, registering the calling thread for
// Interrupt while it runs. Like drmIoctl it retries on EINTR.
func (d *DRMTarget) ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := hostfd.Gettid()
	d.mu.Lock()
	d.inIoctl[tid]++
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.inIoctl[tid]--; d.inIoctl[tid] == 0 {
			delete(d.inIoctl, tid)
		}
		d.mu.Unlock()
	}()
	for {
		err := hostfd.Ioctl(fd, req, arg)
		if err == syscall.EINTR {
			continue
		}
		return err
	}
}

func (d *DRMTarget) OpenFile() (File, error) {
	f, err := os.OpenFile(d.path, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	df := &drmFile{d: d, f: f}
	d.mu.Lock()
	d.files = append(d.files, df)
	d.mu.Unlock()
	return df, nil
}

func (d *DRMTarget) DRMFD() (int, bool) { return int(d.f.Fd()), true }

func (d *DRMTarget) Now() int64 { return hostfd.MonotonicNow() }

// FDIoctl is ioctl(2) on fd (a sync_file or dma-buf descriptor), restarted
// on EINTR and interruptible like Ioctl.
func (d *DRMTarget) FDIoctl(fd int, req uintptr, arg unsafe.Pointer) error {
	return d.ioctl(fd, req, arg)
}

// After uses a Go timer. Go's timers run on the runtime's monotonic clock,
// which on Linux is CLOCK_MONOTONIC, so "ns after now" is measured on the
// same clock as Now and the kernel's timeouts.
func (d *DRMTarget) After(ns int64, fn func()) {
	d.timers.Add(1)
	time.AfterFunc(time.Duration(ns), func() {
		defer d.timers.Done()
		fn()
	})
}

func (d *DRMTarget) Settle() { d.timers.Wait() }

func (d *DRMTarget) Interrupt() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for tid := range d.inIoctl {
		_ = hostfd.SignalThread(tid)
	}
}

// FenceSource names where the target's fences come from: "sw_sync",
// "vgem" or "" (none).
func (d *DRMTarget) FenceSource() string {
	switch {
	case d.swSync != "":
		return "sw_sync"
	case d.vgem != "":
		return "vgem"
	}
	return ""
}

// NewTimeline returns a sw_sync timeline, else a vgem-backed one (Debian's
// kernels are built without CONFIG_SW_SYNC), else ErrNoFenceSource.
func (d *DRMTarget) NewTimeline() (Timeline, error) {
	if d.swSync == "" && d.vgem != "" {
		return d.newVgemTimeline()
	}
	if d.swSync == "" {
		return nil, fmt.Errorf("%w: no sw_sync at %v (needs CONFIG_SW_SYNC and debugfs mounted) and no vgem node", ErrNoFenceSource, swSyncPaths)
	}
	f, err := os.OpenFile(d.swSync, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &drmTimeline{d: d, f: f}, nil
}

func (d *DRMTarget) NewFence(t testing.TB) (int, func()) { return newFence(t, d) }

func (d *DRMTarget) Close() error {
	d.mu.Lock()
	files := d.files
	d.files = nil
	d.mu.Unlock()
	var errs []error
	for _, f := range files {
		errs = append(errs, f.f.Close())
	}
	errs = append(errs, d.f.Close())
	if d.bufs.v != nil {
		errs = append(errs, d.bufs.v.f.Close())
	}
	return errors.Join(errs...)
}

type drmFile struct {
	d *DRMTarget
	f *os.File
}

func (f *drmFile) Ioctl(req uintptr, arg unsafe.Pointer) error {
	return f.d.ioctl(int(f.f.Fd()), req, arg)
}

func (f *drmFile) Close() error {
	f.d.mu.Lock()
	for i, g := range f.d.files {
		if g == f {
			f.d.files = append(f.d.files[:i], f.d.files[i+1:]...)
			break
		}
	}
	f.d.mu.Unlock()
	return f.f.Close()
}

// drmTimeline is a sw_sync debugfs file. Its structs and request numbers
// are sw_sync.c's own (uapi/swsync.go).
type drmTimeline struct {
	d *DRMTarget
	f *os.File
}

func (l *drmTimeline) CreateFence(value uint32) (int, error) {
	a := &uapi.SWSyncCreateFenceData{Value: value}
	copy(a.Name[:], "conformance")
	var pin runtime.Pinner
	pin.Pin(a)
	defer pin.Unpin()
	if err := l.d.ioctl(int(l.f.Fd()), uintptr(uapi.SW_SYNC_IOC_CREATE_FENCE), unsafe.Pointer(a)); err != nil {
		return -1, fmt.Errorf("SW_SYNC_IOC_CREATE_FENCE: %w", err)
	}
	return int(a.Fence), nil
}

func (l *drmTimeline) Inc(n uint32) error {
	p := &n
	var pin runtime.Pinner
	pin.Pin(p)
	defer pin.Unpin()
	return l.d.ioctl(int(l.f.Fd()), uintptr(uapi.SW_SYNC_IOC_INC), unsafe.Pointer(p))
}

func (l *drmTimeline) Close() error { return l.f.Close() }
