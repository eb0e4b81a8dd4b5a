package conformance

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/uapi"
)

// IGT tests/syncobj_timeline.c: TIMELINE_WAIT (IGT's 40-byte struct),
// QUERY, TIMELINE_SIGNAL and TRANSFER.
//
// host-signal-points, device-signal-unordered, device-submit-unordered and
// transfer-timeline-point pass IGT's *local* flag constants straight to the
// ioctl, so what the C source calls WAIT_FOR_SUBMIT (local 1) reaches the
// kernel as DRM WAIT_ALL, and its WAIT_ALL (local 2) as DRM WAIT_FOR_SUBMIT.
// These tests send the same numbers, named for what the kernel sees.
const (
	igtLocalForSubmitAsDRM = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL        // IGT's WAIT_FOR_SUBMIT (1)
	igtLocalAllAsDRM       = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT // IGT's WAIT_ALL (2)
)

// timelineSetup sets up a subtest of syncobj_timeline (its fixture:
// has_syncobj_timeline_wait and igt_require_sw_sync).
func timelineSetup(t *testing.T) *drm {
	c, _ := setup(t)
	c.requireSyncobjTimeline()
	c.requireSwSync()
	return c
}

// truncatedAddr is what IGT puts in drm_syncobj_transfer's handles in the
// invalid-transfer tests: to_user_pointer(&handle), a user address, stored
// in a __u32 handle field. No handle exists in a fresh file, whatever the
// value.
func truncatedAddr(p *uint32) uint32 { return uint32(uintptr(unsafe.Pointer(p))) }

// importAt imports fence fd into h at point via a temporary binary syncobj
// and TRANSFER, as the ordered/unordered subtests do.
func (c *drm) importAt(h uint32, point uint64, fd int) {
	c.t.Helper()
	tmp := c.create(0)
	c.importSyncFile(tmp, fd)
	c.binaryToTimeline(h, point, tmp)
	c.destroy(tmp)
}

