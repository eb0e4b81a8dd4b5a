package conformance

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/uapi"
)

// The subtests that syncobj_wait.c and syncobj_timeline.c share: the same
// scenario through SYNCOBJ_WAIT on binary syncobjs, or through
// SYNCOBJ_TIMELINE_WAIT on point 1 of timeline syncobjs.

// IGT's local test flags. Both files number FOR_SUBMIT and ALL alike; the
// wait-state and AVAILABLE bits differ and are in matrix_test.go.
const (
	localForSubmit = 1 << 0
	localAll       = 1 << 1
)

// api is the wait interface a shared subtest exercises.
type api struct {
	timeline bool
}

var (
	binaryAPI   = api{timeline: false}
	timelineAPI = api{timeline: true}
)

// point is the point the file's helpers attach fences to (0: binary).
func (a api) point() uint64 {
	if a.timeline {
		return 1
	}
	return 0
}

// points returns n copies of a.point().
func (a api) points(n int) []uint64 {
	p := make([]uint64, n)
	for i := range p {
		p[i] = a.point()
	}
	return p
}

// waitErr issues the api's wait (points are ignored by the binary WAIT)
// and returns its result and first_signaled.
func (a api) waitErr(c *drm, handles []uint32, points []uint64, timeout int64, flags uint32) (uint32, error) {
	if a.timeline {
		w := timelineWaitArgs(handles, points, timeout, flags)
		err := c.timelineWaitV1(w, handles, points)
		return w.FirstSignaled, err
	}
	w := &uapi.SyncobjWait_V1{
		Handles: uapi.SliceP64(handles), TimeoutNsec: timeout,
		CountHandles: uint32(len(handles)), Flags: flags,
	}
	err := c.waitV1(w, handles)
	return w.FirstSignaled, err
}

// drmWaitFlags is both files' flags_for_test_flags for FOR_SUBMIT and ALL.
func drmWaitFlags(local uint32) uint32 {
	var f uint32
	if local&localForSubmit != 0 {
		f |= uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
	}
	if local&localAll != 0 {
		f |= uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL
	}
	return f
}

// checkReturn fails the test unless a successful wait returned no earlier
// than the event that satisfied it (at) and before its deadline: a wait
// that succeeds at its deadline missed a wake-up and was rescued by its
// final check.
func checkReturn(t *testing.T, what string, err error, returned, at, deadline int64) {
	t.Helper()
	if err != nil {
		return
	}
	if returned < at {
		t.Errorf("%s returned at %d, before the event that satisfies it (%d)", what, returned, at)
	}
	if at >= deadline {
		t.Errorf("%s succeeded although the event that satisfies it (%d) came after its deadline %d", what, at, deadline)
	}
	if returned >= deadline && wallClock.Load() == 0 {
		t.Errorf("%s returned success at %d, not before its deadline %d", what, returned, deadline)
	}
}

// testWaitDelayedSignal: wait-delayed-signal, wait-for-submit-delayed-
// submit, wait-all-delayed-signal, wait-all-for-submit-delayed-submit. A
// timer signals (or, with FOR_SUBMIT, submits a signaled fence) after
// 100 ms; a wait with a 200 ms deadline succeeds.
func testWaitDelayedSignal(t *testing.T, c *drm, a api, local uint32) {
	h := c.create(0)
	p := a.point()
	var tl *timeline
	if local&localForSubmit == 0 {
		tl = c.attachSWSync(h, p)
	}
	// start is read before the timer is armed, so the timer is due no
	// earlier than start+shortTime on a wall clock too.
	start := c.tg.Now()
	if tl == nil {
		c.tg.After(shortTime, func() { c.trigger(h, p) })
	} else {
		c.tg.After(shortTime, func() { tl.inc(1) })
	}
	deadline := start + 2*shortTime
	_, err := a.waitErr(c, []uint32{h}, []uint64{p}, deadline, drmWaitFlags(local))
	expect(t, "wait with the timer due before the deadline", err, nil)
	// Beyond IGT: not before the timer, and not only at the deadline.
	checkReturn(t, "wait", err, c.tg.Now(), start+shortTime, deadline)
	c.tg.Settle()
	c.destroy(h)
}

