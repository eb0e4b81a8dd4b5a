package syncobj

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
)

// IGT syncobj_timeline examples (spec/uapi.md §4.4 P8). Where IGT passes
// its local flag constants straight to the ioctl, "WAIT_FOR_SUBMIT" is DRM
// WAIT_ALL and "WAIT_ALL" is DRM WAIT_FOR_SUBMIT; the DRM values are used
// here.

func TestTimelineP8HostSignalPoints(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	r := rand.New(rand.NewPCG(1, 2))
	var v uint64
	for range 100 {
		v += uint64(r.Int32())
		if err := e.tsignal([]uint32{h}, []uint64{v}); err != nil {
			t.Fatal(err)
		}
		if q := e.query(h); q != v {
			t.Fatalf("query = %d, want %d", q, v)
		}
		if _, err := e.twait([]uint32{h}, []uint64{v}, fAll, 0); err != nil {
			t.Fatalf("wait %d: %v", v, err)
		}
		if _, err := e.twait([]uint32{h}, []uint64{v - 1}, fSubmit, 0); err != nil {
			t.Fatalf("wait %d: %v", v-1, err)
		}
	}
}

func TestTimelineP8TransferTimelinePoint(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	e.attach(h, 1, tl.fence(1))
	if q := e.query(h); q != 0 {
		t.Fatalf("query = %d, want 0", q)
	}
	_, err := e.twait([]uint32{h}, []uint64{1}, fSubmit, 0)
	wantErr(t, "wait unsignaled", err, errno.ETIME)
	tl.inc(1)
	if q := e.query(h); q != 1 {
		t.Fatalf("query = %d, want 1", q)
	}
	if _, err := e.twait([]uint32{h}, []uint64{1}, fSubmit, 0); err != nil {
		t.Fatal(err)
	}
	e.tsignal([]uint32{h}, []uint64{2})
	if err := e.tab.Transfer(h, h, 2, 3, 0, 0); err != nil {
		t.Fatal(err)
	}
	if q := e.query(h); q != 3 {
		t.Fatalf("query = %d, want 3", q)
	}
}

func TestTimelineP8HostSignalOrdered(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	for i := uint64(1); i <= 5; i++ {
		e.attach(h, i, tl.fence(i))
	}
	tl.inc(3)
	if q := e.query(h); q != 3 {
		t.Fatalf("query = %d, want 3", q)
	}
	e.tsignal([]uint32{h}, []uint64{8})
	if q := e.query(h); q != 3 {
		t.Fatalf("query after signaling 8 = %d, want 3", q)
	}
	tl.inc(5)
	if q := e.query(h); q != 8 {
		t.Fatalf("query = %d, want 8", q)
	}
}

func TestTimelineP8DeviceSubmitUnordered(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	for i, p := range []uint64{1, 5, 3, 6, 7} {
		e.attach(h, p, tl.fence(uint64(i+1)))
	}
	tl.inc(3)
	if q := e.query(h); q != 5 {
		t.Fatalf("query = %d, want 5", q)
	}
	for _, flags := range []uint32{fAll, fSubmit} {
		if _, err := e.twait([]uint32{h}, []uint64{5}, flags, 0); err != nil {
			t.Fatalf("wait 5 flags %#x: %v", flags, err)
		}
	}
}

func TestTimelineP8DeviceSignalUnordered(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	pointIndices := []int{0, 2, 1, 4, 3}
	fences := make([]*fence.Fence, 5)
	for i, pi := range pointIndices {
		fences[pi] = tl.fence(uint64(i + 1))
	}
	for i, f := range fences {
		e.attach(h, uint64(i+1), f)
	}
	var sig [5]bool
	var value uint64
	for i := range fences {
		tl.inc(1)
		sig[pointIndices[i]] = true
		var minValue uint64
		for j := range sig {
			if !sig[j] {
				break
			}
			minValue = uint64(j)
		}
		q := e.query(h)
		if q < minValue || q < value {
			t.Fatalf("step %d: query = %d, want ≥ %d and ≥ %d", i, q, minValue, value)
		}
		value = max(q, value)
		for _, flags := range []uint32{fAll, fSubmit} {
			if _, err := e.twait([]uint32{h}, []uint64{q}, flags, 0); err != nil {
				t.Fatalf("step %d: wait %d: %v", i, q, err)
			}
		}
	}
}

