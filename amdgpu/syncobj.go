package amdgpu

import (
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/syncfile"
	"github.com/vmemu/vmemu/syncobj"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// The DRM_IOCTL_SYNCOBJ_* handlers: thin adapters from the argument struct
// (already copied in by dispatch, zero-extended for the legacy sizes) to the
// syncobj.Table methods, which carry the kernel's checks in
// drivers/gpu/drm/drm_syncobj.c order.

func syncobjIoctls() []desc {
	const render = dispatch.DRM_RENDER_ALLOW
	return []desc{
		{Name: "SYNCOBJ_CREATE", Req: uapi.DRM_IOCTL_SYNCOBJ_CREATE, Flags: render, Fn: (*File).syncobjCreate},
		{Name: "SYNCOBJ_DESTROY", Req: uapi.DRM_IOCTL_SYNCOBJ_DESTROY, Flags: render, Fn: (*File).syncobjDestroy},
		{Name: "SYNCOBJ_HANDLE_TO_FD", Req: uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, Flags: render, Fn: (*File).syncobjHandleToFD},
		{Name: "SYNCOBJ_FD_TO_HANDLE", Req: uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, Flags: render, Fn: (*File).syncobjFDToHandle},
		{Name: "SYNCOBJ_WAIT", Req: uapi.DRM_IOCTL_SYNCOBJ_WAIT, Flags: render, Fn: (*File).syncobjWait},
		{Name: "SYNCOBJ_RESET", Req: uapi.DRM_IOCTL_SYNCOBJ_RESET, Flags: render, Fn: (*File).syncobjReset},
		{Name: "SYNCOBJ_SIGNAL", Req: uapi.DRM_IOCTL_SYNCOBJ_SIGNAL, Flags: render, Fn: (*File).syncobjSignal},
		{Name: "SYNCOBJ_TIMELINE_WAIT", Req: uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, Flags: render, Fn: (*File).syncobjTimelineWait},
		{Name: "SYNCOBJ_QUERY", Req: uapi.DRM_IOCTL_SYNCOBJ_QUERY, Flags: render, Fn: (*File).syncobjQuery},
		{Name: "SYNCOBJ_TRANSFER", Req: uapi.DRM_IOCTL_SYNCOBJ_TRANSFER, Flags: render, Fn: (*File).syncobjTransfer},
		{Name: "SYNCOBJ_TIMELINE_SIGNAL", Req: uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, Flags: render, Fn: (*File).syncobjTimelineSignal},
		{Name: "SYNCOBJ_EVENTFD", Req: uapi.DRM_IOCTL_SYNCOBJ_EVENTFD, Flags: render, Fn: (*File).syncobjEventfd},
	}
}

// Syncobjs returns the file's sync object table, for Go-level users (the CS
// and GEM_VA code, tests).
func (f *File) Syncobjs() *syncobj.Table { return f.sync }

// fdTable adapts the device's hostfd table to syncobj.FDs: sync_files go
// through installSyncFile so that they poll readable when signaled.
type fdTable struct{ d *Device }

func (t fdTable) Install(obj any, release func()) (int, error) {
	if sf, ok := obj.(*syncfile.SyncFile); ok {
		return t.d.installSyncFile(sf)
	}
	fd, _, err := t.d.fds.Install(obj, release)
	return fd, err
}

func (t fdTable) Lookup(fd int) (any, bool) { return t.d.fds.Lookup(fd) }

// eventfds adapts hostfd's eventfd support to syncobj.Eventfds.
type eventfds struct{}

func (eventfds) Get(fd int) (syncobj.EventSink, error) {
	e, err := hostfd.DupEventfd(fd)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (f *File) syncobjCreate(s *dispatch.State) error {
	var a uapi.SyncobjCreate
	a.UnmarshalBytes(s.Buf)
	h, err := f.sync.Create(a.Flags)
	if err != nil {
		return err
	}
	a.Handle = h
	a.MarshalBytes(s.Buf)
	return nil
}

func (f *File) syncobjDestroy(s *dispatch.State) error {
	var a uapi.SyncobjDestroy
	a.UnmarshalBytes(s.Buf)
	return f.sync.Destroy(a.Handle, a.Pad)
}

func (f *File) syncobjHandleToFD(s *dispatch.State) error {
	var a uapi.SyncobjHandle
	a.UnmarshalBytes(s.Buf)
	fd, err := f.sync.HandleToFD(a.Handle, a.Flags, a.Pad, a.Point)
	if err != nil {
		return err
	}
	a.FD = fd
	a.MarshalBytes(s.Buf)
	return nil
}

func (f *File) syncobjFDToHandle(s *dispatch.State) error {
	var a uapi.SyncobjHandle
	a.UnmarshalBytes(s.Buf)
	h, err := f.sync.FDToHandle(a.Handle, a.Flags, a.FD, a.Pad, a.Point)
	if err != nil {
		return err
	}
	a.Handle = h
	a.MarshalBytes(s.Buf)
	return nil
}

func (f *File) syncobjWait(s *dispatch.State) error {
	var a uapi.SyncobjWait
	a.UnmarshalBytes(s.Buf)
	w := syncobj.WaitArgs{
		Handles: a.Handles.Addr(), TimeoutNsec: a.TimeoutNsec, CountHandles: a.CountHandles,
		Flags: a.Flags, FirstSignaled: a.FirstSignaled, DeadlineNsec: a.DeadlineNsec,
	}
	err := f.sync.Wait(s.IO, &w)
	a.FirstSignaled = w.FirstSignaled
	a.MarshalBytes(s.Buf)
	if err == nil {
		f.syncobjsWaited(s, w, false)
	}
	return err
}

func (f *File) syncobjTimelineWait(s *dispatch.State) error {
	var a uapi.SyncobjTimelineWait
	a.UnmarshalBytes(s.Buf)
	w := syncobj.WaitArgs{
		Handles: a.Handles.Addr(), Points: a.Points.Addr(), TimeoutNsec: a.TimeoutNsec,
		CountHandles: a.CountHandles, Flags: a.Flags, FirstSignaled: a.FirstSignaled,
		DeadlineNsec: a.DeadlineNsec,
	}
	err := f.sync.TimelineWait(s.IO, &w)
	a.FirstSignaled = w.FirstSignaled
	a.MarshalBytes(s.Buf)
	if err == nil {
		f.syncobjsWaited(s, w, true)
	}
	return err
}

func (f *File) syncobjReset(s *dispatch.State) error {
	var a uapi.SyncobjArray
	a.UnmarshalBytes(s.Buf)
	return f.sync.Reset(s.IO, a.Handles.Addr(), a.CountHandles, a.Pad)
}

func (f *File) syncobjSignal(s *dispatch.State) error {
	var a uapi.SyncobjArray
	a.UnmarshalBytes(s.Buf)
	return f.sync.Signal(s.IO, a.Handles.Addr(), a.CountHandles, a.Pad)
}

func (f *File) syncobjTimelineSignal(s *dispatch.State) error {
	var a uapi.SyncobjTimelineArray
	a.UnmarshalBytes(s.Buf)
	return f.sync.TimelineSignal(s.IO, a.Handles.Addr(), a.Points.Addr(), a.CountHandles, a.Flags)
}

func (f *File) syncobjQuery(s *dispatch.State) error {
	var a uapi.SyncobjTimelineArray
	a.UnmarshalBytes(s.Buf)
	return f.sync.Query(s.IO, a.Handles.Addr(), a.Points.Addr(), a.CountHandles, a.Flags)
}

func (f *File) syncobjTransfer(s *dispatch.State) error {
	var a uapi.SyncobjTransfer
	a.UnmarshalBytes(s.Buf)
	return f.sync.Transfer(a.SrcHandle, a.DstHandle, a.SrcPoint, a.DstPoint, a.Flags, a.Pad)
}

func (f *File) syncobjEventfd(s *dispatch.State) error {
	var a uapi.SyncobjEventfd
	a.UnmarshalBytes(s.Buf)
	return f.sync.Eventfd(a.Handle, a.Flags, a.Point, a.FD, a.Pad)
}

// syncobjsWaited tells the hazard checker which fences a successful
// syncobj wait saw signaled (a WAIT_AVAILABLE wait orders nothing).
func (f *File) syncobjsWaited(s *dispatch.State, w syncobj.WaitArgs, timeline bool) {
	if f.dev.obs.chk == nil || w.CountHandles == 0 || w.Flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE != 0 {
		return
	}
	hs := make([]uint32, w.CountHandles)
	if usermem.CopyInU32s(s.IO, w.Handles, hs) != nil {
		return
	}
	pts := make([]uint64, w.CountHandles)
	if timeline && w.Points != 0 && usermem.CopyInU64s(s.IO, w.Points, pts) != nil {
		return
	}
	for i, h := range hs {
		fc, err := f.sync.FindFence(h, pts[i], 0)
		if err == nil && fc != nil && fc.IsSignaled() {
			f.cpuWaited(fc)
		}
	}
}