// testResetUnsignaled: reset-unsignaled.
func testResetUnsignaled(t *testing.T, c *drm, a api) {
	h := c.create(0)
	p := []uint64{a.point()}
	_, err := a.waitErr(c, []uint32{h}, p, 0, 0)
	expect(t, "wait before reset", err, syscall.EINVAL)
	c.reset(h)
	_, err = a.waitErr(c, []uint32{h}, p, 0, 0)
	expect(t, "wait after reset", err, syscall.EINVAL)
	c.destroy(h)
}

// testResetSignaled: reset-signaled.
func testResetSignaled(t *testing.T, c *drm, a api) {
	h := c.create(0)
	p := []uint64{a.point()}
	c.trigger(h, a.point())
	_, err := a.waitErr(c, []uint32{h}, p, 0, 0)
	expect(t, "wait on the signaled syncobj", err, nil)
	c.reset(h)
	_, err = a.waitErr(c, []uint32{h}, p, 0, 0)
	expect(t, "wait after reset", err, syscall.EINVAL)
	c.destroy(h)
}

// testResetMultipleSignaled: reset-multiple-signaled.
func testResetMultipleSignaled(t *testing.T, c *drm, a api) {
	hs := make([]uint32, 3)
	for i := range hs {
		hs[i] = c.create(0)
		c.trigger(hs[i], a.point())
	}
	_, err := a.waitErr(c, hs, a.points(3), 0, 0)
	expect(t, "wait on three signaled syncobjs", err, nil)
	c.reset(hs...)
	for _, h := range hs {
		_, err := a.waitErr(c, []uint32{h}, a.points(1), 0, 0)
		expect(t, fmt.Sprintf("wait on %d after reset", h), err, syscall.EINVAL)
		c.destroy(h)
	}
}

