package amdgpu_test

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

func newFile(t testing.TB, cfg amdgpu.Config) (*amdgpu.Device, *amdgpu.File) {
	t.Helper()
	dev, err := amdgpu.New(cfg)
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

// pin keeps user memory that an argument struct points to (as a uint64)
// where it is: Go may move stack memory, and the garbage collector does not
// see addresses stored as integers. Pinning also forces heap allocation.
// In-process clients must do the same (see uapi.SliceP64).
func pin[E any](t testing.TB, s []E) []E {
	var p runtime.Pinner
	p.Pin(&s[0])
	t.Cleanup(p.Unpin)
	return s
}

func ioctl[T any](f *amdgpu.File, req uint32, arg *T) error {
	return f.Ioctl(uintptr(req), unsafe.Pointer(arg))
}

// Reference: drm_version() in drivers/gpu/drm/drm_ioctl.c.
func TestVersion(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	var v uapi.DRMVersion
	// First call: lengths only (NULL buffers copy nothing).
	if err := ioctl(f, uapi.DRM_IOCTL_VERSION, &v); err != nil {
		t.Fatal(err)
	}
	if v.VersionMajor != 3 || v.VersionMinor != 65 || v.NameLen != 6 || v.DateLen != 1 || v.DescLen != 7 {
		t.Fatalf("version = %d.%d lens %d/%d/%d", v.VersionMajor, v.VersionMinor, v.NameLen, v.DateLen, v.DescLen)
	}
	// Second call: a short buffer gets a prefix, no NUL, and the full length.
	name := pin(t, make([]byte, 3))
	date := pin(t, make([]byte, 8))
	desc := pin(t, make([]byte, 16))
	v.Name, v.NameLen = uapi.SliceP64(name), 3
	v.Date, v.DateLen = uapi.SliceP64(date), 8
	v.Desc, v.DescLen = uapi.SliceP64(desc), 16
	if err := ioctl(f, uapi.DRM_IOCTL_VERSION, &v); err != nil {
		t.Fatal(err)
	}
	if string(name) != "amd" || v.NameLen != 6 || string(date[:1]) != "0" || string(desc[:7]) != "AMD GPU" || desc[7] != 0 {
		t.Fatalf("name %q date %q desc %q len %d", name, date, desc, v.NameLen)
	}
}

func TestVersionMinorOverride(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{DRMMinor: 55})
	var v uapi.DRMVersion
	if err := ioctl(f, uapi.DRM_IOCTL_VERSION, &v); err != nil || v.VersionMinor != 55 {
		t.Fatalf("minor %d err %v", v.VersionMinor, err)
	}
}

// Reference: drm_getcap().
func TestGetCap(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	for _, tc := range []struct {
		cap  uint64
		want uint64
		err  error
	}{
		{uapi.DRM_CAP_SYNCOBJ, 1, nil},
		{uapi.DRM_CAP_SYNCOBJ_TIMELINE, 1, nil},
		{uapi.DRM_CAP_PRIME, uapi.DRM_PRIME_CAP_IMPORT | uapi.DRM_PRIME_CAP_EXPORT, nil},
		{uapi.DRM_CAP_TIMESTAMP_MONOTONIC, 1, nil},
		{0xdead, 0, errno.EINVAL},
	} {
		a := uapi.GetCap{Capability: tc.cap, Value: 77}
		err := ioctl(f, uapi.DRM_IOCTL_GET_CAP, &a)
		if err != tc.err || (err == nil && a.Value != tc.want) {
			t.Errorf("cap %#x: value %d err %v, want %d %v", tc.cap, a.Value, err, tc.want, tc.err)
		}
	}
}

func TestSetClientName(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"radv", nil},
		{"bad name", errno.EINVAL},
		{string(make([]byte, 65)), errno.EINVAL},
		{"", nil},
	} {
		b := []byte(tc.name)
		a := uapi.SetClientName{NameLen: uint64(len(b))}
		if len(b) > 0 {
			a.Name = uapi.SliceP64(pin(t, b))
		}
		if err := ioctl(f, uapi.DRM_IOCTL_SET_CLIENT_NAME, &a); err != tc.err {
			t.Errorf("%q: %v, want %v", tc.name, err, tc.err)
		}
	}
}

