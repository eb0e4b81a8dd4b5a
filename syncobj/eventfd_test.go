package syncobj

import (
	"fmt"
	"testing"

	"github.com/vmemu/vmemu/errno"
)

// Reference: drm_syncobj_eventfd_ioctl(), syncobj_eventfd_entry_func().

func TestEventfdE1Checks(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	_, evfd := e.newEventfd()
	null, _ := e.fds.Install(devNull{}, nil)
	closed, _ := e.fds.Install(devNull{}, nil)
	e.fds.Close(closed)
	for _, tc := range []struct {
		name         string
		handle, flag uint32
		fd           int32
		pad          uint32
		want         error
	}{
		{"invalid-bad-flags", h, 0xdeadbeef, evfd, 0, errno.EINVAL},
		{"flags WAIT_ALL", h, fAll, evfd, 0, errno.EINVAL},
		{"invalid-bad-pad", h, 0, evfd, 1, errno.EINVAL},
		{"bad flags before pad", h, fSubmit, evfd, 1, errno.EINVAL},
		{"invalid-illegal-handle", 0, 0, evfd, 0, errno.ENOENT},
		{"handle before eventfd", 0, 0, int32(null), 0, errno.ENOENT},
		{"invalid-illegal-eventfd", h, 0, int32(null), 0, errno.EINVAL},
		{"closed fd", h, 0, int32(closed), 0, errno.EBADF},
		{"fd -1", h, 0, -1, 0, errno.EBADF},
		{"ok", h, fAvailable, evfd, 0, nil},
	} {
		wantErr(t, tc.name, e.tab.Eventfd(tc.handle, tc.flag, 0, tc.fd, tc.pad), tc.want)
	}
}

// IGT syncobj_eventfd {binary,timeline}-{wait,wait-before-signal,
// wait-signaled}.
func TestEventfdE2(t *testing.T) {
	for _, point := range []uint64{0, 1} {
		kind := map[uint64]string{0: "binary", 1: "timeline"}[point]
		for _, mode := range []string{"wait", "wait-before-signal", "wait-signaled"} {
			t.Run(kind+"-"+mode, func(t *testing.T) {
				e := newEnv(t)
				h := e.create(0)
				tl := newSWTimeline(e.d)
				f := tl.fence(1)
				switch mode {
				case "wait":
					e.attach(h, point, f)
				case "wait-signaled":
					e.attach(h, point, f)
					tl.inc(1)
				}
				plain, plainFD := e.newEventfd()
				avail, availFD := e.newEventfd()
				if err := e.tab.Eventfd(h, 0, point, plainFD, 0); err != nil {
					t.Fatal(err)
				}
				if err := e.tab.Eventfd(h, fAvailable, point, availFD, 0); err != nil {
					t.Fatal(err)
				}
				check := func(when string, wantPlain, wantAvail uint64) {
					t.Helper()
					if p, a := plain.value(), avail.value(); p != wantPlain || a != wantAvail {
						t.Errorf("%s: plain=%d available=%d, want %d %d", when, p, a, wantPlain, wantAvail)
					}
				}
				switch mode {
				case "wait":
					check("registered", 0, 1)
				case "wait-before-signal":
					check("registered", 0, 0)
					e.attach(h, point, f)
					check("attached", 0, 1)
				case "wait-signaled":
					check("registered", 1, 1)
				}
				tl.inc(1)
				check("signaled", 1, 1)
				// One-shot: later changes fire nothing more.
				e.signal(h)
				e.tsignal([]uint32{h}, []uint64{point + 1})
				check("after more changes", 1, 1)
				if plain.sinkRefs() != 0 || avail.sinkRefs() != 0 {
					t.Error("eventfd references not dropped after firing")
				}
			})
		}
	}
}

func TestEventfdE2TimelinePointWaitsForItsPoint(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	ev, fd := e.newEventfd()
	if err := e.tab.Eventfd(h, 0, 3, fd, 0); err != nil {
		t.Fatal(err)
	}
	for p := uint64(1); p <= 3; p++ {
		e.attach(h, p, tl.fence(p))
	}
	// Point 3 covers 1..3: the eventfd fires only once all have signaled.
	for v := uint64(1); v <= 3; v++ {
		if got := ev.value(); got != 0 {
			t.Fatalf("fired at timeline value %d", v-1)
		}
		tl.inc(1)
	}
	if got := ev.value(); got != 1 {
		t.Fatalf("count = %d, want 1", got)
	}
}

// A registration whose point was armed on a fence survives a reset: the
// fence, not the syncobj, decides.
func TestEventfdArmedSurvivesReset(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	e.attach(h, 0, tl.fence(1))
	ev, fd := e.newEventfd()
	e.tab.Eventfd(h, 0, 0, fd, 0)
	e.reset(h)
	tl.inc(1)
	if ev.value() != 1 {
		t.Fatal("armed eventfd did not fire after a reset")
	}
}

// Freeing the syncobj drops registrations that never saw their point,
// without firing them (drm_syncobj_free()).
func TestEventfdDroppedOnFree(t *testing.T) {
	for _, flags := range []uint32{0, fAvailable} {
		t.Run(fmt.Sprint("flags=", flags), func(t *testing.T) {
			e := newEnv(t)
			h := e.create(0)
			ev, fd := e.newEventfd()
			e.tab.Eventfd(h, flags, 5, fd, 0)
			if ev.sinkRefs() != 1 {
				t.Fatalf("refs = %d, want 1", ev.sinkRefs())
			}
			e.tab.Destroy(h, 0)
			if ev.sinkRefs() != 0 || ev.value() != 0 {
				t.Fatalf("after free: refs=%d count=%d, want 0 0", ev.sinkRefs(), ev.value())
			}
		})
	}
}
