package conformance

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// vgem as a fence source for the real target. Debian's kernels have no
// sw_sync (CONFIG_SW_SYNC is unset), but they build vgem, whose fences
// are real unsignaled dma_fences under user-space control
// (drivers/gpu/drm/vgem/vgem_fence.c, include/uapi/drm/vgem_drm.h):
//
//	MODE_CREATE_DUMB             a 1×1×32 buffer
//	VGEM_FENCE_ATTACH            DRM_IOWR(0x41, 16) {handle, flags=WRITE, out_fence, pad}
//	PRIME_HANDLE_TO_FD           the buffer's dma-buf
//	DMA_BUF_IOCTL_EXPORT_SYNC_FILE {flags=RW} → a sync_file holding the fence
//	VGEM_FENCE_SIGNAL            DRM_IOW(0x42, 8) {fence, flags}
//
// A vgem fence has its own fence context (seqno 1), where the fences of a
// sw_sync timeline share one; vgem signals every unsignaled fence of a file
// when the file is closed (without an error, where sw_sync sets -ENOENT),
// and by itself after 10 s (VGEM_FENCE_TIMEOUT). docs/kernel-harness.md
// lists what this changes.

// VgemEnv names the environment variable that gives the vgem node
// explicitly (default: the first /dev/dri/card* whose driver is vgem).
const VgemEnv = "VMEMU_CONFORMANCE_VGEM"

// Request numbers and structs of vgem and of MODE_CREATE_DUMB.
const (
	vgemFenceWrite = 0x1
)

var (
	ioctlModeCreateDumb = drmIOC(3, 0xB2, unsafe.Sizeof(modeCreateDumb{}))
	ioctlVgemAttach     = drmIOC(3, uapi.DRM_COMMAND_BASE+0x01, unsafe.Sizeof(vgemFenceAttach{}))
	ioctlVgemSignal     = drmIOC(1, uapi.DRM_COMMAND_BASE+0x02, unsafe.Sizeof(vgemFenceSignal{}))
)

// drmIOC builds a DRM ('d') request number: dir 1 = write (_IOW), 3 =
// read|write (_IOWR).
func drmIOC(dir uintptr, nr int, size uintptr) uintptr {
	return dir<<30 | size<<16 | 'd'<<8 | uintptr(nr)
}

// modeCreateDumb is struct drm_mode_create_dumb (32 bytes).
type modeCreateDumb struct {
	Height, Width, BPP, Flags uint32
	Handle, Pitch             uint32 // out
	Size                      uint64 // out
}

// vgemFenceAttach is struct drm_vgem_fence_attach (16 bytes).
type vgemFenceAttach struct {
	Handle, Flags, OutFence, Pad uint32
}

// vgemFenceSignal is struct drm_vgem_fence_signal (8 bytes).
type vgemFenceSignal struct {
	Fence, Flags uint32
}

// findVgem returns the vgem node: $VMEMU_CONFORMANCE_VGEM, else the first
// /dev/dri/card* whose DRM_IOCTL_VERSION name is "vgem", else "".
func findVgem() string {
	if p := os.Getenv(VgemEnv); p != "" {
		return p
	}
	cards, _ := filepath.Glob("/dev/dri/card*")
	sort.Strings(cards)
	for _, p := range cards {
		if name, err := driverName(p); err == nil && name == "vgem" {
			return p
		}
	}
	return ""
}

// driverName opens path and returns its DRM driver's name
// (DRM_IOCTL_VERSION).
func driverName(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	name := make([]byte, 64)
	a := &uapi.DRMVersion{NameLen: uint64(len(name)), Name: uapi.P64(uintptr(unsafe.Pointer(&name[0])))}
	var pin runtime.Pinner
	pin.Pin(a)
	pin.Pin(&name[0])
	defer pin.Unpin()
	if err := hostfd.Ioctl(int(f.Fd()), uintptr(uapi.DRM_IOCTL_VERSION), unsafe.Pointer(a)); err != nil {
		return "", err
	}
	n := min(int(a.NameLen), len(name))
	return string(bytes.TrimRight(name[:n], "\x00")), nil
}

// vgemFile is an open vgem node.
type vgemFile struct {
	d *DRMTarget
	f *os.File
}