// P7: points compare in 64 bits; QUERY stays monotonic across 2^31 while
// another goroutine keeps querying.
func TestTimelineP7P8ThirtyTwoBitsLimit(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	const limitDiff = 1<<31 - 1
	points := []uint64{1, 5, limitDiff + 5, limitDiff + 6, limitDiff * 2}
	stop := make(chan struct{})
	checked := make(chan error)
	go func() {
		var last uint64
		for {
			select {
			case <-stop:
				checked <- nil
				return
			default:
			}
			v, err := e.queryFlags(0, h)
			if err != nil {
				checked <- err
				return
			}
			if v[0] < last {
				checked <- errno.ERANGE
				return
			}
			last = v[0]
		}
	}()
	for i, p := range points {
		e.attach(h, p, tl.fence(uint64(i+1)))
	}
	var last uint64
	var got []uint64
	for range points {
		tl.inc(1)
		q := e.query(h)
		if q < last {
			t.Errorf("query went back from %d to %d", last, q)
		}
		last = q
		got = append(got, q)
	}
	close(stop)
	if err := <-checked; err != nil {
		t.Errorf("checker: %v", err)
	}
	if diff := cmp.Diff(points, got); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}

// P2: an out-of-order point gets a fresh context; QUERY stops there.
func TestTimelineP2OutOfOrder(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	s := New(e.d, 0, nil)
	defer s.Put()
	f1, f5, f3 := tl.fence(1), tl.fence(2), tl.fence(3)
	n1 := s.AddPoint(f1, 1)
	n5 := s.AddPoint(f5, 5)
	n3 := s.AddPoint(f3, 3)
	if n5.Fence().Context() != n1.Fence().Context() || n5.PrevSeqno() != 1 {
		t.Errorf("in-order node: ctx %d prev %d", n5.Fence().Context(), n5.PrevSeqno())
	}
	if n3.Fence().Context() == n5.Fence().Context() || n3.PrevSeqno() != 0 || n3.Fence().Seqno() != 5 {
		t.Errorf("out-of-order node: ctx %d prev %d seqno %d", n3.Fence().Context(), n3.PrevSeqno(), n3.Fence().Seqno())
	}
	tl.inc(2)
	if q := s.QueryPoint(false); q != 0 {
		t.Errorf("query = %d, want 0 while the unordered node is pending", q)
	}
	tl.inc(1)
	if q := s.QueryPoint(false); q != 5 {
		t.Errorf("query = %d, want 5", q)
	}
	if q := s.QueryPoint(true); q != 5 {
		t.Errorf("last submitted = %d, want 5", q)
	}
}

// P3 and P5: a point added over a binary fence keeps it as prev.
func TestTimelineP3P5OverBinaryFence(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	e.attach(h, 0, tl.fence(1))
	e.tsignal([]uint32{h}, []uint64{2})
	_, err := e.twait([]uint32{h}, []uint64{2}, 0, 0)
	wantErr(t, "wait 2 before the binary fence", err, errno.ETIME)
	tl.inc(1)
	_, err = e.twait([]uint32{h}, []uint64{2}, 0, 0)
	wantErr(t, "wait 2", err, nil)
}

