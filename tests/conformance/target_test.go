package conformance

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// TestTargetContract checks what the subtests rely on from a Target:
// After callbacks run by Settle, no earlier than scheduled on Now's clock,
// in order; NewFence's signal makes its sync_file readable.
func TestTargetContract(t *testing.T) {
	tg := NewTarget(t)
	start := tg.Now()
	var mu sync.Mutex
	var ran []int64
	record := func() {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, tg.Now())
	}
	tg.After(2_000_000, record)
	tg.After(1_000_000, record)
	tg.Settle()
	mu.Lock()
	defer mu.Unlock()
	if len(ran) != 2 || ran[0] < start+1_000_000 || ran[1] < start+2_000_000 || ran[0] > ran[1] {
		t.Errorf("After callbacks ran at %v (start %d), want ≥ +1 ms then ≥ +2 ms", ran, start)
	}
	fd, signal := tg.NewFence(t)
	if readable(t, fd, 0) {
		t.Error("NewFence's sync_file readable before signal")
	}
	signal()
	if !readable(t, fd, 5000) {
		t.Error("NewFence's sync_file not readable after signal")
	}
}

// TestDRMTarget runs a smoke check on the real device named by
// VMEMU_CONFORMANCE_DRM, and skips, with the reason, when it is unset or
// unusable (the normal case outside the QEMU VM).
func TestDRMTarget(t *testing.T) {
	tg := NewDRMTarget(t, os.Getenv(DRMEnv))
	defer tg.Close()
	c := &drm{t: t, tg: tg, ioctl: tg.Ioctl}
	h := c.create(uapi.DRM_SYNCOBJ_CREATE_SIGNALED)
	expect(t, "WAIT(signaled)", c.waitErr([]uint32{h}, 0, 0), nil)
	c.destroy(h)
}

// TestDRMTargetSkipsMissingNode checks that a render node that does not
// exist skips the test instead of failing it.
func TestDRMTargetSkipsMissingNode(t *testing.T) {
	skipped := false
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		tg := NewDRMTarget(t, "/nonexistent/dri/renderD999")
		tg.Close()
		t.Error("NewDRMTarget returned a target for a missing node")
	})
	if !skipped {
		t.Error("a missing render node did not skip")
	}
}

// TestDRMSysGlue exercises the real target's raw system calls (now in
// internal/hostfd) on what exists everywhere: ioctl(2) of an unknown
// request on a pipe (ENOTTY), CLOCK_MONOTONIC (nondecreasing), and SIGURG
// to the calling thread (the Go runtime ignores it).
func TestDRMSysGlue(t *testing.T) {
	r, w, err := hostfd.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer hostfd.Close(r)
	defer hostfd.Close(w)
	a := &uapi.GetCap{}
	var pin runtime.Pinner
	pin.Pin(a)
	defer pin.Unpin()
	if err := hostfd.Ioctl(r, uintptr(uapi.DRM_IOCTL_GET_CAP), unsafe.Pointer(a)); !errors.Is(err, syscall.ENOTTY) {
		t.Errorf("ioctl(pipe, DRM_IOCTL_GET_CAP) = %v, want ENOTTY", err)
	}
	a1 := hostfd.MonotonicNow()
	a2 := hostfd.MonotonicNow()
	if a1 <= 0 || a2 < a1 {
		t.Errorf("CLOCK_MONOTONIC read %d then %d", a1, a2)
	}
	runtime.LockOSThread()
	if err := hostfd.SignalThread(hostfd.Gettid()); err != nil {
		t.Error(err)
	}
	runtime.UnlockOSThread()
}