func (d *DRMTarget) openVgem() (*vgemFile, error) {
	f, err := os.OpenFile(d.vgem, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &vgemFile{d: d, f: f}, nil
}

func vgemCall[T any](v *vgemFile, req uintptr, a *T) error {
	var pin runtime.Pinner
	pin.Pin(a)
	defer pin.Unpin()
	return v.d.ioctl(int(v.f.Fd()), req, unsafe.Pointer(a))
}

// newBuffer creates a dumb buffer and returns its GEM handle.
func (v *vgemFile) newBuffer() (uint32, error) {
	a := &modeCreateDumb{Height: 1, Width: 1, BPP: 32}
	if err := vgemCall(v, ioctlModeCreateDumb, a); err != nil {
		return 0, fmt.Errorf("vgem MODE_CREATE_DUMB: %w", err)
	}
	return a.Handle, nil
}

// closeBuffer is GEM_CLOSE.
func (v *vgemFile) closeBuffer(h uint32) error {
	return vgemCall(v, uintptr(uapi.DRM_IOCTL_GEM_CLOSE), &uapi.GemClose{Handle: h})
}

// attach is VGEM_FENCE_ATTACH: a new unsignaled fence on buffer h, write
// (exclusive) or read (shared). It returns vgem's fence id.
func (v *vgemFile) attach(h uint32, write bool) (uint32, error) {
	a := &vgemFenceAttach{Handle: h}
	if write {
		a.Flags = vgemFenceWrite
	}
	if err := vgemCall(v, ioctlVgemAttach, a); err != nil {
		return 0, fmt.Errorf("VGEM_FENCE_ATTACH: %w", err)
	}
	return a.OutFence, nil
}

// signal is VGEM_FENCE_SIGNAL.
func (v *vgemFile) signal(fence uint32) error {
	if err := vgemCall(v, ioctlVgemSignal, &vgemFenceSignal{Fence: fence}); err != nil {
		return fmt.Errorf("VGEM_FENCE_SIGNAL(%d): %w", fence, err)
	}
	return nil
}

// exportDmaBuf is PRIME_HANDLE_TO_FD (O_RDWR|O_CLOEXEC).
func (v *vgemFile) exportDmaBuf(h uint32) (int, error) {
	a := &uapi.PrimeHandle{Handle: h, Flags: uint32(os.O_RDWR | syscall.O_CLOEXEC)}
	if err := vgemCall(v, uintptr(uapi.DRM_IOCTL_PRIME_HANDLE_TO_FD), a); err != nil {
		return -1, fmt.Errorf("PRIME_HANDLE_TO_FD: %w", err)
	}
	return int(a.FD), nil
}

// fenceSyncFile makes a new unsignaled vgem fence and returns a sync_file
// holding it and vgem's fence id.
func (v *vgemFile) fenceSyncFile() (fd int, fence uint32, err error) {
	h, err := v.newBuffer()
	if err != nil {
		return -1, 0, err
	}
	defer v.closeBuffer(h)
	if fence, err = v.attach(h, true); err != nil {
		return -1, 0, err
	}
	dmabuf, err := v.exportDmaBuf(h)
	if err != nil {
		v.signal(fence)
		return -1, 0, err
	}
	defer hostfd.Close(dmabuf)
	a := &uapi.DmaBufExportSyncFile{Flags: uapi.DMA_BUF_SYNC_RW}
	var pin runtime.Pinner
	pin.Pin(a)
	err = v.d.ioctl(dmabuf, uintptr(uapi.DMA_BUF_IOCTL_EXPORT_SYNC_FILE), unsafe.Pointer(a))
	pin.Unpin()
	if err != nil {
		v.signal(fence)
		return -1, 0, fmt.Errorf("DMA_BUF_IOCTL_EXPORT_SYNC_FILE: %w", err)
	}
	return int(a.FD), fence, nil
}

// vgemTimeline gives vgem fences sw_sync's timeline semantics: a fence
// created for value v signals once Inc has brought the timeline to v, in
// value order; one created at or below the current value is signaled at
// once; closing the timeline (its own vgem file) signals the rest.
type vgemTimeline struct {
	v *vgemFile

	mu      sync.Mutex
	value   uint32        // protected by mu
	pending []vgemPending // sorted by value; protected by mu
}

type vgemPending struct {
	value, fence uint32
}

func (d *DRMTarget) newVgemTimeline() (Timeline, error) {
	v, err := d.openVgem()
	if err != nil {
		return nil, err
	}
	return &vgemTimeline{v: v}, nil
}

func (l *vgemTimeline) CreateFence(value uint32) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fd, fence, err := l.v.fenceSyncFile()
	if err != nil {
		return -1, err
	}
	if value <= l.value {
		if err := l.v.signal(fence); err != nil {
			hostfd.Close(fd)
			return -1, err
		}
		return fd, nil
	}
	i, _ := slices.BinarySearchFunc(l.pending, value+1, func(p vgemPending, v uint32) int {
		return int(int64(p.value) - int64(v))
	})
	l.pending = slices.Insert(l.pending, i, vgemPending{value, fence})
	return fd, nil
}

func (l *vgemTimeline) Inc(n uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.value += n
	var errs []error
	for len(l.pending) > 0 && l.pending[0].value <= l.value {
		if err := l.v.signal(l.pending[0].fence); err != nil {
			errs = append(errs, err)
		}
		l.pending = l.pending[1:]
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func (l *vgemTimeline) Close() error { return l.v.f.Close() }

// vgemBuffers is the real target's source of shared buffers for the
// dma-buf checks: one vgem file per target, opened on first use.
type vgemBuffers struct {
	once sync.Once
	v    *vgemFile
	err  error
}

// NewDmaBuf implements DmaBufTarget: a vgem dumb buffer exported as a
// dma-buf. attach puts a new unsignaled vgem fence on the buffer (write:
// exclusive, else shared) and returns the function that signals it. The
// descriptor and the buffer are released when the test ends.
func (d *DRMTarget) NewDmaBuf(t testing.TB) (fd int, attach func(write bool) (signal func())) {
	t.Helper()
	if d.vgem == "" {
		t.Skip("no vgem node: no dma-buf exporter")
	}
	d.bufs.once.Do(func() { d.bufs.v, d.bufs.err = d.openVgem() })
	if d.bufs.err != nil {
		t.Fatalf("open %s: %v", d.vgem, d.bufs.err)
	}
	v := d.bufs.v
	h, err := v.newBuffer()
	if err != nil {
		t.Fatal(err)
	}
	fd, err = v.exportDmaBuf(h)
	if err != nil {
		v.closeBuffer(h)
		t.Fatal(err)
	}
	var fences []uint32
	var mu sync.Mutex
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range fences {
			v.signal(f) // ENOENT for the ones signaled already
		}
		hostfd.Close(fd)
		v.closeBuffer(h)
	})
	return fd, func(write bool) func() {
		t.Helper()
		f, err := v.attach(h, write)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		fences = append(fences, f)
		mu.Unlock()
		return func() {
			if err := v.signal(f); err != nil {
				t.Errorf("%v", err)
			}
		}
	}
}
