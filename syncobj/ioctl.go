package syncobj

import (
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/syncfile"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// The ioctl handlers. Each mirrors drm_syncobj_<name>_ioctl() in
// drivers/gpu/drm/drm_syncobj.c and makes the kernel's checks in the
// kernel's order (spec/uapi.md §4.3); the first failing check's errno is
// returned. Every handler is safe for concurrent use.

// check mirrors drm_core_check_feature().
func (t *Table) check(need Features) error {
	if t.features&need != need {
		return errno.EOPNOTSUPP
	}
	return nil
}

// timelineFeatures is what the timeline ioctls check: only
// DRIVER_SYNCOBJ_TIMELINE, not DRIVER_SYNCOBJ as well (S1).
const timelineFeatures = DriverSyncobjTimeline

// Create is DRM_IOCTL_SYNCOBJ_CREATE (drm_syncobj_create_ioctl()). It
// returns the new handle.
//
// Errors: EOPNOTSUPP; EINVAL for flags other than CREATE_SIGNALED (C1);
// EBUSY when the handle space is full.
func (t *Table) Create(flags uint32) (uint32, error) {
	if err := t.check(DriverSyncobj); err != nil {
		return 0, err
	}
	if flags&^uapi.DRM_SYNCOBJ_CREATE_SIGNALED != 0 {
		return 0, errno.EINVAL
	}
	s := New(t.d, flags, nil)
	defer s.Put()
	return t.Install(s)
}

// Destroy is DRM_IOCTL_SYNCOBJ_DESTROY (drm_syncobj_destroy_ioctl()).
//
// Errors: EOPNOTSUPP; EINVAL for pad ≠ 0 (D1); EINVAL, not ENOENT, for an
// unknown handle (D2).
func (t *Table) Destroy(handle, pad uint32) error {
	if err := t.check(DriverSyncobj); err != nil {
		return err
	}
	if pad != 0 {
		return errno.EINVAL
	}
	s, ok := t.remove(handle)
	if !ok {
		return errno.EINVAL
	}
	s.Put()
	return nil
}

// HandleToFD is DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD
// (drm_syncobj_handle_to_fd_ioctl()). It returns the new fd: a file for the
// syncobj itself, or with EXPORT_SYNC_FILE a *SyncFile holding the fence at
// point (point is used only with the TIMELINE flag).
//
// Errors: EOPNOTSUPP; EINVAL for pad (H1), then for unknown flags (H2).
// With EXPORT_SYNC_FILE (H4): ENOENT for an unknown handle, EINVAL for no
// fence or an unsubmitted point. Without (H3): EINVAL for point ≠ 0, then
// EINVAL for an unknown handle. Errors from FDs.Install pass through.
//
// The kernel reserves the fd number before the export lookup, so with a
// full fd table it fails with EMFILE before ENOENT/EINVAL; vmemu installs
// after the lookup, so there the lookup's errno wins.
func (t *Table) HandleToFD(handle, flags, pad uint32, point uint64) (int32, error) {
	if err := t.check(DriverSyncobj); err != nil {
		return 0, err
	}
	if pad != 0 {
		return 0, errno.EINVAL
	}
	const valid = uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE |
		uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE
	if flags&^valid != 0 {
		return 0, errno.EINVAL
	}
	var p uint64
	if flags&uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE != 0 {
		p = point
	}
	if flags&uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE != 0 {
		return t.exportSyncFile(handle, p)
	}
	if point != 0 {
		return 0, errno.EINVAL
	}
	s, err := t.Lookup(handle)
	if err != nil {
		return 0, errno.EINVAL
	}
	defer s.Put()
	return t.getFD(s)
}

// getFD mirrors drm_syncobj_get_fd(): a new file holding a reference.
func (t *Table) getFD(s *Syncobj) (int32, error) {
	if t.fds == nil {
		return 0, errno.Internalf("syncobj handle to fd", "table has no FDs")
	}
	s.Get()
	fd, err := t.fds.Install(s, s.Put)
	if err != nil {
		s.Put()
		return 0, err
	}
	return int32(fd), nil
}

// exportSyncFile mirrors drm_syncobj_export_sync_file().
func (t *Table) exportSyncFile(handle uint32, point uint64) (int32, error) {
	if t.fds == nil {
		return 0, errno.Internalf("syncobj export sync file", "table has no FDs")
	}
	f, err := t.FindFence(handle, point, 0)
	if err != nil {
		return 0, err
	}
	fd, err := t.fds.Install(syncfile.New(f), func() {})
	if err != nil {
		return 0, err
	}
	return int32(fd), nil
}

// FDToHandle is DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE
// (drm_syncobj_fd_to_handle_ioctl()). Without IMPORT_SYNC_FILE it gives the
// syncobj file fd a new handle and returns it (never deduplicated). With
// IMPORT_SYNC_FILE it moves the fence of sync_file fd into the existing
// syncobj handle, as timeline point point if the TIMELINE flag is set and
// point ≠ 0, else replacing its fence, and returns handle unchanged.
//
// Errors: EOPNOTSUPP; EINVAL for pad, then for unknown flags (F1). Import
// (F3): EINVAL if fd is not a sync_file (checked first), then ENOENT for an
// unknown handle. Plain (F2): EINVAL for point ≠ 0, EINVAL if fd is not a
// syncobj file; EBUSY if the handle space is full.
func (t *Table) FDToHandle(handle, flags uint32, fd int32, pad uint32, point uint64) (uint32, error) {
	if err := t.check(DriverSyncobj); err != nil {
		return 0, err
	}
	if pad != 0 {
		return 0, errno.EINVAL
	}
	const valid = uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE |
		uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE
	if flags&^valid != 0 {
		return 0, errno.EINVAL
	}
	var p uint64
	if flags&uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE != 0 {
		p = point
	}
	if flags&uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE != 0 {
		return handle, t.importSyncFile(fd, handle, p)
	}
	if point != 0 {
		return 0, errno.EINVAL
	}
	if t.fds == nil {
		return 0, errno.Internalf("syncobj fd to handle", "table has no FDs")
	}
	obj, ok := t.fds.Lookup(int(fd))
	if !ok {
		return 0, errno.EINVAL
	}
	s, ok := obj.(*Syncobj)
	if !ok {
		return 0, errno.EINVAL
	}
	return t.Install(s)
}

// importSyncFile mirrors drm_syncobj_import_sync_file_fence(). The fence is
// added as is: unlike TRANSFER, the kernel does not flatten it.
func (t *Table) importSyncFile(fd int32, handle uint32, point uint64) error {
	if t.fds == nil {
		return errno.Internalf("syncobj import sync file", "table has no FDs")
	}
	f := syncFileGetFence(t.fds, fd)
	if f == nil {
		return errno.EINVAL
	}
	s, err := t.Lookup(handle)
	if err != nil {
		return err
	}
	defer s.Put()
	if point != 0 {
		s.AddPoint(f, point)
	} else {
		s.ReplaceFence(f)
	}
	return nil
}

// syncFileGetFence mirrors sync_file_get_fence(): the fence of sync_file
// fd, or nil if fd is not open or not a sync_file.
func syncFileGetFence(fds FDs, fd int32) *fence.Fence {
	obj, ok := fds.Lookup(int(fd))
	if !ok {
		return nil
	}
	ff, ok := obj.(FenceFile)
	if !ok {
		return nil
	}
	return ff.SyncFileFence()
}

// Transfer is DRM_IOCTL_SYNCOBJ_TRANSFER (drm_syncobj_transfer_ioctl()):
// the fence at (src, srcPoint) goes to dst, as timeline point dstPoint
// after flattening (fence.Domain.Merge) when dstPoint ≠ 0, else replacing
// dst's fence (T5).
//
// Errors: EOPNOTSUPP; EINVAL for pad (T1); ENOENT for dst, then for src
// (T2); EINVAL for flags other than WAIT_FOR_SUBMIT, checked only after both
// lookups (T3); EINVAL for no fence or an unsubmitted point, or with
// WAIT_FOR_SUBMIT ETIME after 5 s (T4).
func (t *Table) Transfer(srcHandle, dstHandle uint32, srcPoint, dstPoint uint64, flags, pad uint32) error {
	if err := t.check(timelineFeatures); err != nil {
		return err
	}
	if pad != 0 {
		return errno.EINVAL
	}
	dst, err := t.Lookup(dstHandle)
	if err != nil {
		return err
	}
	defer dst.Put()
	f, err := t.FindFence(srcHandle, srcPoint, flags)
	if err != nil {
		return err
	}
	if dstPoint != 0 {
		// drm_syncobj_transfer_to_timeline()
		dst.AddPoint(t.d.Merge(f), dstPoint)
	} else {
		// drm_syncobj_transfer_to_binary()
		dst.ReplaceFence(f)
	}
	return nil
}

// Reset is DRM_IOCTL_SYNCOBJ_RESET (drm_syncobj_reset_ioctl()): every
// syncobj's fence becomes nil, timelines included (R3).
//
// Errors: EOPNOTSUPP; EINVAL for pad, then for count 0 (R1); ENOMEM,
// EFAULT, ENOENT from the handle array, with nothing modified (R2).
func (t *Table) Reset(io usermem.IO, handles uint64, countHandles, pad uint32) error {
	objs, err := t.arrayArgs(io, handles, countHandles, pad)
	if err != nil {
		return err
	}
	defer putAll(objs)
	for _, s := range objs {
		s.ReplaceFence(nil)
	}
	return nil
}

// Signal is DRM_IOCTL_SYNCOBJ_SIGNAL (drm_syncobj_signal_ioctl()): every
// syncobj's fence is replaced by a new signaled private stub stamped with
// the clock's time, timelines included (R4).
//
// Errors: as Reset.
func (t *Table) Signal(io usermem.IO, handles uint64, countHandles, pad uint32) error {
	objs, err := t.arrayArgs(io, handles, countHandles, pad)
	if err != nil {
		return err
	}
	defer putAll(objs)
	for _, s := range objs {
		s.assignNullHandle()
	}
	return nil
}

// arrayArgs makes the checks shared by RESET and SIGNAL.
func (t *Table) arrayArgs(io usermem.IO, handles uint64, count, pad uint32) ([]*Syncobj, error) {
	if err := t.check(DriverSyncobj); err != nil {
		return nil, err
	}
	if pad != 0 || count == 0 {
		return nil, errno.EINVAL
	}
	return t.arrayFind(io, handles, count)
}

// TimelineSignal is DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL
// (drm_syncobj_timeline_signal_ioctl()): for every handle, a chain node
// holding the domain's signaled stub is added at its point, even at point 0
// (TS3). A points address of 0 means all points are 0.
//
// Errors: EOPNOTSUPP; EINVAL for flags ≠ 0, then count 0 (TS1); ENOMEM,
// EFAULT, ENOENT from the handle array, then EFAULT from the points, with
// nothing modified (TS2).
func (t *Table) TimelineSignal(io usermem.IO, handles, points uint64, countHandles, flags uint32) error {
	if err := t.check(timelineFeatures); err != nil {
		return err
	}
	if flags != 0 || countHandles == 0 {
		return errno.EINVAL
	}
	objs, err := t.arrayFind(io, handles, countHandles)
	if err != nil {
		return err
	}
	defer putAll(objs)
	pts, err := copyInPoints(io, points, countHandles)
	if err != nil {
		return err
	}
	for i, s := range objs {
		s.AddPoint(t.d.Stub(), pts[i])
	}
	return nil
}

// Query is DRM_IOCTL_SYNCOBJ_QUERY (drm_syncobj_query_ioctl()). It writes
// one point per handle to the u64 array at points: 0 when the fence is nil
// or not a chain (Q2); with LAST_SUBMITTED the head's seqno (Q3); otherwise
// the last signaled point found by walking the head's context (Q4). Points
// are written one at a time, so an EFAULT may come after some were written.
//
// Errors: EOPNOTSUPP; EINVAL for flags other than LAST_SUBMITTED, then
// count 0; ENOMEM, EFAULT, ENOENT from the handle array (Q1); EFAULT
// writing points.
func (t *Table) Query(io usermem.IO, handles, points uint64, countHandles, flags uint32) error {
	if err := t.check(timelineFeatures); err != nil {
		return err
	}
	if flags&^uapi.DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED != 0 || countHandles == 0 {
		return errno.EINVAL
	}
	objs, err := t.arrayFind(io, handles, countHandles)
	if err != nil {
		return err
	}
	defer putAll(objs)
	last := flags&uapi.DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED != 0
	var one [1]uint64
	for i, s := range objs {
		one[0] = queryPoint(s.Fence(), last)
		if err := usermem.CopyOutU64s(io, points+8*uint64(i), one[:]); err != nil {
			return err
		}
	}
	return nil
}

// QueryPoint returns what QUERY reports for s: with lastSubmitted the
// highest point submitted, otherwise the last signaled point (spec/uapi.md
// §4.3 Q2–Q4).
func (s *Syncobj) QueryPoint(lastSubmitted bool) uint64 {
	return queryPoint(s.Fence(), lastSubmitted)
}

func queryPoint(f *fence.Fence, lastSubmitted bool) uint64 {
	if fence.ToChain(f) == nil {
		return 0
	}
	if lastSubmitted {
		return f.Seqno()
	}
	last := f
	fence.ForEach(f, func(it *fence.Fence) bool {
		if it.Context() != f.Context() {
			return false // most likely unordered points
		}
		last = it
		return true
	})
	if last.IsSignaled() {
		return last.Seqno()
	}
	return fence.ToChain(last).PrevSeqno()
}

// Eventfd is DRM_IOCTL_SYNCOBJ_EVENTFD (drm_syncobj_eventfd_ioctl()): a
// one-shot notification that adds 1 to eventfd fd when the fence at point
// signals, or with WAIT_AVAILABLE as soon as it exists; at once if that
// already holds (E2). Registrations are re-checked on every fence change.
//
// Errors: EOPNOTSUPP; EINVAL for flags other than WAIT_AVAILABLE, then for
// pad; ENOENT for an unknown handle; then Eventfds.Get's error (EBADF,
// EINVAL) (E1).
func (t *Table) Eventfd(handle, flags uint32, point uint64, fd int32, pad uint32) error {
	if err := t.check(timelineFeatures); err != nil {
		return err
	}
	if flags&^uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE != 0 {
		return errno.EINVAL
	}
	if pad != 0 {
		return errno.EINVAL
	}
	s, err := t.Lookup(handle)
	if err != nil {
		return err
	}
	defer s.Put()
	if t.eventfds == nil {
		return errno.Internalf("syncobj eventfd", "table has no Eventfds")
	}
	sink, err := t.eventfds.Get(int(fd))
	if err != nil {
		return err
	}
	s.addEventfd(&eventfdEntry{point: point, flags: flags, sink: sink})
	return nil
}
