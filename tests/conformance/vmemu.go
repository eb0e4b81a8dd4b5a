package conformance

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
)

// VmemuTarget is a vmemu amdgpu device with one open DRM file.
//
// Time is the device's virtual clock: After schedules a clock event, and a
// waiting ioctl runs the events due before its deadline, in time order,
// re-checking its condition after each one, then advances the clock to the
// deadline. So "a timer thread signals after 100 ms" takes no wall time,
// and every event (an Interrupt included) wakes the waiter exactly as a
// signal would: it re-evaluates and goes back to waiting.
type VmemuTarget struct {
	dev *amdgpu.Device
	f   *amdgpu.File
}

var _ Target = (*VmemuTarget)(nil)

// NewVmemuTarget creates a vmemu device with the default configuration
// and opens a DRM file on it.
func NewVmemuTarget() (*VmemuTarget, error) {
	dev, err := amdgpu.New(amdgpu.Config{})
	if err != nil {
		return nil, err
	}
	f, err := dev.Open()
	if err != nil {
		dev.Close()
		return nil, err
	}
	return &VmemuTarget{dev: dev, f: f}, nil
}

// Device returns the emulated device.
func (v *VmemuTarget) Device() *amdgpu.Device { return v.dev }

func (v *VmemuTarget) Name() string { return "vmemu" }

func (v *VmemuTarget) Ioctl(req uintptr, arg unsafe.Pointer) error { return v.f.Ioctl(req, arg) }

func (v *VmemuTarget) OpenFile() (File, error) { return v.dev.Open() }

func (v *VmemuTarget) FDIoctl(fd int, req uintptr, arg unsafe.Pointer) error {
	return v.dev.FDIoctl(fd, req, arg)
}

func (v *VmemuTarget) DRMFD() (int, bool) { return -1, false }

func (v *VmemuTarget) Now() int64 { return v.dev.Now() }

func (v *VmemuTarget) After(ns int64, fn func()) { v.dev.Clock().After(ns, fn) }

// Settle runs every pending clock event (advancing virtual time).
func (v *VmemuTarget) Settle() { v.dev.Clock().RunAll() }

// Interrupt wakes every goroutine blocked on the clock so that it
// re-checks its condition (sim.Clock.Kick). In virtual time a wait with a
// finite deadline never blocks — it is woken by every clock event — so the
// event that calls Interrupt is itself the interruption.
func (v *VmemuTarget) Interrupt() { v.dev.Clock().Kick() }

func (v *VmemuTarget) NewTimeline() (Timeline, error) {
	fd, err := v.dev.OpenSwSync("conformance")
	if err != nil {
		return nil, err
	}
	return &vmemuTimeline{dev: v.dev, fd: fd}, nil
}

func (v *VmemuTarget) NewFence(t testing.TB) (int, func()) { return newFence(t, v) }

// Close closes the device, its files and every descriptor it handed out.
func (v *VmemuTarget) Close() error { return v.dev.Close() }

// vmemuTimeline is a vmemu sw_sync timeline descriptor, driven through
// Device.FDIoctl (the kernel would route these ioctls to sw_sync).
type vmemuTimeline struct {
	dev *amdgpu.Device
	fd  int
}

func (l *vmemuTimeline) CreateFence(value uint32) (int, error) {
	a := &uapi.SWSyncCreateFenceData{Value: value}
	copy(a.Name[:], "conformance")
	var pin runtime.Pinner
	pin.Pin(a)
	defer pin.Unpin()
	if err := l.dev.FDIoctl(l.fd, uintptr(uapi.SW_SYNC_IOC_CREATE_FENCE), unsafe.Pointer(a)); err != nil {
		return -1, err
	}
	return int(a.Fence), nil
}

func (l *vmemuTimeline) Inc(n uint32) error {
	p := &n
	var pin runtime.Pinner
	pin.Pin(p)
	defer pin.Unpin()
	return l.dev.FDIoctl(l.fd, uintptr(uapi.SW_SYNC_IOC_INC), unsafe.Pointer(p))
}

func (l *vmemuTimeline) Close() error { return hostfd.Close(l.fd) }

var _ DmaBufTarget = (*VmemuTarget)(nil)

// NewDmaBuf implements DmaBufTarget: a GTT BO exported with
// PRIME_HANDLE_TO_FD. attach adds an unsignaled fence to the BO's
// reservation object (as a writer or a reader), as vgem's FENCE_ATTACH
// does on the real target.
func (v *VmemuTarget) NewDmaBuf(t testing.TB) (int, func(write bool) func()) {
	t.Helper()
	c := uapi.GemCreateIn{BOSize: 4096, Alignment: 4096, Domains: uapi.AMDGPU_GEM_DOMAIN_GTT}
	if err := v.f.Ioctl(uintptr(uapi.DRM_IOCTL_AMDGPU_GEM_CREATE), unsafe.Pointer(&c)); err != nil {
		t.Fatalf("GEM_CREATE: %v", err)
	}
	h := (*uapi.GemCreateOut)(unsafe.Pointer(&c)).Handle
	p := uapi.PrimeHandle{Handle: h, Flags: uapi.DRM_CLOEXEC | uapi.DRM_RDWR}
	if err := v.f.Ioctl(uintptr(uapi.DRM_IOCTL_PRIME_HANDLE_TO_FD), unsafe.Pointer(&p)); err != nil {
		t.Fatalf("PRIME_HANDLE_TO_FD: %v", err)
	}
	fd := int(p.FD)
	t.Cleanup(func() { hostfd.Close(fd) })
	d := v.dev.Domain()
	return fd, func(write bool) func() {
		t.Helper()
		b := v.f.LookupBO(h)
		if b == nil {
			t.Fatal("the exported BO is gone")
		}
		defer b.Put()
		f := d.New(d.ContextAlloc(1), 1)
		r := b.Resv()
		if err := r.Lock(nil); err != nil {
			t.Fatal(err)
		}
		r.ReserveFences(1)
		u := resv.READ
		if write {
			u = resv.WRITE
		}
		r.AddFence(f, u)
		r.Unlock()
		return func() { f.Signal() }
	}
}
