package conformance

import (
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// IGT tests/syncobj_basic.c: argument checking of CREATE, DESTROY,
// HANDLE_TO_FD and FD_TO_HANDLE, CREATE_SIGNALED, and an export/import
// cycle.

// basic sets up a subtest of syncobj_basic (its fixture: has_syncobj).
func basic(t *testing.T) *drm {
	c, _ := setup(t)
	c.requireSyncobj()
	return c
}

func syncobjBasicSubtests() []subtest {
	return []subtest{
		{"bad-destroy", func(t *testing.T) {
			c := basic(t)
			expect(t, "DESTROY(0xdeadbeef)", c.destroyErr(0xdeadbeef, 0), syscall.EINVAL)
		}},
		{"bad-create-flags", func(t *testing.T) {
			c := basic(t)
			_, err := c.createErr(0xdeadbeef)
			expect(t, "CREATE(flags 0xdeadbeef)", err, syscall.EINVAL)
		}},
		{"bad-handle-to-fd", func(t *testing.T) {
			c := basic(t)
			a := &uapi.SyncobjHandle_V1{Handle: 0xdeadbeef}
			expect(t, "HANDLE_TO_FD(0xdeadbeef)", c.handleToFDV1(a), syscall.EINVAL)
		}},
		{"bad-fd-to-handle", func(t *testing.T) {
			c := basic(t)
			a := &uapi.SyncobjHandle_V1{FD: -1}
			expect(t, "FD_TO_HANDLE(fd -1)", c.fdToHandleV1(a), syscall.EINVAL)
		}},
		{"bad-flags-handle-to-fd", func(t *testing.T) {
			c := basic(t)
			a := &uapi.SyncobjHandle_V1{Flags: 0xdeadbeef}
			expect(t, "HANDLE_TO_FD(flags 0xdeadbeef)", c.handleToFDV1(a), syscall.EINVAL)
		}},
		{"bad-flags-fd-to-handle", func(t *testing.T) {
			c := basic(t)
			a := &uapi.SyncobjHandle_V1{Flags: 0xdeadbeef}
			expect(t, "FD_TO_HANDLE(flags 0xdeadbeef)", c.fdToHandleV1(a), syscall.EINVAL)
		}},
		{"bad-pad-handle-to-fd", func(t *testing.T) {
			c := basic(t)
			a := &uapi.SyncobjHandle_V1{Pad: 0xdeadbeef}
			expect(t, "HANDLE_TO_FD(pad 0xdeadbeef)", c.handleToFDV1(a), syscall.EINVAL)
		}},
		{"bad-pad-fd-to-handle", func(t *testing.T) {
			c := basic(t)
			a := &uapi.SyncobjHandle_V1{Pad: 0xdeadbeef}
			expect(t, "FD_TO_HANDLE(pad 0xdeadbeef)", c.fdToHandleV1(a), syscall.EINVAL)
		}},
		{"illegal-fd-to-handle", func(t *testing.T) {
			// IGT passes the DRM fd itself. vmemu's DRM file is not a
			// descriptor, so there it is a pipe: another open file that
			// is not a syncobj.
			c := basic(t)
			fd, what := nonSyncobjFD(t, c.tg)
			a := &uapi.SyncobjHandle_V1{FD: int32(fd)}
			expect(t, "FD_TO_HANDLE("+what+")", c.fdToHandleV1(a), syscall.EINVAL)
		}},
		{"bad-destroy-pad", func(t *testing.T) {
			c := basic(t)
			h := c.create(0)
			expect(t, "DESTROY(pad 0xdeadbeef)", c.destroyErr(h, 0xdeadbeef), syscall.EINVAL)
			c.destroy(h)
		}},
		{"create-signaled", func(t *testing.T) {
			c := basic(t)
			h := c.create(uapi.DRM_SYNCOBJ_CREATE_SIGNALED)
			expect(t, "WAIT(signaled, timeout 0)", c.waitErr([]uint32{h}, 0, 0), nil)
			c.destroy(h)
		}},
		{"test-valid-cycle", func(t *testing.T) {
			// No handle deduplication: importing an exported syncobj
			// gives a new handle.
			c := basic(t)
			first := c.create(0)
			fd := c.handleToFD(first, 0)
			second := c.fdToHandle(fd, 0)
			closeFD(t, fd)
			if first == second {
				t.Errorf("export/import of handle %d returned the same handle", first)
			}
			c.destroy(first)
			c.destroy(second)
		}},
	}
}

func TestSyncobjBasic(t *testing.T) { runSubtests(t, syncobjBasicSubtests()) }

// nonSyncobjFD returns an open descriptor that is neither a syncobj nor a
// sync_file: the DRM fd itself on a real device (as IGT uses), else the read
// end of a pipe. It is closed when the test ends.
func nonSyncobjFD(t testing.TB, tg Target) (int, string) {
	t.Helper()
	if fd, ok := tg.DRMFD(); ok {
		return fd, "the DRM fd"
	}
	r, w, err := hostfd.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		hostfd.Close(r)
		hostfd.Close(w)
	})
	return r, "a pipe"
}