// Unknown and refused ioctls get the kernel's answers (drm_ioctl()).
func TestUnknownIoctls(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	var buf [64]byte
	for _, tc := range []struct {
		name string
		req  uint32
		want error
	}{
		{"not DRM's type", 0xC0086200, errno.ENOTTY},
		{"core hole", 0xC0086403, errno.EINVAL},
		{"past the core table", 0xC00864FF, errno.EINVAL},
		{"amdgpu hole 0x0A", 0xC008644A, errno.EINVAL},
		{"past the amdgpu table", 0xC0086470, errno.EINVAL},
		{"GET_MAGIC on a render node", 0x80046402, errno.EACCES},
		{"MODE_GETRESOURCES on a render node", 0xC04064A0, errno.EACCES},
		{"SCHED needs DRM master", uapi.DRM_IOCTL_AMDGPU_SCHED, errno.EACCES},
	} {
		err := f.Ioctl(uintptr(tc.req), unsafe.Pointer(&buf[0]))
		if err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		var e syscall.Errno
		if !errors.As(err, &e) {
			t.Errorf("%s: %T is not a syscall.Errno", tc.name, err)
		}
	}
}

// The legacy 16-byte drm_syncobj_handle (IGT's bundled drm.h) works, its
// missing point reading as 0 (drm_ioctl() zero-extension).
func TestLegacySyncobjHandle(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	var c uapi.SyncobjCreate
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_CREATE, &c); err != nil {
		t.Fatal(err)
	}
	h := uapi.SyncobjHandle_V1{Handle: c.Handle}
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1, &h); err != nil {
		t.Fatal(err)
	}
	if h.FD < 0 {
		t.Fatalf("fd %d", h.FD)
	}
	back := uapi.SyncobjHandle_V1{FD: h.FD}
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1, &back); err != nil {
		t.Fatal(err)
	}
	if back.Handle == 0 || back.Handle == c.Handle {
		t.Fatalf("import gave handle %d (export of %d): want a new handle", back.Handle, c.Handle)
	}
	syscall.Close(int(h.FD))
}

func TestClosedFile(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	f.Close()
	var c uapi.SyncobjCreate
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_CREATE, &c); !errors.Is(err, amdgpu.ErrClosed) {
		t.Fatalf("ioctl on a closed file: %v", err)
	}
}

// A wait blocked in one goroutine is woken by a signal from another.
func TestWaitWokenByOtherGoroutine(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	var c uapi.SyncobjCreate
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_CREATE, &c); err != nil {
		t.Fatal(err)
	}
	handles := pin(t, []uint32{c.Handle})
	w := uapi.SyncobjWait{Handles: uapi.SliceP64(handles), CountHandles: 1,
		TimeoutNsec: 1<<63 - 1, Flags: uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT}
	done := make(chan error)
	go func() { done <- ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_WAIT, &w) }()
	sig := uapi.SyncobjArray{Handles: uapi.SliceP64(handles), CountHandles: 1}
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_SIGNAL, &sig); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("wait: %v", err)
	}
}

// FailDeadlocks: a wait nobody can end fails instead of hanging.
func TestFailDeadlocks(t *testing.T) {
	dev, f := newFile(t, amdgpu.Config{FailDeadlocks: true})
	var c uapi.SyncobjCreate
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_CREATE, &c); err != nil {
		t.Fatal(err)
	}
	handles := pin(t, []uint32{c.Handle})
	w := uapi.SyncobjWait{Handles: uapi.SliceP64(handles), CountHandles: 1,
		TimeoutNsec: 1<<63 - 1, Flags: uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT}
	if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_WAIT, &w); err != errno.ETIME {
		t.Fatalf("endless wait: %v, want ETIME", err)
	}
	if dev.Clock().Deadlocks() != 1 {
		t.Fatalf("deadlocks = %d", dev.Clock().Deadlocks())
	}
}

// Regression: a fresh goroutine's small stack grows during the ioctl, which
// moves stack memory. Arguments and the arrays they point to must not be
// read from where the stack used to be.
func TestArgumentsSurviveStackGrowth(t *testing.T) {
	_, f := newFile(t, amdgpu.Config{})
	for i := 0; i < 200; i++ {
		errc := make(chan error)
		go func() {
			var c uapi.SyncobjCreate
			if err := f.Ioctl(uintptr(uapi.DRM_IOCTL_SYNCOBJ_CREATE), unsafe.Pointer(&c)); err != nil {
				errc <- err
				return
			}
			handles := []uint32{c.Handle}
			sig := uapi.SyncobjArray{Handles: uapi.SliceP64(handles), CountHandles: 1}
			err := f.Ioctl(uintptr(uapi.DRM_IOCTL_SYNCOBJ_SIGNAL), unsafe.Pointer(&sig))
			if err == nil {
				d := uapi.SyncobjDestroy{Handle: c.Handle}
				err = f.Ioctl(uintptr(uapi.DRM_IOCTL_SYNCOBJ_DESTROY), unsafe.Pointer(&d))
			}
			errc <- err
		}()
		if err := <-errc; err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
	}
}
