package syncobj

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
)

// SubmitTimeout is DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT: how long
// drm_syncobj_find_fence() waits, with WAIT_FOR_SUBMIT, for a fence to be
// attached (spec/uapi.md §4.2).
const SubmitTimeout int64 = 5_000_000_000

// live counts Syncobjs not yet freed, for leak checks.
var live atomic.Int64

// Live returns the number of Syncobjs created and not yet freed (whose last
// reference has not been put). Tests use it to detect leaked references.
func Live() int64 { return live.Load() }

// Syncobj is struct drm_syncobj: a refcounted container holding at most one
// fence, possibly nil. Binary use treats the fence as the payload; timeline
// use treats it as the head of a chain of fence.Chain nodes. Nothing records
// which use an object is for (spec/uapi.md §4.1).
//
// A Syncobj is safe for concurrent use.
type Syncobj struct {
	d    *fence.Domain
	refs atomic.Int64

	mu sync.Mutex
	// fence is the payload or timeline head, nil when unsignaled. Protected
	// by mu.
	fence *fence.Fence
	// waiters is cb_list: waits still looking for a fence at their point.
	// Protected by mu.
	waiters []*waitEntry
	// eventfds is ev_fd_list: eventfd registrations whose point has not
	// been submitted yet. Protected by mu.
	eventfds []*eventfdEntry
}

// New returns a Syncobj with one reference. It mirrors drm_syncobj_create():
// with uapi.DRM_SYNCOBJ_CREATE_SIGNALED it starts with a signaled private
// stub stamped with the clock's time; then, if f is not nil, f replaces the
// fence. Other flag bits are ignored (the ioctl validates them).
func New(d *fence.Domain, flags uint32, f *fence.Fence) *Syncobj {
	s := &Syncobj{d: d}
	s.refs.Store(1)
	live.Add(1)
	if flags&uapi.DRM_SYNCOBJ_CREATE_SIGNALED != 0 {
		s.assignNullHandle()
	}
	if f != nil {
		s.ReplaceFence(f)
	}
	return s
}

// Domain returns the fence domain the object makes stubs and chains in.
func (s *Syncobj) Domain() *fence.Domain { return s.d }

// Get takes a reference (drm_syncobj_get()).
func (s *Syncobj) Get() {
	if s.refs.Add(1) <= 1 {
		panic("syncobj: Get on a freed Syncobj")
	}
}

// Put drops a reference (drm_syncobj_put()). Dropping the last one frees the
// object as drm_syncobj_free() does: the fence is replaced by nil (waking
// nothing, as no waiter can hold a freed object) and eventfd registrations
// whose point was never submitted are dropped without firing, closing their
// sinks. Registrations already armed on a fence stay until it signals.
func (s *Syncobj) Put() {
	n := s.refs.Add(-1)
	switch {
	case n > 0:
		return
	case n < 0:
		panic("syncobj: Put on a freed Syncobj")
	}
	s.ReplaceFence(nil)
	s.mu.Lock()
	evs := s.eventfds
	s.eventfds = nil
	s.mu.Unlock()
	for _, e := range evs {
		e.sink.Close()
	}
	live.Add(-1)
}

// Fence returns the current fence, or nil (drm_syncobj_fence_get()).
func (s *Syncobj) Fence() *fence.Fence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fence
}

// ReplaceFence sets the fence to f, which may be nil (a reset). It mirrors
// drm_syncobj_replace_fence(): when f differs from the current fence, every
// pending WAIT_FOR_SUBMIT/WAIT_AVAILABLE waiter and eventfd registration is
// re-evaluated; replacing a fence with itself wakes nothing.
func (s *Syncobj) ReplaceFence(f *fence.Fence) {
	s.mu.Lock()
	old := s.fence
	s.fence = f
	if f != old {
		s.updatedLocked()
	}
	s.mu.Unlock()
}

// AddPoint adds f as timeline point point and returns the new chain node.
// It mirrors drm_syncobj_add_point(): the node is built by fence.NewChain on
// top of the current fence (spec/uapi.md §4.4 P1–P3; a point not above the
// head is allowed, the kernel only logs it), becomes the fence, and every
// pending waiter and eventfd registration is re-evaluated. The old chain is
// then walked once to collect signaled nodes.
func (s *Syncobj) AddPoint(f *fence.Fence, point uint64) *fence.Chain {
	s.mu.Lock()
	prev := s.fence
	c := s.d.NewChain(prev, f, point)
	s.fence = c.Fence()
	s.updatedLocked()
	s.mu.Unlock()
	fence.ForEach(prev, func(*fence.Fence) bool { return true })
	return c
}

// assignNullHandle mirrors drm_syncobj_assign_null_handle(): a new signaled
// private stub stamped with the current time replaces the fence.
func (s *Syncobj) assignNullHandle() {
	s.ReplaceFence(s.d.PrivateStub(s.clock().Now()))
}

func (s *Syncobj) clock() *sim.Clock { return s.d.Clock() }

// lookupLocked resolves point against the current fence as
// dma_fence_chain_find_seqno() does. ok is false when there is no fence or
// the point is not submitted yet. A point already signaled and collected
// resolves to the domain's stub.
//
// Preconditions: s.mu held.
func (s *Syncobj) lookupLocked(point uint64) (f *fence.Fence, ok bool) {
	if s.fence == nil {
		return nil, false
	}
	f, err := fence.FindSeqno(s.fence, point)
	if err != nil {
		return nil, false
	}
	if f == nil {
		f = s.d.Stub()
	}
	return f, true
}