func syncobjTimelineSubtests() []subtest {
	a := timelineAPI
	shared := func(name string, f func(t *testing.T, c *drm)) subtest {
		return subtest{name, func(t *testing.T) { f(t, timelineSetup(t)) }}
	}
	const (
		query  = uapi.DRM_IOCTL_SYNCOBJ_QUERY
		signal = uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL
	)
	// oneIllegal is invalid-{query,signal}-one-illegal-handle: two syncobjs
	// signaled at point 1, then the ioctl on (valid, 0, valid) with a NULL
	// points array.
	oneIllegal := func(req uint32) func(t *testing.T, c *drm) {
		return func(t *testing.T, c *drm) {
			hs := []uint32{c.create(0), 0, c.create(0)}
			one := []uint64{1}
			c.timelineSignal(hs[0:1], one)
			c.timelineSignal(hs[2:3], one)
			expect(t, "wait on syncobj 0 at 1", c.timelineWaitErr(hs[0:1], one, 0, 0), nil)
			expect(t, "wait on syncobj 2 at 1", c.timelineWaitErr(hs[2:3], one, 0, 0), nil)
			expect(t, "ioctl on (valid, 0, valid)", c.timelineArrayErr(req, hs, nil, 3, 0), syscall.ENOENT)
			c.destroy(hs[0])
			c.destroy(hs[2])
		}
	}
	subs := []subtest{
		shared("invalid-wait-bad-flags", func(t *testing.T, c *drm) {
			w := &uapi.SyncobjTimelineWait_V1{Flags: 0xdeadbeef}
			expect(t, "TIMELINE_WAIT(flags 0xdeadbeef)", c.timelineWaitV1(w, nil, nil), syscall.EINVAL)
		}),
		shared("wait-zero-handles", func(t *testing.T, c *drm) {
			expect(t, "TIMELINE_WAIT(count 0)", c.timelineWaitV1(&uapi.SyncobjTimelineWait_V1{}, nil, nil), nil)
		}),
		shared("invalid-wait-illegal-handle", func(t *testing.T, c *drm) {
			expect(t, "TIMELINE_WAIT(handle 0)", c.timelineWaitErr([]uint32{0}, nil, 0, 0), syscall.ENOENT)
		}),
		shared("invalid-query-zero-handles", func(t *testing.T, c *drm) {
			expect(t, "QUERY(count 0)", c.timelineArrayErr(query, nil, nil, 0, 0), syscall.EINVAL)
		}),
		shared("invalid-query-illegal-handle", func(t *testing.T, c *drm) {
			expect(t, "QUERY(handle 0)", c.timelineArrayErr(query, []uint32{0}, nil, 1, 0), syscall.ENOENT)
		}),
		shared("invalid-query-one-illegal-handle", oneIllegal(query)),
		shared("invalid-query-bad-pad", func(t *testing.T, c *drm) {
			expect(t, "QUERY(flags 0xdeadbeef)", c.timelineArrayErr(query, []uint32{0}, nil, 1, 0xdeadbeef), syscall.EINVAL)
		}),
		shared("invalid-signal-zero-handles", func(t *testing.T, c *drm) {
			expect(t, "TIMELINE_SIGNAL(count 0)", c.timelineArrayErr(signal, nil, nil, 0, 0), syscall.EINVAL)
		}),
		shared("invalid-signal-illegal-handle", func(t *testing.T, c *drm) {
			expect(t, "TIMELINE_SIGNAL(handle 0)", c.timelineArrayErr(signal, []uint32{0}, nil, 1, 0), syscall.ENOENT)
		}),
		shared("invalid-signal-illegal-point", func(t *testing.T, c *drm) {
			// Handle 1 does not exist in a fresh file.
			expect(t, "TIMELINE_SIGNAL(handle 1 at 0)", c.timelineArrayErr(signal, []uint32{1}, []uint64{0}, 1, 0), syscall.ENOENT)
		}),
		shared("invalid-signal-one-illegal-handle", oneIllegal(signal)),
		shared("invalid-signal-bad-pad", func(t *testing.T, c *drm) {
			expect(t, "TIMELINE_SIGNAL(flags 0xdeadbeef)", c.timelineArrayErr(signal, []uint32{0}, nil, 1, 0xdeadbeef), syscall.EINVAL)
		}),
		shared("signal-array", func(t *testing.T, c *drm) {
			hs := []uint32{c.create(0), c.create(0), c.create(0), c.create(0)}
			points := []uint64{1, 1, 1, 0}
			c.timelineSignal(hs, points)
			expect(t, "TIMELINE_WAIT on the first three at 1", c.timelineWaitErr(hs[:3], points[:3], 0, 0), nil)
			expect(t, "WAIT on the fourth (signaled at 0)", c.waitErr(hs[3:], 0, 0), nil)
			for _, h := range hs {
				c.destroy(h)
			}
		}),
		shared("invalid-transfer-illegal-handle", func(t *testing.T, c *drm) {
			var handle uint32
			tr := &uapi.SyncobjTransfer{SrcHandle: truncatedAddr(&handle), DstHandle: truncatedAddr(&handle), SrcPoint: 1}
			expect(t, "TRANSFER(bogus handles)", c.transferErr(tr), syscall.ENOENT)
		}),
		shared("invalid-transfer-bad-pad", func(t *testing.T, c *drm) {
			var handle uint32
			tr := &uapi.SyncobjTransfer{SrcHandle: truncatedAddr(&handle), DstHandle: truncatedAddr(&handle), Pad: 0xdeadbeef}
			expect(t, "TRANSFER(pad 0xdeadbeef)", c.transferErr(tr), syscall.EINVAL)
		}),
		shared("invalid-transfer-non-existent-point", func(t *testing.T, c *drm) {
			// Despite the name, a success: point 63 is signaled, and
			// transferring it to 74 of the same syncobj works.
			h := c.create(0)
			c.timelineSignal([]uint32{h}, []uint64{63})
			tr := &uapi.SyncobjTransfer{SrcHandle: h, DstHandle: h, SrcPoint: 63, DstPoint: 74}
			expect(t, "TRANSFER(63 → 74)", c.transferErr(tr), nil)
			c.destroy(h)
		}),
		shared("transfer-timeline-point", func(t *testing.T, c *drm) {
			tl := c.newTimeline()
			h := c.create(0)
			fd := tl.fence(1)
			c.importAt(h, 1, fd)
			closeFD(t, fd)
			if v := c.query1(h); v != 0 {
				t.Errorf("QUERY with point 1 unsignaled = %d, want 0", v)
			}
			one := []uint64{1}
			expect(t, "poll point 1 (unsignaled)", c.timelineWaitErr([]uint32{h}, one, 0, igtLocalAllAsDRM), syscall.ETIME)
			tl.inc(1)
			if v := c.query1(h); v != 1 {
				t.Errorf("QUERY after the signal = %d, want 1", v)
			}
			if ok, _ := c.timelineWait([]uint32{h}, one, 0, igtLocalAllAsDRM); !ok {
				t.Error("wait for point 1 after the signal timed out")
			}
			c.timelineSignal([]uint32{h}, []uint64{2})
			c.transfer(h, 3, h, 2, 0)
			if v := c.query1(h); v != 3 {
				t.Errorf("QUERY after TRANSFER 2 → 3 = %d, want 3", v)
			}
			c.destroy(h)
		}),
	}
	subs = append(subs, timelineMatrix.subtests(false, timelineSetup)...)
	subs = append(subs,
		shared("wait-delayed-signal", func(t *testing.T, c *drm) { testWaitDelayedSignal(t, c, a, 0) }),
		shared("wait-for-submit-delayed-submit", func(t *testing.T, c *drm) { testWaitDelayedSignal(t, c, a, localForSubmit) }),
		shared("wait-all-delayed-signal", func(t *testing.T, c *drm) { testWaitDelayedSignal(t, c, a, localAll) }),
		shared("wait-all-for-submit-delayed-submit", func(t *testing.T, c *drm) {
			testWaitDelayedSignal(t, c, a, localAll|localForSubmit)
		}),
		shared("reset-unsignaled", func(t *testing.T, c *drm) { testResetUnsignaled(t, c, a) }),
		shared("reset-signaled", func(t *testing.T, c *drm) { testResetSignaled(t, c, a) }),
		shared("reset-multiple-signaled", func(t *testing.T, c *drm) { testResetMultipleSignaled(t, c, a) }),
		shared("reset-during-wait-for-submit", func(t *testing.T, c *drm) { testResetDuringWaitForSubmit(t, c, a) }),
		shared("signal", func(t *testing.T, c *drm) {
			h := c.create(0)
			hs, one := []uint32{h}, []uint64{1}
			fs := uint32(uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
			expect(t, "wait at 1, no fence", c.timelineWaitErr(hs, one, 0, 0), syscall.EINVAL)
			expect(t, "FOR_SUBMIT poll at 1, no fence", c.timelineWaitErr(hs, one, 0, fs), syscall.ETIME)
			c.timelineSignal(hs, one)
			if ok, _ := c.timelineWait(hs, one, 0, 0); !ok {
				t.Error("wait at 1 after TIMELINE_SIGNAL timed out")
			}
			if ok, _ := c.timelineWait(hs, one, 0, fs); !ok {
				t.Error("FOR_SUBMIT wait at 1 after TIMELINE_SIGNAL timed out")
			}
			c.destroy(h)
		}),
		shared("signal-point-0", func(t *testing.T, c *drm) {
			h := c.create(0)
			hs, zero := []uint32{h}, []uint64{0}
			c.timelineSignal(hs, zero)
			if ok, _ := c.timelineWait(hs, zero, 0, 0); !ok {
				t.Error("TIMELINE_WAIT at 0 after signaling point 0 timed out")
			}
			if ok, _ := c.wait(hs, 0, uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT); !ok {
				t.Error("binary WAIT after signaling point 0 timed out")
			}
			c.destroy(h)
		}),
	)
	subs = append(subs, timelineMatrix.subtests(true, timelineSetup)...)
	for _, v := range []struct {
		name  string
		local uint32
	}{{"any", 0}, {"all", localAll}, {"for-submit", localForSubmit}, {"all-for-submit", localAll | localForSubmit}} {
		subs = append(subs, shared("wait-"+v.name+"-snapshot", func(t *testing.T, c *drm) { testWaitSnapshot(t, c, a, v.local) }))
	}
	for _, v := range []struct {
		name  string
		local uint32
	}{{"any", 0}, {"all", localAll}, {"for-submit", localForSubmit}, {"all-for-submit", localAll | localForSubmit}} {
		subs = append(subs, shared("wait-"+v.name+"-complex", func(t *testing.T, c *drm) { testWaitComplex(t, c, a, v.local) }))
	}
	subs = append(subs,
		shared("wait-any-interrupted", func(t *testing.T, c *drm) { testWaitInterrupted(t, c, a, 0) }),
		shared("wait-all-interrupted", func(t *testing.T, c *drm) { testWaitInterrupted(t, c, a, localAll) }),
		shared("host-signal-points", testHostSignalPoints),
		shared("device-signal-unordered", testDeviceSignalUnordered),
		shared("device-submit-unordered", testDeviceSubmitUnordered),
		shared("host-signal-ordered", testHostSignalOrdered),
		shared("32bits-limit", test32BitsLimit),
	)
	return subs
}

func TestSyncobjTimeline(t *testing.T) { runSubtests(t, syncobjTimelineSubtests()) }

// testHostSignalPoints: host-signal-points. 100 times: signal a point
// rand() above the last from the host; QUERY returns it; the point and the
// one below it are both reached (timeout 0).
func testHostSignalPoints(t *testing.T, c *drm) {
	h := c.create(0)
	hs := []uint32{h}
	rng := rand.New(rand.NewPCG(1, 2))
	var value uint64
	for i := range 100 {
		value += uint64(rng.Int32()) // rand(): [0, RAND_MAX = 2^31-1]
		c.timelineSignal(hs, []uint64{value})
		q := c.query1(h)
		if q != value {
			t.Fatalf("iteration %d: QUERY = %d, want %d", i, q, value)
		}
		if ok, _ := c.timelineWait(hs, []uint64{q}, 0, igtLocalForSubmitAsDRM); !ok {
			t.Fatalf("iteration %d: wait for point %d timed out", i, q)
		}
		if ok, _ := c.timelineWait(hs, []uint64{q - 1}, 0, igtLocalAllAsDRM); !ok {
			t.Fatalf("iteration %d: wait for point %d timed out", i, q-1)
		}
	}
	c.destroy(h)
}

// testDeviceSignalUnordered: device-signal-unordered. Points 1–5 are
// backed by fences of one sw_sync timeline in the order {1, 3, 2, 5, 4}, so
// the timeline signals them out of order: QUERY never decreases, is at
// least IGT's lower bound, and the point it returns is reached.
func testDeviceSignalUnordered(t *testing.T, c *drm) {
	h := c.create(0)
	hs := []uint32{h}
	pointIndices := []int{0, 2, 1, 4, 3}
	signaled := make([]bool, len(pointIndices))
	fences := make([]int, len(pointIndices))
	tl := c.newTimeline()
	for i, idx := range pointIndices {
		fences[idx] = tl.fence(uint32(i + 1))
	}
	for i, fd := range fences {
		c.importAt(h, uint64(i+1), fd)
	}
	var value uint64
	for i, idx := range pointIndices {
		tl.inc(1)
		signaled[idx] = true
		// IGT's lower bound: the index of the last of the leading signaled
		// points.
		var minValue uint64
		for j, s := range signaled {
			if !s {
				break
			}
			minValue = uint64(j)
		}
		q := c.query1(h)
		if q < minValue || q < value {
			t.Errorf("step %d (signal point %d): QUERY = %d, want ≥ %d and ≥ %d", i, idx+1, q, minValue, value)
		}
		value = max(value, q)
		if ok, _ := c.timelineWait(hs, []uint64{q}, 0, igtLocalForSubmitAsDRM); !ok {
			t.Errorf("step %d: wait for point %d timed out", i, q)
		}
		if ok, _ := c.timelineWait(hs, []uint64{q}, 0, igtLocalAllAsDRM); !ok {
			t.Errorf("step %d: wait for point %d timed out", i, q)
		}
	}
	for _, fd := range fences {
		closeFD(t, fd)
	}
	c.destroy(h)
}

// testDeviceSubmitUnordered: device-submit-unordered. Points added in the
// order 1, 5, 3, 6, 7 with fences 1–5 of one timeline; after the first
// three signal, QUERY is 5 and point 5 is reached.
func testDeviceSubmitUnordered(t *testing.T, c *drm) {
	h := c.create(0)
	hs := []uint32{h}
	tl := c.newTimeline()
	for i, p := range []uint64{1, 5, 3, 6, 7} {
		fd := tl.fence(uint32(i + 1))
		c.importAt(h, p, fd)
		closeFD(t, fd)
	}
	tl.inc(3)
	q := c.query1(h)
	if q != 5 {
		t.Errorf("QUERY after points 1, 5, 3 signaled = %d, want 5", q)
	}
	if ok, _ := c.timelineWait(hs, []uint64{q}, 0, igtLocalForSubmitAsDRM); !ok {
		t.Errorf("wait for point %d timed out", q)
	}
	if ok, _ := c.timelineWait(hs, []uint64{q}, 0, igtLocalAllAsDRM); !ok {
		t.Errorf("wait for point %d timed out", q)
	}
	c.destroy(h)
}

// testHostSignalOrdered: host-signal-ordered. Points 1–5 backed by fences
// 1–5; three signal → QUERY 3; a host signal of point 8 does not move
// QUERY past the unsignaled points; the rest signal → QUERY 8.
func testHostSignalOrdered(t *testing.T, c *drm) {
	h := c.create(0)
	tl := c.newTimeline()
	for i := range 5 {
		fd := tl.fence(uint32(i + 1))
		c.importAt(h, uint64(i+1), fd)
		closeFD(t, fd)
	}
	tl.inc(3)
	if q := c.query1(h); q != 3 {
		t.Errorf("QUERY after points 1–3 signaled = %d, want 3", q)
	}
	c.timelineSignal([]uint32{h}, []uint64{8})
	if q := c.query1(h); q != 3 {
		t.Errorf("QUERY after the host signaled 8 = %d, want 3", q)
	}
	tl.inc(5)
	if q := c.query1(h); q != 8 {
		t.Errorf("QUERY after every fence signaled = %d, want 8", q)
	}
	c.destroy(h)
}

// test32BitsLimit: 32bits-limit. Points on both sides of 2^31 (and up to
// 2^32-2) are added and signaled in order while another goroutine QUERYs
// the syncobj in a loop: neither ever sees the value decrease.
func test32BitsLimit(t *testing.T, c *drm) {
	h := c.create(0)
	var running atomic.Bool
	running.Store(true)
	started := make(chan struct{})
	var wg sync.WaitGroup
	// The checker's QUERYs are not recorded: how many it gets in depends
	// on timing. What it checks is the test's verdict.
	checker := &drm{t: c.t, tg: c.tg, ioctl: unwrap(c.tg).Ioctl}
	wg.Go(func() {
		var last uint64
		first := true
		for running.Load() {
			v := checker.query1(h)
			if first {
				close(started)
				first = false
			}
			if v < last {
				t.Errorf("checker: QUERY went from %d to %d", last, v)
				return
			}
			last = v
		}
		if first {
			close(started)
		}
	})
	<-started

	tl := c.newTimeline()
	const limitDiff = uint64(1)<<31 - 1
	points := []uint64{1, 5, limitDiff + 5, limitDiff + 6, limitDiff * 2}
	for i, p := range points {
		fd := tl.fence(uint32(i + 1))
		c.importAt(h, p, fd)
		closeFD(t, fd)
	}
	var last uint64
	for i := range points {
		tl.inc(1)
		v := c.query1(h)
		if v < last {
			t.Errorf("after signaling point %d: QUERY went from %d to %d", points[i], last, v)
		}
		last = v
	}
	running.Store(false)
	wg.Wait()
	c.destroy(h)
}
