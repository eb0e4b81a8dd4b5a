package conformance

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// IGT tests/syncobj_eventfd.c: DRM_IOCTL_SYNCOBJ_EVENTFD with real
// eventfds.

// eventfdSetup sets up a subtest of syncobj_eventfd (its fixture:
// has_syncobj_eventfd and igt_require_sw_sync).
func eventfdSetup(t *testing.T) *drm {
	c, _ := setup(t)
	c.requireSyncobjEventfd()
	c.requireSwSync()
	return c
}

// newEventfd returns a non-blocking eventfd (eventfd(0, EFD_NONBLOCK)),
// closed when the test ends.
func newEventfd(t testing.TB) int {
	t.Helper()
	fd, err := hostfd.NewEventfd()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFD(t, fd) })
	return fd
}

// assertUnsignaled is ev_fd_assert_unsignaled: not readable, and a read
// fails with EAGAIN. IGT polls for 10 ms to give the kernel time to signal
// it; both targets signal an eventfd synchronously, inside the ioctl that
// attaches or signals the fence (the kernel from the dma_fence callback),
// so this checks at once.
func assertUnsignaled(t testing.TB, fd int, what string) {
	t.Helper()
	rev, err := hostfd.Poll(fd, hostfd.POLLIN, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rev&hostfd.POLLIN != 0 {
		t.Errorf("%s: eventfd is readable, want not signaled", what)
	}
	var b [8]byte
	if _, err := hostfd.Read(fd, b[:]); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("%s: read = %v, want EAGAIN", what, err)
	}
}

// assertSignaled is ev_fd_assert_signaled: readable within 5 s, and one
// 8-byte read succeeds.
func assertSignaled(t testing.TB, fd int, what string) {
	t.Helper()
	rev, err := hostfd.Poll(fd, hostfd.POLLIN, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if rev&hostfd.POLLIN == 0 {
		t.Errorf("%s: eventfd not readable, want signaled", what)
		return
	}
	var b [8]byte
	if n, err := hostfd.Read(fd, b[:]); err != nil || n != 8 {
		t.Errorf("%s: read = %d, %v, want 8 bytes", what, n, err)
	}
}

func syncobjEventfdSubtests() []subtest {
	const avail = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE
	subs := []subtest{
		{"invalid-bad-flags", func(t *testing.T) {
			c := eventfdSetup(t)
			h := c.create(uapi.DRM_SYNCOBJ_CREATE_SIGNALED)
			ev := newEventfd(t)
			expect(t, "EVENTFD(flags 0xdeadbeef)", c.eventfdErr(h, 0, 0xdeadbeef, ev, 0), syscall.EINVAL)
			c.destroy(h)
		}},
		{"invalid-illegal-handle", func(t *testing.T) {
			c := eventfdSetup(t)
			ev := newEventfd(t)
			expect(t, "EVENTFD(handle 0)", c.eventfdErr(0, 0, 0, ev, 0), syscall.ENOENT)
		}},
		{"invalid-illegal-eventfd", func(t *testing.T) {
			c := eventfdSetup(t)
			h := c.create(uapi.DRM_SYNCOBJ_CREATE_SIGNALED)
			null, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer null.Close()
			expect(t, "EVENTFD(/dev/null)", c.eventfdErr(h, 0, 0, int(null.Fd()), 0), syscall.EINVAL)
			c.destroy(h)
		}},
		{"invalid-bad-pad", func(t *testing.T) {
			c := eventfdSetup(t)
			h := c.create(uapi.DRM_SYNCOBJ_CREATE_SIGNALED)
			ev := newEventfd(t)
			expect(t, "EVENTFD(pad 0xdeadbeef)", c.eventfdErr(h, 0, 0, ev, 0xdeadbeef), syscall.EINVAL)
			c.destroy(h)
		}},
	}
	for _, kind := range []struct {
		name  string
		point uint64
	}{{"binary", 0}, {"timeline", 1}} {
		point := kind.point
		subs = append(subs,
			subtest{kind.name + "-wait", func(t *testing.T) {
				// A fence attached but not signaled: AVAILABLE fires at
				// once, the plain registration only at the signal.
				c := eventfdSetup(t)
				h := c.create(0)
				tl := c.attachSWSync(h, point)
				wait, available := newEventfd(t), newEventfd(t)
				expect(t, "EVENTFD", c.eventfdErr(h, point, 0, wait, 0), nil)
				expect(t, "EVENTFD(WAIT_AVAILABLE)", c.eventfdErr(h, point, avail, available, 0), nil)
				assertUnsignaled(t, wait, "plain, before the signal")
				assertSignaled(t, available, "available, fence attached")
				tl.inc(1)
				assertSignaled(t, wait, "plain, after the signal")
				tl.close()
				c.destroy(h)
			}},
			subtest{kind.name + "-wait-before-signal", func(t *testing.T) {
				// Registered before any fence: nothing fires; attaching
				// fires AVAILABLE; the signal fires the plain one.
				c := eventfdSetup(t)
				h := c.create(0)
				wait, available := newEventfd(t), newEventfd(t)
				expect(t, "EVENTFD", c.eventfdErr(h, point, 0, wait, 0), nil)
				expect(t, "EVENTFD(WAIT_AVAILABLE)", c.eventfdErr(h, point, avail, available, 0), nil)
				assertUnsignaled(t, wait, "plain, no fence")
				assertUnsignaled(t, available, "available, no fence")
				tl := c.attachSWSync(h, point)
				assertUnsignaled(t, wait, "plain, fence attached")
				assertSignaled(t, available, "available, fence attached")
				tl.inc(1)
				assertSignaled(t, wait, "plain, after the signal")
				tl.close()
				c.destroy(h)
			}},
			subtest{kind.name + "-wait-signaled", func(t *testing.T) {
				// Registered after the signal: both fire at once.
				c := eventfdSetup(t)
				h := c.create(0)
				wait, available := newEventfd(t), newEventfd(t)
				tl := c.attachSWSync(h, point)
				tl.inc(1)
				expect(t, "EVENTFD", c.eventfdErr(h, point, 0, wait, 0), nil)
				expect(t, "EVENTFD(WAIT_AVAILABLE)", c.eventfdErr(h, point, avail, available, 0), nil)
				assertSignaled(t, wait, "plain, signaled fence")
				assertSignaled(t, available, "available, signaled fence")
				tl.close()
				c.destroy(h)
			}},
		)
	}
	return subs
}

func TestSyncobjEventfd(t *testing.T) { runSubtests(t, syncobjEventfdSubtests()) }
