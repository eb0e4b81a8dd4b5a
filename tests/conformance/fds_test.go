package conformance

import (
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// File-descriptor semantics of syncobjs and sync_files through the ioctl
// interface (spec/uapi.md §4.1, §4.3 H3/H4/F2/F3), beyond what IGT checks.

// readable reports whether fd polls readable (timeout in ms).
func readable(t testing.TB, fd, timeoutMs int) bool {
	t.Helper()
	rev, err := hostfd.Poll(fd, hostfd.POLLIN, timeoutMs)
	if err != nil {
		t.Fatal(err)
	}
	if rev&(hostfd.POLLNVAL|hostfd.POLLERR) != 0 {
		t.Fatalf("poll(%d) = %#x", fd, rev)
	}
	return rev&hostfd.POLLIN != 0
}

func TestSyncobjFDs(t *testing.T) {
	t.Run("import-closed-syncobj-fd", func(t *testing.T) {
		// An exported syncobj fd closed with close(2) is gone: importing
		// the number fails like any descriptor that is not a syncobj.
		c, _ := setup(t)
		h := c.create(0)
		fd := c.handleToFD(h, 0)
		closeFD(t, fd)
		a := &uapi.SyncobjHandle_V1{FD: int32(fd)}
		expect(t, "FD_TO_HANDLE(closed syncobj fd)", c.fdToHandleV1(a), syscall.EINVAL)
		c.destroy(h)
	})

	t.Run("sync-file-polls-readable-once-signaled", func(t *testing.T) {
		// A sync_file polls readable (POLLIN) only once its fence has
		// signaled (sync_file_poll()): the sw_sync fence itself, and the
		// sync_file exported from a syncobj holding it.
		c, tg := setup(t)
		fd, signal := tg.NewFence(t)
		h := c.create(0)
		c.importSyncFile(h, fd)
		exported := c.handleToFD(h, uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
		if readable(t, fd, 0) {
			t.Error("sw_sync fence's sync_file readable before the signal")
		}
		if readable(t, exported, 0) {
			t.Error("exported sync_file readable before the signal")
		}
		signal()
		if !readable(t, fd, 5000) {
			t.Error("sw_sync fence's sync_file not readable after the signal")
		}
		if !readable(t, exported, 5000) {
			t.Error("exported sync_file not readable after the signal")
		}
		closeFD(t, exported)
		c.destroy(h)
	})

	t.Run("export-import-across-files-shares-state", func(t *testing.T) {
		// HANDLE_TO_FD on one DRM file and FD_TO_HANDLE on another give
		// two handles for one syncobj: a change through either is seen
		// through both, and destroying one handle leaves the other.
		c, tg := setup(t)
		c.requireSwSync()
		f, err := tg.OpenFile()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := c.onFile(f)
		ha := c.create(0)
		fd := c.handleToFD(ha, 0)
		hb := b.fdToHandle(fd, 0)
		closeFD(t, fd)

		expect(t, "wait through B, no fence", b.waitErr([]uint32{hb}, 0, 0), syscall.EINVAL)
		c.signal(ha)
		expect(t, "wait through B after SIGNAL through A", b.waitErr([]uint32{hb}, 0, 0), nil)
		b.reset(hb)
		expect(t, "wait through A after RESET through B", c.waitErr([]uint32{ha}, 0, 0), syscall.EINVAL)
		tl := b.attachSWSync(hb, 0)
		expect(t, "poll through A, fence attached through B", c.waitErr([]uint32{ha}, 0, 0), syscall.ETIME)
		tl.inc(1)
		expect(t, "wait through A after the signal", c.waitErr([]uint32{ha}, 0, 0), nil)
		b.timelineSignal([]uint32{hb}, []uint64{7})
		if q := c.query1(ha); q != 7 {
			t.Errorf("QUERY through A after TIMELINE_SIGNAL 7 through B = %d, want 7", q)
		}
		c.destroy(ha)
		expect(t, "wait through B after A destroyed its handle", b.waitErr([]uint32{hb}, 0, 0), nil)
		b.destroy(hb)
		// Handles are per file: hb means nothing on A once ha is gone.
		if ha == hb {
			expect(t, "DESTROY of B's handle number on A", c.destroyErr(hb, 0), syscall.EINVAL)
		}
	})

	t.Run("fd-to-handle-of-non-syncobj-fds", func(t *testing.T) {
		// IGT's illegal-fd-to-handle passes the DRM fd itself; vmemu has
		// no DRM fd, so a pipe stands in for "an open file that is not a
		// syncobj" there (on a real device both are checked). A sync_file
		// is not a syncobj file either, and a syncobj fd is not a
		// sync_file.
		c, tg := setup(t)
		c.requireSwSync()
		fd, what := nonSyncobjFD(t, tg)
		expect(t, "FD_TO_HANDLE("+what+")", c.fdToHandleV1(&uapi.SyncobjHandle_V1{FD: int32(fd)}), syscall.EINVAL)
		r, w, err := hostfd.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer hostfd.Close(r)
		defer hostfd.Close(w)
		expect(t, "FD_TO_HANDLE(pipe)", c.fdToHandleV1(&uapi.SyncobjHandle_V1{FD: int32(r)}), syscall.EINVAL)
		h := c.create(0)
		imp := uint32(uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE)
		expect(t, "FD_TO_HANDLE(IMPORT_SYNC_FILE, pipe)",
			c.fdToHandleV1(&uapi.SyncobjHandle_V1{Handle: h, FD: int32(r), Flags: imp}), syscall.EINVAL)
		sf, _ := tg.NewFence(t)
		expect(t, "FD_TO_HANDLE(sync_file)", c.fdToHandleV1(&uapi.SyncobjHandle_V1{FD: int32(sf)}), syscall.EINVAL)
		so := c.handleToFD(h, 0)
		expect(t, "FD_TO_HANDLE(IMPORT_SYNC_FILE, syncobj fd)",
			c.fdToHandleV1(&uapi.SyncobjHandle_V1{Handle: h, FD: int32(so), Flags: imp}), syscall.EINVAL)
		closeFD(t, so)
		c.destroy(h)
	})
}
