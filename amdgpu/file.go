package amdgpu

import (
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/vm"

	"github.com/vmemu/vmemu/cs"
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/syncobj"
	"github.com/vmemu/vmemu/usermem"
)

// File is one open DRM file (struct drm_file with amdgpu's
// struct amdgpu_fpriv): its handle tables and its per-file state.
type File struct {
	dev *Device
	// id numbers the file in reports (1, 2, …).
	id     uint32
	client dispatch.Client
	// sync is the file's sync object handle table.
	sync *syncobj.Table
	// gem is the file's GEM handle table (object_idr).
	gem gemTable
	// ctxs are the file's contexts (amdgpu_ctx_mgr); boLists its BO lists.
	ctxs    *cs.Manager
	boLists *cs.BOLists
	// vm is the file's GPU VA space (fpriv->vm); vmRoot its root page
	// directory's reservation, shared by VM_ALWAYS_VALID BOs. Immutable.
	vm     *vm.VM
	vmRoot *resv.Resv

	// closed is set by Close.
	closed atomic.Bool
	// mode is the VM's vmMode under PolicyNoMixing, set once from
	// modeUnset; usedExplicit records any explicit operation. Atomic, as
	// every GEM_VA and context creation reads them.
	mode         atomic.Uint32
	usedExplicit atomic.Bool
	// ioctls counts ioctls issued on the file; each report names an ioctl
	// by its sequence number in this stream.
	ioctls atomic.Uint64

	mu sync.Mutex
	// clientName is set by DRM_IOCTL_SET_CLIENT_NAME. Protected by mu.
	clientName string
}

func newFile(d *Device) *File {
	f := &File{dev: d, vm: d.vms.NewVM(), id: d.nextFile.Add(1)}
	f.vmRoot = f.vm.RootResv()
	f.sync = syncobj.NewTable(d.domain, fdTable{d}, eventfds{})
	if d.cfg.Primary {
		f.client = dispatch.Client{Master: true, Authenticated: true}
	} else {
		f.client = dispatch.Client{Render: true}
	}
	f.ctxs = cs.NewManager(d.csDev, d.prof.Explicit, f.client.Master, f.vm)
	f.boLists = cs.NewBOLists()
	return f
}

// Device returns the device the file was opened on.
func (f *File) Device() *Device { return f.dev }

// IoctlIO issues an ioctl whose argument lives at address arg of the user
// memory io (the socket server's and trace replay's entry point; Ioctl is
// the in-process one). The error is nil or a syscall.Errno.
//
// Implementors: a new ioctl needs (1) its uapi struct and request number,
// (2) a Desc in coreIoctls or driverIoctls with the kernel's permission
// flags, (3) a handler that reads and writes only s.Buf and s.IO and cites
// the kernel function it mirrors, (4) conformance tests with the kernel's
// errnos in order.
func (f *File) IoctlIO(io usermem.IO, req uint32, arg uint64) error {
	if f.closed.Load() {
		return ErrClosed
	}
	f.ioctls.Add(1)
	return ioctlTable.Ioctl(f, f.client, io, req, arg, f.report)
}

func (f *File) report(name string, err error) {
	f.dev.logf("vmemu: %s: %v (returned EINVAL)", name, err)
}

// Close closes the file: its handles go away, as at the last close(2) of a
// DRM fd (drm_file_free()).
func (f *File) Close() error {
	if !f.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	f.release()
	f.dev.forget(f)
	return nil
}

// release drops the file's objects. Called once, from Close.
func (f *File) release() {
	f.boLists.Close()
	f.releaseAllHandles()
	f.sync.Close()
	f.vm.Close()
}

// ioctlSeq returns the sequence number of the ioctl in progress, in the
// file's ioctl stream (1-based), for reports.
func (f *File) ioctlSeq() uint64 { return f.ioctls.Load() }
