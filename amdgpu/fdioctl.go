package amdgpu

import (
	"bytes"
	"encoding/binary"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/syncfile"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// OpenSwSync opens a new sw_sync timeline and returns a real descriptor for
// it, as opening /sys/kernel/debug/sync/sw_sync does (sw_sync_debugfs_open()).
// Drive it with FDIoctl: SW_SYNC_IOC_CREATE_FENCE makes a sync_file fd with
// an unsignaled fence at a value, SW_SYNC_IOC_INC advances the timeline and
// signals the fences it reaches. When every copy of the descriptor is closed
// the timeline is released and its pending fences signal with -ENOENT
// (sw_sync_debugfs_release()); vmemu notices the close lazily, at its next
// descriptor operation.
func (d *Device) OpenSwSync(name string) (int, error) {
	tl := syncfile.NewTimeline(d.domain, name)
	fd, _, err := d.fds.Install(tl, tl.Release)
	return fd, err
}

// InstallSyncFile hands out a new sync_file descriptor holding f
// (sync_file_create() + fd_install()). The descriptor polls readable once f
// has signaled.
func (d *Device) InstallSyncFile(f *fence.Fence) (int, error) {
	return d.installSyncFile(syncfile.New(f))
}

func (d *Device) installSyncFile(sf *syncfile.SyncFile) (int, error) {
	f := sf.Fence()
	fd, e, err := d.fds.Install(sf, nil)
	if err != nil {
		return -1, err
	}
	if f.AddCallback(func(*fence.Fence) { e.MarkReadable() }) == nil {
		e.MarkReadable()
	}
	return fd, nil
}

// SyncFileFence returns the fence of a sync_file descriptor
// (sync_file_get_fence()), or EINVAL if fd is not one of this device's
// sync_files.
func (d *Device) SyncFileFence(fd int) (*fence.Fence, error) {
	obj, ok := d.fds.Lookup(fd)
	if !ok {
		return nil, errno.EINVAL
	}
	sf, ok := obj.(*syncfile.SyncFile)
	if !ok {
		return nil, errno.EINVAL
	}
	return sf.Fence(), nil
}

// FDIoctlIO issues an ioctl on a descriptor the device handed out: a
// sync_file (SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO, SYNC_IOC_SET_DEADLINE), a
// sw_sync timeline (SW_SYNC_IOC_CREATE_FENCE, SW_SYNC_IOC_INC,
// SW_SYNC_GET_DEADLINE) or a dma-buf (DMA_BUF_IOCTL_SYNC,
// DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE). The handlers copy exactly their struct, as the
// kernel's do, and any other request gets ENOTTY. A descriptor that is not
// one of the device's gets EBADF (the kernel would answer ENOTTY for an open
// descriptor of another kind; vmemu cannot route those).
func (d *Device) FDIoctlIO(io usermem.IO, fd int, req uint32, arg uint64) error {
	obj, ok := d.fds.Lookup(fd)
	if !ok {
		return errno.EBADF
	}
	switch o := obj.(type) {
	case *syncfile.SyncFile:
		return d.syncFileIoctl(io, o, req, arg)
	case *syncfile.Timeline:
		return d.swSyncIoctl(io, o, req, arg)
	case *dmaBuf:
		return d.dmaBufIoctl(io, nil, o, req, arg)
	}
	return errno.ENOTTY
}

// FDIoctlIO is Device.FDIoctlIO issued by this file's client: the hazard
// checker attributes a DMA_BUF_IOCTL_SYNC START wait to its CPU thread.
func (f *File) FDIoctlIO(io usermem.IO, fd int, req uint32, arg uint64) error {
	if obj, ok := f.dev.fds.Lookup(fd); ok {
		if db, ok := obj.(*dmaBuf); ok {
			return f.dev.dmaBufIoctl(io, f, db, req, arg)
		}
	}
	return f.dev.FDIoctlIO(io, fd, req, arg)
}

func copyIn[T interface{ UnmarshalBytes([]byte) []byte }](io usermem.IO, arg uint64, size int, v T) error {
	buf := make([]byte, size)
	if err := io.CopyIn(arg, buf); err != nil {
		return errno.EFAULT
	}
	v.UnmarshalBytes(buf)
	return nil
}

func copyOut[T interface{ MarshalBytes([]byte) []byte }](io usermem.IO, arg uint64, size int, v T) error {
	buf := make([]byte, size)
	v.MarshalBytes(buf)
	if err := io.CopyOut(arg, buf); err != nil {
		return errno.EFAULT
	}
	return nil
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func putCString(dst []byte, s string) {
	clear(dst)
	copy(dst[:len(dst)-1], s)
}

// syncFileIoctl mirrors sync_file_ioctl() (drivers/dma-buf/sync_file.c).
func (d *Device) syncFileIoctl(io usermem.IO, sf *syncfile.SyncFile, req uint32, arg uint64) error {
	switch req {
	case uapi.SYNC_IOC_MERGE:
		// sync_file_ioctl_merge()
		var a uapi.SyncMergeData
		if err := copyIn(io, arg, uapi.SizeOfSyncMergeData, &a); err != nil {
			return err
		}
		if a.Flags != 0 || a.Pad != 0 {
			return errno.EINVAL
		}
		obj, ok := d.fds.Lookup(int(a.FD2))
		other, isSF := obj.(*syncfile.SyncFile)
		if !ok || !isSF {
			return errno.ENOENT
		}
		merged := syncfile.Merge(d.domain, cString(a.Name[:]), sf, other)
		fd, err := d.installSyncFile(merged)
		if err != nil {
			return errno.EMFILE
		}
		a.Fence = int32(fd)
		if err := copyOut(io, arg, uapi.SizeOfSyncMergeData, &a); err != nil {
			hostfd.Close(fd)
			return err
		}
		return nil
	case uapi.SYNC_IOC_FILE_INFO:
		// sync_file_ioctl_fence_info()
		var a uapi.SyncFileInfo
		if err := copyIn(io, arg, uapi.SizeOfSyncFileInfo, &a); err != nil {
			return err
		}
		if a.Flags != 0 || a.Pad != 0 {
			return errno.EINVAL
		}
		infos := sf.FenceInfo()
		if a.NumFences == 0 {
			a.Status = sf.Fence().Status()
		} else {
			a.Status = 1
			if int(a.NumFences) < len(infos) {
				return errno.EINVAL
			}
			out := make([]byte, len(infos)*uapi.SizeOfSyncFenceInfo)
			for i, in := range infos {
				var fi uapi.SyncFenceInfo
				putCString(fi.ObjName[:], in.ObjName)
				putCString(fi.DriverName[:], in.DriverName)
				fi.Status = in.Status
				fi.TimestampNs = uint64(in.TimestampNS)
				fi.MarshalBytes(out[i*uapi.SizeOfSyncFenceInfo:])
				if a.Status > 0 {
					a.Status = in.Status
				}
			}
			if err := io.CopyOut(a.SyncFenceInfo.Addr(), out); err != nil {
				return errno.EFAULT
			}
		}
		putCString(a.Name[:], sf.Name())
		a.NumFences = uint32(len(infos))
		return copyOut(io, arg, uapi.SizeOfSyncFileInfo, &a)
	case uapi.SYNC_IOC_SET_DEADLINE:
		var a uapi.SyncSetDeadline
		if err := copyIn(io, arg, uapi.SizeOfSyncSetDeadline, &a); err != nil {
			return err
		}
		if a.Pad != 0 {
			return errno.EINVAL
		}
		sf.Fence().SetDeadline(int64(a.DeadlineNs))
		return nil
	}
	return errno.ENOTTY
}

// swSyncIoctl mirrors sw_sync_ioctl() (drivers/dma-buf/sw_sync.c).
func (d *Device) swSyncIoctl(io usermem.IO, tl *syncfile.Timeline, req uint32, arg uint64) error {
	switch req {
	case uapi.SW_SYNC_IOC_CREATE_FENCE:
		var a uapi.SWSyncCreateFenceData
		if err := copyIn(io, arg, uapi.SizeOfSWSyncCreateFenceData, &a); err != nil {
			return err
		}
		f := tl.CreateFence(a.Value)
		fd, err := d.InstallSyncFile(f)
		if err != nil {
			return errno.EMFILE
		}
		a.Fence = int32(fd)
		if err := copyOut(io, arg, uapi.SizeOfSWSyncCreateFenceData, &a); err != nil {
			hostfd.Close(fd)
			return err
		}
		return nil
	case uapi.SW_SYNC_IOC_INC:
		var b [4]byte
		if err := io.CopyIn(arg, b[:]); err != nil {
			return errno.EFAULT
		}
		tl.Inc(binary.LittleEndian.Uint32(b[:]))
		return nil
	case uapi.SW_SYNC_GET_DEADLINE:
		var a uapi.SWSyncGetDeadline
		if err := copyIn(io, arg, uapi.SizeOfSWSyncGetDeadline, &a); err != nil {
			return err
		}
		if a.DeadlineNs != 0 || a.Pad != 0 {
			return errno.EINVAL
		}
		f, err := d.SyncFileFence(int(a.FenceFD))
		if err != nil {
			return errno.EINVAL
		}
		ns, err := syncfile.Deadline(f)
		if err != nil {
			return err
		}
		a.DeadlineNs = uint64(ns)
		return copyOut(io, arg, uapi.SizeOfSWSyncGetDeadline, &a)
	}
	return errno.ENOTTY
}