// updatedLocked re-evaluates waiters and eventfd registrations after the
// fence changed: the loops of drm_syncobj_replace_fence() over cb_list
// (syncobj_wait_syncobj_func()) and ev_fd_list
// (syncobj_eventfd_entry_func()).
//
// Preconditions: s.mu held.
func (s *Syncobj) updatedLocked() {
	if len(s.waiters) > 0 {
		kept := s.waiters[:0]
		for _, w := range s.waiters {
			if f, ok := s.lookupLocked(w.point); ok {
				w.fence.Store(f)
				w.linked = false
				poke(w.wake)
				continue
			}
			kept = append(kept, w)
		}
		clear(s.waiters[len(kept):])
		s.waiters = kept
	}
	if len(s.eventfds) > 0 {
		kept := s.eventfds[:0]
		for _, e := range s.eventfds {
			if !s.eventfdCheckLocked(e) {
				kept = append(kept, e)
			}
		}
		clear(s.eventfds[len(kept):])
		s.eventfds = kept
	}
}

// FindFence returns the fence at point, mirroring drm_syncobj_find_fence()
// after its handle lookup:
//
//   - flags other than uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT:
//     errno.EINVAL;
//   - the point resolves (spec/uapi.md §4.4 P4): that fence, the domain's
//     signaled stub for a point already collected, the head for point 0;
//   - no fence or the point not submitted: errno.EINVAL, or with
//     WAIT_FOR_SUBMIT wait for it until deadline, then errno.ETIME.
//
// deadline is an absolute clock time; 0 selects the kernel's
// SubmitTimeout from now. It is only used with WAIT_FOR_SUBMIT.
func (s *Syncobj) FindFence(point uint64, flags uint32, deadline int64) (*fence.Fence, error) {
	return s.findFence(point, flags, deadline, nil)
}

func (s *Syncobj) findFence(point uint64, flags uint32, deadline int64, cancel <-chan struct{}) (*fence.Fence, error) {
	if flags&^uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT != 0 {
		return nil, errno.EINVAL
	}
	s.mu.Lock()
	f, ok := s.lookupLocked(point)
	s.mu.Unlock()
	if ok {
		return f, nil
	}
	if flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT == 0 {
		return nil, errno.EINVAL
	}
	clock := s.clock()
	if deadline == 0 {
		deadline = saturatingAdd(clock.Now(), SubmitTimeout)
	}
	w := &waitEntry{point: point, wake: make(chan struct{}, 1)}
	s.addWait(w)
	defer s.removeWait(w)
	err := waitUntil(clock, deadline, deadline <= clock.Now(), func() bool {
		return w.fence.Load() != nil
	}, w.wake, cancel)
	if err != nil {
		return nil, err
	}
	return w.fence.Load(), nil
}

// waitEntry is struct syncobj_wait_entry: one syncobj of a wait.
type waitEntry struct {
	point uint64
	// fence is the snapshot the entry waits on (spec/uapi.md §4.3 W9): set
	// once, by the waiter's initial lookup or by the syncobj when a fence
	// for point is attached.
	fence atomic.Pointer[fence.Fence]
	// wake is poked when fence is set or signals.
	wake chan struct{}
	// linked reports whether the entry is on the syncobj's waiters.
	// Protected by the syncobj's mu.
	linked bool
	// cb is the fence callback armed by the wait loop, on cbFence. Owned by
	// the waiting goroutine.
	cb      *fence.Callback
	cbFence *fence.Fence
}

// addWait mirrors drm_syncobj_fence_add_wait(): unless the entry already
// has a fence, look again under the lock and either take the fence or queue
// the entry on the waiters.
func (s *Syncobj) addWait(w *waitEntry) {
	if w.fence.Load() != nil {
		return
	}
	s.mu.Lock()
	if f, ok := s.lookupLocked(w.point); ok {
		w.fence.Store(f)
	} else {
		s.waiters = append(s.waiters, w)
		w.linked = true
	}
	s.mu.Unlock()
}

// removeWait mirrors drm_syncobj_remove_wait().
func (s *Syncobj) removeWait(w *waitEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !w.linked {
		return
	}
	for i, x := range s.waiters {
		if x == w {
			s.waiters = slices.Delete(s.waiters, i, i+1)
			break
		}
	}
	w.linked = false
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func saturatingAdd(a, b int64) int64 {
	if b > 0 && a > sim.Forever-b {
		return sim.Forever
	}
	return a + b
}

// waitUntil blocks on the clock until ready reports true, the deadline
// passes or cancel is closed, mirroring the schedule_timeout() loops of
// drm_syncobj.c: ready first, then an expired timeout (errno.ETIME), then a
// pending signal (errno.ERESTARTSYS). poll evaluates ready once without
// touching the clock (a timeout that has already passed: the kernel's 0
// jiffies).
func waitUntil(clock *sim.Clock, deadline int64, poll bool, ready func() bool, wake chan struct{}, cancel <-chan struct{}) error {
	if poll {
		if ready() {
			return nil
		}
		return errno.ETIME
	}
	satisfied, canceled := false, false
	cond := func() bool {
		if ready() {
			satisfied = true
			return true
		}
		select {
		case <-cancel:
			canceled = true
			return true
		default:
			return false
		}
	}
	if cancel != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-cancel:
				poke(wake)
			case <-done:
			}
		}()
	}
	clock.Wait(deadline, cond, wake)
	switch {
	case satisfied:
		return nil
	case canceled:
		return errno.ERESTARTSYS
	}
	return errno.ETIME
}
