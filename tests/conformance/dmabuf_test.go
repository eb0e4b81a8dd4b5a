package conformance

import (
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// sync_file and dma-buf checks beyond IGT's syncobj tests
// (spec/uapi.md §3.3, drivers/dma-buf/sync_file.c and dma-buf.c). The
// sync_file ones run on both targets; the dma-buf ones need a dma-buf
// exporter (DmaBufTarget: vgem on a real kernel) and skip on vmemu.

// fdCall issues req on descriptor fd through the target.
func fdCall[T any](tg Target, fd int, req uint32, a *T, pins ...any) error {
	var p runtime.Pinner
	p.Pin(a)
	for _, x := range pins {
		if x != nil {
			p.Pin(x)
		}
	}
	defer p.Unpin()
	return tg.FDIoctl(fd, uintptr(req), unsafe.Pointer(a))
}

// fileInfo is SYNC_IOC_FILE_INFO with num_fences 0: the status of the
// whole sync_file (1 signaled, 0 active) and its number of fences.
func fileInfo(t testing.TB, tg Target, fd int) (status int32, n uint32) {
	t.Helper()
	a := &uapi.SyncFileInfo{}
	expect(t, "SYNC_IOC_FILE_INFO", fdCall(tg, fd, uapi.SYNC_IOC_FILE_INFO, a), nil)
	return a.Status, a.NumFences
}

func TestSyncFile(t *testing.T) {
	t.Run("info-active-then-signaled", func(t *testing.T) {
		_, tg := setup(t)
		fd, signal := tg.NewFence(t)
		if st, n := fileInfo(t, tg, fd); st != 0 || n != 1 {
			t.Errorf("FILE_INFO before the signal = status %d, %d fences; want 0, 1", st, n)
		}
		signal()
		if st, n := fileInfo(t, tg, fd); st != 1 || n != 1 {
			t.Errorf("FILE_INFO after the signal = status %d, %d fences; want 1, 1", st, n)
		}
	})
	t.Run("info-bad-flags", func(t *testing.T) {
		_, tg := setup(t)
		fd, _ := tg.NewFence(t)
		a := &uapi.SyncFileInfo{Flags: 1}
		expect(t, "FILE_INFO(flags 1)", fdCall(tg, fd, uapi.SYNC_IOC_FILE_INFO, a), syscall.EINVAL)
		a = &uapi.SyncFileInfo{Pad: 1}
		expect(t, "FILE_INFO(pad 1)", fdCall(tg, fd, uapi.SYNC_IOC_FILE_INFO, a), syscall.EINVAL)
	})
	t.Run("merge-two-fences", func(t *testing.T) {
		_, tg := setup(t)
		fd1, signal1 := tg.NewFence(t)
		fd2, signal2 := tg.NewFence(t)
		a := &uapi.SyncMergeData{FD2: int32(fd2)}
		copy(a.Name[:], "merged")
		if err := fdCall(tg, fd1, uapi.SYNC_IOC_MERGE, a); err != nil {
			t.Fatalf("SYNC_IOC_MERGE = %s", errName(err))
		}
		merged := int(a.Fence)
		defer closeFD(t, merged)
		if st, n := fileInfo(t, tg, merged); st != 0 || n != 2 {
			t.Errorf("merged FILE_INFO = status %d, %d fences; want 0, 2", st, n)
		}
		signal1()
		if st, _ := fileInfo(t, tg, merged); st != 0 {
			t.Errorf("merged status after one of two signals = %d, want 0", st)
		}
		if readable(t, merged, 0) {
			t.Error("merged sync_file readable after one of two signals")
		}
		signal2()
		if st, _ := fileInfo(t, tg, merged); st != 1 {
			t.Errorf("merged status after both signals = %d, want 1", st)
		}
		if !readable(t, merged, 5000) {
			t.Error("merged sync_file not readable after both signals")
		}
	})
	t.Run("merge-bad-args", func(t *testing.T) {
		_, tg := setup(t)
		fd1, _ := tg.NewFence(t)
		fd2, _ := tg.NewFence(t)
		a := &uapi.SyncMergeData{FD2: int32(fd2), Flags: 1}
		expect(t, "MERGE(flags 1)", fdCall(tg, fd1, uapi.SYNC_IOC_MERGE, a), syscall.EINVAL)
		a = &uapi.SyncMergeData{FD2: int32(fd2), Pad: 1}
		expect(t, "MERGE(pad 1)", fdCall(tg, fd1, uapi.SYNC_IOC_MERGE, a), syscall.EINVAL)
		r, w, err := hostfd.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer closeFD(t, r)
		defer closeFD(t, w)
		a = &uapi.SyncMergeData{FD2: int32(r)}
		expect(t, "MERGE(fd2 a pipe)", fdCall(tg, fd1, uapi.SYNC_IOC_MERGE, a), syscall.ENOENT)
	})
	t.Run("syncobj-export-of-imported-fence", func(t *testing.T) {
		// A fence imported into a syncobj and exported again as a
		// sync_file is the same single fence, with its status.
		c, tg := setup(t)
		fd, signal := tg.NewFence(t)
		h := c.create(0)
		c.importSyncFile(h, fd)
		out := c.handleToFD(h, uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
		defer closeFD(t, out)
		if st, n := fileInfo(t, tg, out); st != 0 || n != 1 {
			t.Errorf("exported FILE_INFO = status %d, %d fences; want 0, 1", st, n)
		}
		signal()
		if st, _ := fileInfo(t, tg, out); st != 1 {
			t.Errorf("exported status after the signal = %d, want 1", st)
		}
		c.destroy(h)
	})
}

// dmaBuf returns a shared buffer of the test's target, skipping the test
// if the target has none.
func dmaBuf(t *testing.T) (*drm, Target, int, func(bool) func()) {
	t.Helper()
	c, tg := setup(t)
	b, ok := tg.(DmaBufTarget)
	if !ok {
		skipf(t, "%s has no dma-buf exporter", tg.Name())
	}
	fd, attach := b.NewDmaBuf(t)
	return c, tg, fd, attach
}

func exportSyncFile(tg Target, buf int, flags uint32) (int, error) {
	a := &uapi.DmaBufExportSyncFile{Flags: flags}
	err := fdCall(tg, buf, uapi.DMA_BUF_IOCTL_EXPORT_SYNC_FILE, a)
	return int(a.FD), err
}

func mustExport(t *testing.T, tg Target, buf int, flags uint32) int {
	t.Helper()
	fd, err := exportSyncFile(tg, buf, flags)
	if err != nil {
		t.Fatalf("EXPORT_SYNC_FILE(flags %#x) = %s", flags, errName(err))
	}
	t.Cleanup(func() { closeFD(t, fd) })
	return fd
}

func importSyncFile(tg Target, buf int, flags uint32, fd int) error {
	return fdCall(tg, buf, uapi.DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &uapi.DmaBufImportSyncFile{Flags: flags, FD: int32(fd)})
}

// pending reports whether the sync_files exported for a CPU read
// (waits for writers) and a CPU write (waits for everything) are
// unsignaled.
func pending(t *testing.T, tg Target, buf int) (read, write bool) {
	t.Helper()
	r := mustExport(t, tg, buf, uapi.DMA_BUF_SYNC_READ)
	w := mustExport(t, tg, buf, uapi.DMA_BUF_SYNC_WRITE)
	return !readable(t, r, 0), !readable(t, w, 0)
}

func TestDmaBuf(t *testing.T) {
	t.Run("export-without-fences", func(t *testing.T) {
		_, tg, buf, _ := dmaBuf(t)
		fd := mustExport(t, tg, buf, uapi.DMA_BUF_SYNC_RW)
		if !readable(t, fd, 0) {
			t.Error("sync_file of a buffer without fences not signaled")
		}
		if st, n := fileInfo(t, tg, fd); st != 1 || n != 1 {
			t.Errorf("FILE_INFO = status %d, %d fences; want 1, 1 (a signaled stub)", st, n)
		}
	})
	t.Run("bad-flags", func(t *testing.T) {
		_, tg, buf, _ := dmaBuf(t)
		for _, f := range []uint32{0, uapi.DMA_BUF_SYNC_END, 8, uapi.DMA_BUF_SYNC_RW | 8} {
			_, err := exportSyncFile(tg, buf, f)
			expect(t, "EXPORT_SYNC_FILE(bad flags)", err, syscall.EINVAL)
		}
		sf, _ := tg.NewFence(t)
		for _, f := range []uint32{0, uapi.DMA_BUF_SYNC_END, 8} {
			expect(t, "IMPORT_SYNC_FILE(bad flags)", importSyncFile(tg, buf, f, sf), syscall.EINVAL)
		}
		for _, f := range []uint64{0, 8, uapi.DMA_BUF_SYNC_END} {
			expect(t, "DMA_BUF_IOCTL_SYNC(bad flags)", fdCall(tg, buf, uapi.DMA_BUF_IOCTL_SYNC, &uapi.DmaBufSync{Flags: f}), syscall.EINVAL)
		}
	})
	t.Run("import-not-a-sync-file", func(t *testing.T) {
		_, tg, buf, _ := dmaBuf(t)
		r, w, err := hostfd.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer closeFD(t, r)
		defer closeFD(t, w)
		expect(t, "IMPORT_SYNC_FILE(a pipe)", importSyncFile(tg, buf, uapi.DMA_BUF_SYNC_WRITE, r), syscall.EINVAL)
	})
	t.Run("unknown-ioctl", func(t *testing.T) {
		_, tg, buf, _ := dmaBuf(t)
		const req = 3<<30 | 8<<16 | uapi.DMA_BUF_BASE<<8 | 0x7f
		var a uint64
		expect(t, "dma-buf ioctl 0x7f", fdCall(tg, buf, req, &a), syscall.ENOTTY)
	})
	t.Run("cpu-access-without-fences", func(t *testing.T) {
		_, tg, buf, _ := dmaBuf(t)
		for _, f := range []uint64{uapi.DMA_BUF_SYNC_START | uapi.DMA_BUF_SYNC_RW, uapi.DMA_BUF_SYNC_END | uapi.DMA_BUF_SYNC_RW} {
			expect(t, "DMA_BUF_IOCTL_SYNC", fdCall(tg, buf, uapi.DMA_BUF_IOCTL_SYNC, &uapi.DmaBufSync{Flags: f}), nil)
		}
	})
	t.Run("implicit-write-fence", func(t *testing.T) {
		// A writer's fence: both a CPU read and a CPU write wait for it.
		_, tg, buf, attach := dmaBuf(t)
		signal := attach(true)
		if r, w := pending(t, tg, buf); !r || !w {
			t.Errorf("with a write fence: read pending %v, write pending %v; want both", r, w)
		}
		signal()
		if r, w := pending(t, tg, buf); r || w {
			t.Errorf("after the writer signaled: read pending %v, write pending %v; want neither", r, w)
		}
	})
	t.Run("implicit-read-fence", func(t *testing.T) {
		// A reader's fence: only a CPU write waits for it.
		_, tg, buf, attach := dmaBuf(t)
		signal := attach(false)
		if r, w := pending(t, tg, buf); r || !w {
			t.Errorf("with a read fence: read pending %v, write pending %v; want write only", r, w)
		}
		signal()
		if r, w := pending(t, tg, buf); r || w {
			t.Errorf("after the reader signaled: read pending %v, write pending %v; want neither", r, w)
		}
	})
	t.Run("import-write-then-export", func(t *testing.T) {
		_, tg, buf, _ := dmaBuf(t)
		sf, signal := tg.NewFence(t)
		expect(t, "IMPORT_SYNC_FILE(WRITE)", importSyncFile(tg, buf, uapi.DMA_BUF_SYNC_WRITE, sf), nil)
		if r, w := pending(t, tg, buf); !r || !w {
			t.Errorf("after a WRITE import: read pending %v, write pending %v; want both", r, w)
		}
		signal()
		if r, w := pending(t, tg, buf); r || w {
			t.Errorf("after the signal: read pending %v, write pending %v; want neither", r, w)
		}
	})
	t.Run("import-read-then-export", func(t *testing.T) {
		_, tg, buf, _ := dmaBuf(t)
		sf, signal := tg.NewFence(t)
		expect(t, "IMPORT_SYNC_FILE(READ)", importSyncFile(tg, buf, uapi.DMA_BUF_SYNC_READ, sf), nil)
		if r, w := pending(t, tg, buf); r || !w {
			t.Errorf("after a READ import: read pending %v, write pending %v; want write only", r, w)
		}
		signal()
		if r, w := pending(t, tg, buf); r || w {
			t.Errorf("after the signal: read pending %v, write pending %v; want neither", r, w)
		}
	})
	t.Run("implicit-fence-into-syncobj", func(t *testing.T) {
		// A buffer's implicit fence, exported as a sync_file, imported
		// into a syncobj of the DRM device under test (cross-driver).
		c, tg, buf, attach := dmaBuf(t)
		signal := attach(true)
		sf := mustExport(t, tg, buf, uapi.DMA_BUF_SYNC_RW)
		h := c.create(0)
		c.importSyncFile(h, sf)
		expect(t, "WAIT(implicit fence, unsignaled)", c.waitErr([]uint32{h}, 0, 0), syscall.ETIME)
		signal()
		expect(t, "WAIT(implicit fence, signaled)", c.waitErr([]uint32{h}, c.tg.Now()+5*nsPerSec, 0), nil)
		c.destroy(h)
	})
	t.Run("syncobj-fence-into-buffer", func(t *testing.T) {
		// A syncobj's fence, exported as a sync_file, made the buffer's
		// write fence: implicit sync sees the explicit fence.
		c, tg, buf, _ := dmaBuf(t)
		fd, signal := tg.NewFence(t)
		h := c.create(0)
		c.importSyncFile(h, fd)
		out := c.handleToFD(h, uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
		defer closeFD(t, out)
		expect(t, "IMPORT_SYNC_FILE(WRITE, syncobj's fence)", importSyncFile(tg, buf, uapi.DMA_BUF_SYNC_WRITE, out), nil)
		if r, _ := pending(t, tg, buf); !r {
			t.Error("the imported syncobj fence does not hold a CPU read")
		}
		signal()
		if r, w := pending(t, tg, buf); r || w {
			t.Errorf("after the signal: read pending %v, write pending %v; want neither", r, w)
		}
		c.destroy(h)
	})
}

// TestNoSyncobjDriver is the baseline of a DRM driver without
// DRIVER_SYNCOBJ (every driver on 6.1 in the QEMU VM, vgem on 6.12): every
// syncobj ioctl fails with EOPNOTSUPP before looking at its argument,
// except EVENTFD on kernels before 6.6, where it is an unknown ioctl
// (EINVAL). It skips on a device that has syncobjs (vmemu included).
func TestNoSyncobjDriver(t *testing.T) {
	tg := newTarget(t, func(path string) Target { return openDRMTarget(t, path) })
	c := &drm{t: t, tg: tg, ioctl: tg.Ioctl}
	if v, err := c.getCap(uapi.DRM_CAP_SYNCOBJ); err == nil && v != 0 {
		skipf(t, "%s has syncobjs (GET_CAP(DRM_CAP_SYNCOBJ) = %d)", tg.Name(), v)
	}
	handles := []uint32{1}
	points := []uint64{1}
	unsupported := syscall.EOPNOTSUPP
	_, err := c.createErr(0)
	expect(t, "CREATE", err, unsupported)
	expect(t, "DESTROY", c.destroyErr(1, 0), unsupported)
	expect(t, "HANDLE_TO_FD", c.handleToFDV1(&uapi.SyncobjHandle_V1{Handle: 1}), unsupported)
	expect(t, "FD_TO_HANDLE", c.fdToHandleV1(&uapi.SyncobjHandle_V1{FD: -1}), unsupported)
	expect(t, "WAIT", c.waitErr(handles, 0, 0), unsupported)
	expect(t, "TIMELINE_WAIT", c.timelineWaitErr(handles, points, 0, 0), unsupported)
	expect(t, "RESET", c.arrayErr(uapi.DRM_IOCTL_SYNCOBJ_RESET, handles, 1, 0), unsupported)
	expect(t, "SIGNAL", c.arrayErr(uapi.DRM_IOCTL_SYNCOBJ_SIGNAL, handles, 1, 0), unsupported)
	expect(t, "TIMELINE_SIGNAL", c.timelineArrayErr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, handles, points, 1, 0), unsupported)
	expect(t, "QUERY", c.timelineArrayErr(uapi.DRM_IOCTL_SYNCOBJ_QUERY, handles, points, 1, 0), unsupported)
	expect(t, "TRANSFER", c.transferErr(&uapi.SyncobjTransfer{SrcHandle: 1, DstHandle: 1}), unsupported)
	if err := c.eventfdErr(1, 0, 0, -1, 0); !is(err, unsupported) && !is(err, syscall.EINVAL) {
		t.Errorf("EVENTFD = %s, want -EOPNOTSUPP (6.6+) or -EINVAL (no such ioctl)", errName(err))
	}
}
