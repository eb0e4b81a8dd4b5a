package syncobj

import (
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// WaitArgs are the fields of struct drm_syncobj_wait and struct
// drm_syncobj_timeline_wait, plus a Go-only cancel channel.
type WaitArgs struct {
	// Handles is the user address of __u32[CountHandles].
	Handles uint64
	// Points is the user address of __u64[CountHandles] (TIMELINE_WAIT
	// only; 0 means every point is 0). WAIT ignores it: binary waits use
	// point 0.
	Points uint64
	// TimeoutNsec is the absolute deadline on the clock, s64: 0 or any
	// value not after now polls; INT64_MAX waits forever (spec/uapi.md
	// §4.2).
	TimeoutNsec  int64
	CountHandles uint32
	Flags        uint32
	// FirstSignaled is in/out: on success with CountHandles > 0 it is set
	// (W8); otherwise it keeps the value it had, as the kernel leaves the
	// field alone.
	FirstSignaled uint32
	// DeadlineNsec is passed as a deadline hint to every fence waited on,
	// with WAIT_DEADLINE (W10).
	DeadlineNsec uint64
	// Cancel, when closed, interrupts the wait with errno.ERESTARTSYS, the
	// Go stand-in for a signal arriving while the kernel sleeps (W12).
	// Polls (a timeout already passed) ignore it, as the kernel checks the
	// timeout first.
	Cancel <-chan struct{}
}

// Wait is DRM_IOCTL_SYNCOBJ_WAIT (drm_syncobj_wait_ioctl()).
//
// Errors: EOPNOTSUPP; EINVAL for flags other than WAIT_ALL,
// WAIT_FOR_SUBMIT and WAIT_DEADLINE (W1; pad is not checked, W3); count 0
// returns nil at once (W2); ENOMEM, EFAULT, ENOENT from the handle array;
// then as TimelineWait.
func (t *Table) Wait(io usermem.IO, a *WaitArgs) error {
	const possible = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
		uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
		uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE
	return t.arrayWait(io, a, DriverSyncobj, possible, false)
}

// TimelineWait is DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT
// (drm_syncobj_timeline_wait_ioctl()). It waits until every entry
// (WAIT_ALL) or any entry is satisfied: its point's fence has signaled
// (fence errors are ignored, W11), or with WAIT_AVAILABLE merely exists
// (W6). Each entry captures the fence its point resolves to when first
// found (W9).
//
// Errors: EOPNOTSUPP; EINVAL for flags outside WAIT_ALL, WAIT_FOR_SUBMIT,
// WAIT_AVAILABLE, WAIT_DEADLINE (W1); count 0 returns nil at once (W2);
// ENOMEM, EFAULT, ENOENT from the handle array; ENOMEM, EFAULT from the
// points; EINVAL if an entry has no fence or an unsubmitted point and
// neither WAIT_FOR_SUBMIT nor WAIT_AVAILABLE is set (W4); ETIME when the
// timeout passes, or at once for a poll (W5, W7); ERESTARTSYS when
// a.Cancel is closed.
func (t *Table) TimelineWait(io usermem.IO, a *WaitArgs) error {
	const possible = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
		uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
		uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE |
		uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE
	return t.arrayWait(io, a, timelineFeatures, possible, true)
}

// arrayWait is the common body of the two wait ioctls and of
// drm_syncobj_array_wait().
func (t *Table) arrayWait(io usermem.IO, a *WaitArgs, need Features, possible uint32, timeline bool) error {
	if err := t.check(need); err != nil {
		return err
	}
	if a.Flags&^possible != 0 {
		return errno.EINVAL
	}
	if a.CountHandles == 0 {
		return nil
	}
	objs, err := t.arrayFind(io, a.Handles, a.CountHandles)
	if err != nil {
		return err
	}
	defer putAll(objs)
	var hint *int64
	if a.Flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE != 0 {
		ns := int64(a.DeadlineNsec)
		hint = &ns
	}
	// drm_timeout_abs_to_jiffies(): 0 and anything not after now poll.
	now := t.d.Clock().Now()
	poll := a.TimeoutNsec == 0 || a.TimeoutNsec <= now
	var pointsAddr uint64
	if timeline {
		pointsAddr = a.Points
	}
	first, err := t.waitTimeout(io, objs, pointsAddr, a.Flags, a.TimeoutNsec, poll, hint, a.Cancel)
	if err != nil {
		return err
	}
	a.FirstSignaled = first
	return nil
}

// waitTimeout mirrors drm_syncobj_array_wait_timeout(). It returns the
// first_signaled index (0xFFFFFFFF when nothing was found satisfied in the
// initial scan and the wait was for all).
func (t *Table) waitTimeout(io usermem.IO, objs []*Syncobj, pointsAddr uint64, flags uint32,
	deadline int64, poll bool, hint *int64, cancel <-chan struct{}) (uint32, error) {
	const submitOrAvailable = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
		uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE
	all := flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL != 0
	available := flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE != 0
	count := uint32(len(objs))

	points, err := copyInPoints(io, pointsAddr, count)
	if err != nil {
		return 0, err
	}
	if err := kmallocArray(count, sizeofWaitEntry); err != nil {
		return 0, err
	}
	wake := make(chan struct{}, 1)
	entries := make([]waitEntry, count)

	// Resolve every entry up front so that a missing fence gives EINVAL
	// before anything waits.
	first := ^uint32(0)
	signaled := uint32(0)
	for i, s := range objs {
		e := &entries[i]
		e.point = points[i]
		e.wake = wake
		s.mu.Lock()
		f, ok := s.lookupLocked(e.point)
		s.mu.Unlock()
		if !ok {
			if flags&submitOrAvailable != 0 {
				continue
			}
			return 0, errno.EINVAL
		}
		e.fence.Store(f)
		if available || f.IsSignaled() {
			if signaled == 0 {
				first = uint32(i)
			}
			signaled++
		}
	}
	if signaled == count || (signaled > 0 && !all) {
		return first, nil
	}

	if flags&submitOrAvailable != 0 {
		for i, s := range objs {
			s.addWait(&entries[i])
		}
	}
	defer func() {
		for i, s := range objs {
			e := &entries[i]
			s.removeWait(e)
			if e.cb != nil {
				e.cbFence.RemoveCallback(e.cb)
			}
		}
	}()
	if hint != nil {
		for i := range entries {
			if f := entries[i].fence.Load(); f != nil {
				f.SetDeadline(*hint)
			}
		}
	}

	ready := func() bool {
		signaled := uint32(0)
		for i := range entries {
			e := &entries[i]
			f := e.fence.Load()
			if f == nil {
				continue
			}
			if available || f.IsSignaled() || (e.cb == nil && e.arm(f)) {
				if all {
					signaled++
				} else {
					first = uint32(i)
					return true
				}
			}
		}
		return signaled == count
	}
	if err := waitUntil(t.d.Clock(), deadline, poll, ready, wake, cancel); err != nil {
		return 0, err
	}
	return first, nil
}

// arm registers the wake-up callback on f, as the wait loop's
// dma_fence_add_callback() does. It reports true if f has already
// signaled (the kernel's -ENOENT).
func (e *waitEntry) arm(f *fence.Fence) bool {
	cb := f.AddCallback(func(*fence.Fence) { poke(e.wake) })
	if cb == nil {
		return true
	}
	e.cb, e.cbFence = cb, f
	return false
}