// testResetDuringWaitForSubmit: reset-during-wait-for-submit. A timer
// resets the syncobj a FOR_SUBMIT wait is waiting on, then submits a
// signaled fence; the wait succeeds.
func testResetDuringWaitForSubmit(t *testing.T, c *drm, a api) {
	h := c.create(0)
	p := a.point()
	start := c.tg.Now()
	c.tg.After(shortTime, func() {
		c.reset(h)
		c.trigger(h, p)
	})
	deadline := start + 2*shortTime
	_, err := a.waitErr(c, []uint32{h}, []uint64{p}, deadline, uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
	expect(t, "FOR_SUBMIT wait across a reset", err, nil)
	checkReturn(t, "FOR_SUBMIT wait", err, c.tg.Now(), start+shortTime, deadline)
	c.tg.Settle()
	c.destroy(h)
}

// testWaitSnapshot: wait-{any,all,for-submit,all-for-submit}-snapshot. A
// wait on two syncobjs must keep waiting for the fence each entry resolved
// to: resetting entry 0 and attaching a never-signaling fence to it must
// not matter, and signaling entry 1 completes the wait ("any" mode:
// first_signaled == 1).
func testWaitSnapshot(t *testing.T, c *drm, a api, local uint32) {
	hs := []uint32{c.create(0), c.create(0)}
	points := a.points(2)
	var tl0, tl1 *timeline
	if local&localForSubmit == 0 {
		tl0 = c.attachSWSync(hs[0], points[0])
		tl1 = c.attachSWSync(hs[1], points[1])
	}
	deadline := c.tg.Now() + shortTime
	step := shortTime / 5
	c.tg.After(step, func() {
		// Try to fake the wait out by triggering or partially triggering
		// the first fence.
		switch {
		case local&localAll != 0:
			if tl0 == nil {
				c.trigger(hs[0], points[0])
			} else {
				tl0.inc(1)
			}
		case local&localForSubmit != 0:
			c.attachSWSync(hs[0], points[0])
		}
	})
	c.tg.After(2*step, func() { c.reset(hs[0]) })
	// A fence that never signals: if the wait picked it up, it would time
	// out.
	c.tg.After(3*step, func() { c.attachSWSync(hs[0], points[0]) })
	var completedAt atomic.Int64
	c.tg.After(4*step, func() {
		completedAt.Store(c.tg.Now())
		if tl1 == nil {
			c.trigger(hs[1], points[1])
		} else {
			tl1.inc(1)
		}
	})
	first, err := a.waitErr(c, hs, points, deadline, drmWaitFlags(local))
	returned := c.tg.Now()
	expect(t, "snapshot wait", err, nil)
	c.tg.Settle()
	checkReturn(t, "snapshot wait", err, returned, completedAt.Load(), deadline)
	if local&localAll == 0 && err == nil && first != 1 {
		t.Errorf("first_signaled = %d, want 1", first)
	}
	c.destroy(hs[0])
	c.destroy(hs[1])
}

// shuffled07x4 is IGT's shuffled_0_7_x4: 0–7, each four times, shuffled.
var shuffled07x4 = [32]int{
	2, 0, 6, 1, 1, 4, 5, 2, 0, 7, 1, 7, 6, 3, 4, 5,
	0, 2, 7, 3, 5, 4, 0, 6, 7, 3, 2, 5, 6, 1, 4, 3,
}

// complexStage is IGT's enum syncobj_stage.
type complexStage int

const (
	stageUnsubmitted complexStage = iota
	stageSubmitted
	stageSignaled
	stageReset
	stageResubmitted
)

// complexSteps returns how many entries of shuffled07x4 IGT's loop runs
// before its break condition holds: every syncobj signaled (ALL), or one
// (any).
func complexSteps(all bool) int {
	var stage [8]complexStage
	signaled := 0
	for j, i := range shuffled07x4 {
		if stage[i] == stageSubmitted {
			signaled++
		}
		stage[i]++
		if (all && signaled == len(stage)) || (!all && signaled > 0) {
			return j + 1
		}
	}
	return len(shuffled07x4)
}

// testWaitComplex: wait-{any,all,for-submit,all-for-submit}-complex. Eight
// syncobjs, the first two waited on (deadline 1 s); starting after 20 ms, a
// step every 10 ms walks one syncobj through submit → signal → reset →
// resubmit in the shuffled order until all eight (ALL) or one (any) have
// signaled. "any" mode checks first_signaled against the first one
// signaled.
func testWaitComplex(t *testing.T, c *drm, a api, local uint32) {
	const n = 8
	hs := make([]uint32, n)
	for i := range hs {
		hs[i] = c.create(0)
	}
	points := a.points(n)
	forSubmit := local&localForSubmit != 0
	all := local&localAll != 0

	var mu sync.Mutex // the steps may run on timer goroutines
	var stage [n]complexStage
	var tls [n]*timeline
	numSignaled, firstSignaled := 0, -1
	var signaledAt [2]int64 // when the waited-on syncobjs signaled
	if !forSubmit {
		for i := range hs {
			tls[i] = c.attachSWSync(hs[i], points[i])
		}
	}

	deadline := c.tg.Now() + nsPerSec
	steps := complexSteps(all)
	for j := range steps {
		i := shuffled07x4[j]
		c.tg.After(nsPerSec/50+int64(j)*(nsPerSec/100), func() {
			mu.Lock()
			defer mu.Unlock()
			s := stage[i]
			stage[i]++
			switch s {
			case stageUnsubmitted:
				if !forSubmit {
					if tls[i] == nil {
						t.Errorf("step %d: syncobj %d has no fence attached up front", j, i)
					}
					return
				}
				tls[i] = c.attachSWSync(hs[i], points[i])
			case stageSubmitted:
				if tls[i] == nil {
					t.Errorf("step %d: syncobj %d has no fence to signal", j, i)
					return
				}
				if i < 2 {
					signaledAt[i] = c.tg.Now()
				}
				tls[i].inc(1)
				tls[i].close()
				tls[i] = nil
				if numSignaled == 0 {
					firstSignaled = i
				}
				numSignaled++
			case stageSignaled:
				c.reset(hs[i])
			case stageReset:
				tls[i] = c.attachSWSync(hs[i], points[i])
			default:
				t.Errorf("step %d: syncobj %d should not reach stage %d", j, i, s)
			}
		})
	}
	first, err := a.waitErr(c, hs[:2], points[:2], deadline, drmWaitFlags(local))
	returned := c.tg.Now()
	expect(t, "wait on syncobjs 0 and 1", err, nil)
	c.tg.Settle()

	mu.Lock()
	defer mu.Unlock()
	// Beyond IGT: the wait returned once the waited-on syncobjs it needed
	// had signaled (both with ALL, the first of them otherwise).
	at := max(signaledAt[0], signaledAt[1])
	if !all {
		at = min(signaledAt[0], signaledAt[1])
		if signaledAt[0] == 0 || signaledAt[1] == 0 {
			at = max(signaledAt[0], signaledAt[1])
		}
	}
	checkReturn(t, "wait on syncobjs 0 and 1", err, returned, at, deadline)
	if all {
		if numSignaled != n {
			t.Errorf("%d syncobjs signaled, want %d", numSignaled, n)
		}
	} else {
		if numSignaled != 1 {
			t.Errorf("%d syncobjs signaled, want 1", numSignaled)
		}
		if err == nil && int(first) != firstSignaled {
			t.Errorf("first_signaled = %d, want %d", first, firstSignaled)
		}
	}
	for _, h := range hs {
		c.destroy(h)
	}
}

// interruptIntervals are the periods of the signal streams a wait is
// exposed to in the *-interrupted subtests (igt_while_interruptible
// repeats its body with growing intervals).
var interruptIntervals = []int64{1_000_000, 10_000_000}

// earlyTimeoutSlack is how early a timed-out wait may return. vmemu's
// virtual clock is exact: 0. A kernel converts the absolute timeout into
// jiffies at every restart (drm_timeout_abs_to_jiffies()), and a jiffy
// timeout counts timer ticks, the first of which comes up to one tick
// early, so -ETIME can arrive up to one tick (4 ms at Debian's HZ=250,
// 10 ms at HZ=100) before the deadline.
func earlyTimeoutSlack() int64 {
	if wallClock.Load() != 0 {
		return 10_000_000
	}
	return 0
}

// testWaitInterrupted: wait-{any,all}-interrupted. IGT interrupts the
// wait with signals (igt_while_interruptible) and expects -ETIME: the
// restarted wait keeps its absolute deadline. Go has no signals to
// deliver to a goroutine, so the wait is instead exposed to a constant
// stream of unrelated events until its deadline — Target.Interrupt (a
// wake-up of every waiter on vmemu, SIGURG to the waiting thread on a real
// device), a SIGNAL of an unrelated syncobj and the signal of an unrelated
// sw_sync fence — none of which may end it early. It must end in -ETIME,
// at or after its deadline.
func testWaitInterrupted(t *testing.T, c *drm, a api, local uint32) {
	h := c.create(0)
	p := a.point()
	flags := drmWaitFlags(local)
	interrupted := func(phase string) {
		for _, interval := range interruptIntervals {
			unrelated := c.create(0)
			utl := c.newTimeline()
			var fences []int
			var fired atomic.Int64
			deadline := c.tg.Now() + shortTime
			for k := int64(1); k*interval < shortTime; k++ {
				fences = append(fences, utl.fence(uint32(k)))
				c.tg.After(k*interval, func() {
					fired.Add(1)
					c.tg.Interrupt()
					c.signal(unrelated)
					utl.inc(1)
				})
			}
			_, err := a.waitErr(c, []uint32{h}, []uint64{p}, deadline, flags)
			now := c.tg.Now()
			during := fired.Load()
			c.tg.Settle()
			what := fmt.Sprintf("%s wait under a %d ns event stream", phase, interval)
			expect(t, what, err, syscall.ETIME)
			if now < deadline-earlyTimeoutSlack() {
				t.Errorf("%s ended %d ns before its deadline", what, deadline-now)
			}
			if during == 0 {
				t.Errorf("%s: no event fired during the wait", what)
			}
			for _, fd := range fences {
				closeFD(t, fd)
			}
			utl.close()
			c.destroy(unrelated)
		}
	}
	if local&localForSubmit != 0 {
		interrupted("unsubmitted FOR_SUBMIT")
	}
	c.attachSWSync(h, p)
	interrupted("submitted")
	c.destroy(h)
}