// Go API: FindFence mirrors drm_syncobj_find_fence().
func TestFindFence(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	_, err := e.tab.FindFence(99, 0, 0)
	wantErr(t, "unknown", err, errno.ENOENT)
	_, err = e.tab.FindFence(h, 0, fAll)
	wantErr(t, "bad flags", err, errno.EINVAL)
	_, err = e.tab.FindFence(h, 0, 0)
	wantErr(t, "no fence", err, errno.EINVAL)
	before := e.clock.Now()
	_, err = e.tab.FindFence(h, 0, fSubmit)
	wantErr(t, "for submit", err, errno.ETIME)
	if e.clock.Now()-before != SubmitTimeout {
		t.Errorf("waited %d, want 5 s", e.clock.Now()-before)
	}

	s, err := e.tab.Lookup(h)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Put()
	f1, f2 := tl.fence(1), tl.fence(2)
	s.AddPoint(f1, 1)
	s.AddPoint(f2, 2)
	if got, _ := s.FindFence(0, 0, 0); got != s.Fence() {
		t.Error("point 0 is not the head")
	}
	got, _ := s.FindFence(1, 0, 0)
	if c := fence.ToChain(got); c == nil || c.Contained() != f1 {
		t.Errorf("point 1 = %v", got)
	}
	_, err = s.FindFence(3, 0, 0)
	wantErr(t, "unsubmitted", err, errno.EINVAL)
	// An explicit deadline; a point added meanwhile by an event.
	e.clock.After(ms, func() { s.AddPoint(e.d.Stub(), 3) })
	got, err = s.FindFence(3, fSubmit, e.clock.Now()+2*ms)
	if err != nil || fence.ToChain(got) == nil || got.Seqno() != 3 {
		t.Errorf("delayed point 3 = %v, %v", got, err)
	}
	// Signaled points collected by the walk give the stub (NULL → stub).
	tl.inc(2)
	s.AddPoint(e.d.Stub(), 4)
	if got, _ := s.FindFence(1, 0, 0); got != e.d.Stub() {
		t.Errorf("collected point 1 = %v, want the stub", got)
	}
}

// ReplaceFence with the same fence wakes nobody; any other replacement
// re-evaluates waiters.
func TestReplaceFenceSameFenceDoesNotWake(t *testing.T) {
	e := newEnv(t)
	s := New(e.d, 0, nil)
	defer s.Put()
	f := newSWTimeline(e.d).fence(1)
	s.ReplaceFence(f)
	w := &waitEntry{point: 1, wake: make(chan struct{}, 1)}
	s.addWait(w)
	s.ReplaceFence(f)
	select {
	case <-w.wake:
		t.Fatal("same-fence replacement woke a waiter")
	default:
	}
	if !w.linked {
		t.Fatal("waiter dropped")
	}
	s.ReplaceFence(nil)
	s.AddPoint(e.d.Stub(), 1)
	select {
	case <-w.wake:
	default:
		t.Fatal("add_point did not wake the waiter")
	}
	if w.fence.Load() == nil || w.linked {
		t.Fatal("waiter not satisfied")
	}
}

// Reference counting through fds: the object lives while any handle or fd
// refers to it.
func TestRefcountThroughFDs(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	s := e.obj(h)
	ev, evfd := e.newEventfd()
	e.tab.Eventfd(h, 0, 1, evfd, 0)
	fd, _ := e.tab.HandleToFD(h, 0, 0, 0)
	e.tab.Destroy(h, 0)
	if Live() != 1 || ev.sinkRefs() != 1 {
		t.Fatalf("freed while an fd refers to it (live %d)", Live())
	}
	e.fds.Close(int(fd))
	if Live() != 0 || ev.sinkRefs() != 0 {
		t.Fatalf("not freed after the last reference (live %d)", Live())
	}
	defer func() {
		if recover() == nil {
			t.Error("Put on a freed syncobj did not panic")
		}
	}()
	s.Put()
}

// Several goroutines issue ioctls on one file.
func TestConcurrentIoctls(t *testing.T) {
	e := newEnv(t)
	const workers, rounds = 8, 200
	done := make(chan error)
	for w := range workers {
		go func() {
			for i := range rounds {
				h, err := e.tab.Create(signaled)
				if err != nil {
					done <- err
					return
				}
				if err := e.tsignal([]uint32{h}, []uint64{uint64(i + 1)}); err != nil {
					done <- err
					return
				}
				if _, err := e.twait([]uint32{h}, []uint64{uint64(i + 1)}, 0, 0); err != nil {
					done <- err
					return
				}
				if err := e.tab.Destroy(h, 0); err != nil {
					done <- err
					return
				}
			}
			_ = w
			done <- nil
		}()
	}
	for range workers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if e.tab.Len() != 0 {
		t.Fatalf("%d handles left", e.tab.Len())
	}
}
