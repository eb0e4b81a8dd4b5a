package amdgpu

import (
	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// dmaBuf is struct dma_buf as amdgpu exports a BO
// (amdgpu_gem_prime_export()): the buffer's reservation object is the BO's,
// so fences added by any importer synchronise with every other user. It
// holds a reference on the BO while any descriptor for it is open.
type dmaBuf struct {
	b   *bo.BO
	dev *Device
}

// primeHandleToFD mirrors drm_prime_handle_to_fd_ioctl() with
// amdgpu_gem_prime_export(): flags other than DRM_CLOEXEC|DRM_RDWR →
// EINVAL; unknown handle → ENOENT; a VM_ALWAYS_VALID BO cannot be exported
// (EPERM). The handle joins the file's prime cache.
func (f *File) primeHandleToFD(s *dispatch.State) error {
	var a uapi.PrimeHandle
	a.UnmarshalBytes(s.Buf)
	if a.Flags&^uint32(uapi.DRM_CLOEXEC|uapi.DRM_RDWR) != 0 {
		return errno.EINVAL
	}
	b := f.gem.lookup(a.Handle)
	if b == nil {
		return errno.ENOENT
	}
	if b.Flags()&uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID != 0 {
		b.Put()
		return errno.EPERM
	}
	fd, _, err := f.dev.fds.Install(&dmaBuf{b: b, dev: f.dev}, b.Put) // the fd owns the reference
	if err != nil {
		b.Put()
		return errno.EMFILE
	}
	f.gem.primeAdd(b, a.Handle)
	a.FD = int32(fd)
	a.MarshalBytes(s.Buf)
	return nil
}

// primeFDToHandle mirrors drm_prime_fd_to_handle_ioctl() with
// drm_gem_prime_fd_to_handle(): a descriptor that is not open → EBADF, not
// a dma-buf → EINVAL (dma_buf_get()); a dma-buf this file already imported
// or exported gives the same handle (the prime cache); a dma-buf of this
// device gives a handle to the same BO (drm_gem_prime_import_dev()), whose
// opening in the file's VM refuses another VM's VM_ALWAYS_VALID BO (EPERM).
// Importing another device's dma-buf (an SG BO in GTT with dynamic
// attachments) is not built in vmemu.
func (f *File) primeFDToHandle(s *dispatch.State) error {
	var a uapi.PrimeHandle
	a.UnmarshalBytes(s.Buf)
	obj, ok := f.dev.fds.Lookup(int(a.FD))
	if !ok {
		if !hostfd.IsOpen(int(a.FD)) {
			return errno.EBADF
		}
		// Open, but not a dma-buf of this device. (Another vmemu device's
		// dma-buf lands here too: cross-device import is not built.)
		return errno.EINVAL
	}
	db, ok := obj.(*dmaBuf)
	if !ok {
		return errno.EINVAL
	}
	if db.dev != f.dev {
		return errno.Internalf("PRIME_FD_TO_HANDLE", "importing another device's dma-buf is not built")
	}
	if h, ok := f.gem.primeLookup(db.b); ok {
		a.Handle = h
		a.MarshalBytes(s.Buf)
		return nil
	}
	db.b.Get()
	h, err := f.openHandle(db.b)
	db.b.Put()
	if err != nil {
		return err
	}
	f.gem.primeAdd(db.b, h)
	a.Handle = h
	a.MarshalBytes(s.Buf)
	return nil
}

// dmaBufIoctl mirrors dma_buf_ioctl() (drivers/dma-buf/dma-buf.c). f, if
// not nil, is the DRM file whose client issues the ioctl: a completed
// DMA_BUF_IOCTL_SYNC START orders that client's CPU accesses after the
// fences it waited for (the hazard checker's CPU bracket).
func (d *Device) dmaBufIoctl(io usermem.IO, f *File, db *dmaBuf, req uint32, arg uint64) error {
	r := db.b.Resv()
	switch req {
	case uapi.DMA_BUF_IOCTL_SYNC:
		var a uapi.DmaBufSync
		if err := copyIn(io, arg, uapi.SizeOfDmaBufSync, &a); err != nil {
			return err
		}
		if a.Flags&^uint64(uapi.DMA_BUF_SYNC_VALID_FLAGS_MASK) != 0 || a.Flags&uapi.DMA_BUF_SYNC_RW == 0 {
			return errno.EINVAL
		}
		if a.Flags&uapi.DMA_BUF_SYNC_END != 0 {
			return nil // end_cpu_access: nothing to flush in vmemu
		}
		// dma_buf_begin_cpu_access(): wait, without a limit, for what the
		// access conflicts with (dma_resv_usage_rw()).
		u := resv.UsageRW(a.Flags&uapi.DMA_BUF_SYNC_WRITE != 0)
		fs := r.Fences(u)
		if !r.Wait(d.clock, u, 1<<63-1) {
			return errno.ETIME // only a deadlock (FailDeadlocks) ends it
		}
		if f != nil {
			f.cpuWaited(fs...)
		}
		return nil
	case uapi.DMA_BUF_IOCTL_EXPORT_SYNC_FILE:
		var a uapi.DmaBufExportSyncFile
		if err := copyIn(io, arg, uapi.SizeOfDmaBufExportSyncFile, &a); err != nil {
			return err
		}
		if a.Flags&^uint32(uapi.DMA_BUF_SYNC_RW) != 0 || a.Flags&uapi.DMA_BUF_SYNC_RW == 0 {
			return errno.EINVAL
		}
		u := resv.UsageRW(a.Flags&uapi.DMA_BUF_SYNC_WRITE != 0)
		fc := d.domain.Merge(r.Fences(u)...) // a signaled stub when there is none
		fd, err := d.InstallSyncFile(fc)
		if err != nil {
			return errno.EMFILE
		}
		a.FD = int32(fd)
		return copyOut(io, arg, uapi.SizeOfDmaBufExportSyncFile, &a)
	case uapi.DMA_BUF_IOCTL_IMPORT_SYNC_FILE:
		var a uapi.DmaBufImportSyncFile
		if err := copyIn(io, arg, uapi.SizeOfDmaBufImportSyncFile, &a); err != nil {
			return err
		}
		if a.Flags&^uint32(uapi.DMA_BUF_SYNC_RW) != 0 || a.Flags&uapi.DMA_BUF_SYNC_RW == 0 {
			return errno.EINVAL
		}
		fc, err := d.SyncFileFence(int(a.FD))
		if err != nil {
			return errno.EINVAL
		}
		u := resv.READ
		if a.Flags&uapi.DMA_BUF_SYNC_WRITE != 0 {
			u = resv.WRITE
		}
		var leaves []*fence.Fence
		fence.Unwrap(fc, func(l *fence.Fence) { leaves = append(leaves, l) })
		if err := r.Lock(nil); err != nil {
			return err
		}
		defer r.Unlock()
		if len(leaves) > 0 {
			if err := r.ReserveFences(len(leaves)); err != nil {
				return err
			}
		}
		for _, l := range leaves {
			r.AddFence(l, u)
		}
		return nil
	}
	return errno.ENOTTY
}
