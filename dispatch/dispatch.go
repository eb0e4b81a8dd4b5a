package dispatch

import (
	"errors"
	"sync"
	"syscall"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/usermem"
	"github.com/vmemu/vmemu/ww"
)

// Permission flags of struct drm_ioctl_desc (include/drm/drm_ioctl.h).
const (
	DRM_AUTH         = 1 << 0
	DRM_MASTER       = 1 << 1
	DRM_ROOT_ONLY    = 1 << 2
	DRM_RENDER_ALLOW = 1 << 5
)

// The generic _IOC layout (include/uapi/asm-generic/ioctl.h).
const (
	iocNRBits    = 8
	iocTypeBits  = 8
	iocSizeBits  = 14
	iocTypeShift = iocNRBits
	iocSizeShift = iocTypeShift + iocTypeBits
	iocDirShift  = iocSizeShift + iocSizeBits
	iocIn        = 1 << iocDirShift // _IOC_WRITE: user → kernel
	iocOut       = 2 << iocDirShift // _IOC_READ: kernel → user

	drmBase        = 'd'
	drmCommandBase = 0x40
	drmCommandEnd  = 0xA0
)

func iocNR(req uint32) uint32   { return req & (1<<iocNRBits - 1) }
func iocType(req uint32) uint32 { return req >> iocTypeShift & (1<<iocTypeBits - 1) }
func iocSize(req uint32) uint32 { return req >> iocSizeShift & (1<<iocSizeBits - 1) }

// MaxArgSize bounds the kernel buffer: the largest argument any table
// declares, or a caller's larger size (capped by the 14-bit size field).
const MaxArgSize = 1<<iocSizeBits - 1

// State is one ioctl call as a handler sees it.
type State struct {
	// Req is the caller's request number.
	Req uint32
	// Arg is the user address of the argument.
	Arg uint64
	// Buf is the kernel copy of the argument: max(in, out, kernel size)
	// bytes, zero past what the caller supplied. Handlers read and write it.
	Buf []byte
	// IO reaches user memory beyond the argument.
	IO usermem.IO
	// Acquire and Exec are an acquire context and a drm_exec a handler
	// may lock reservations in, as a kernel ioctl keeps them on its stack
	// (amdgpu_gem_va_ioctl()'s drm_exec, amdgpu_cs_parser's): recycled
	// with the State, so they cost no allocation. A handler that uses one
	// finishes it (Fini) before returning.
	Acquire ww.AcquireCtx
	Exec    ww.Exec

	storage [512]byte
}

var statePool = sync.Pool{New: func() any { return new(State) }}

// Desc is struct drm_ioctl_desc: the kernel's own request number (its
// direction and size govern the copies), permission flags, a name, and the
// handler. A Desc with a nil Fn is an ioctl the kernel has but vmemu does
// not implement; Fn nil with RenderAllow is reported as an internal error
// (EINVAL), never silently accepted.
type Desc[F any] struct {
	Name  string
	Req   uint32
	Flags uint32
	Fn    func(f F, s *State) error
}

// Table is the pair of ioctl tables of one DRM driver: the core table
// (drm_ioctls[]) and the driver's (drm_driver.ioctls).
type Table[F any] struct {
	core   []*Desc[F]
	driver []*Desc[F]
}

// NewTable builds a table from core and driver descriptors, placed by the nr
// of their Req.
func NewTable[F any](core, driver []Desc[F]) *Table[F] {
	t := &Table[F]{}
	for i := range core {
		d := &core[i]
		nr := int(iocNR(d.Req))
		for len(t.core) <= nr {
			t.core = append(t.core, nil)
		}
		if t.core[nr] != nil {
			panic("dispatch: two core ioctls with nr " + d.Name)
		}
		t.core[nr] = d
	}
	for i := range driver {
		d := &driver[i]
		nr := int(iocNR(d.Req))
		if nr < drmCommandBase || nr >= drmCommandEnd {
			panic("dispatch: driver ioctl outside the command range: " + d.Name)
		}
		idx := nr - drmCommandBase
		for len(t.driver) <= idx {
			t.driver = append(t.driver, nil)
		}
		if t.driver[idx] != nil {
			panic("dispatch: two driver ioctls with nr " + d.Name)
		}
		t.driver[idx] = d
	}
	return t
}

// Lookup returns the descriptor drm_ioctl() would pick for req, or nil.
func (t *Table[F]) Lookup(req uint32) *Desc[F] {
	nr := iocNR(req)
	if nr >= drmCommandBase && nr < drmCommandEnd {
		idx := nr - drmCommandBase
		if int(idx) >= len(t.driver) {
			return nil
		}
		return t.driver[idx]
	}
	if int(nr) >= len(t.core) {
		return nil
	}
	return t.core[nr]
}

// Descs calls fn for every descriptor in the table.
func (t *Table[F]) Descs(fn func(d *Desc[F])) {
	for _, d := range t.core {
		if d != nil {
			fn(d)
		}
	}
	for _, d := range t.driver {
		if d != nil {
			fn(d)
		}
	}
}

// Client describes the caller for drm_ioctl_permit().
type Client struct {
	Render        bool // a render node (renderD*) file
	Authenticated bool
	Master        bool
	SysAdmin      bool // CAP_SYS_ADMIN
}

// Permit mirrors drm_ioctl_permit().
func (c Client) Permit(flags uint32) error {
	if flags&DRM_ROOT_ONLY != 0 && !c.SysAdmin {
		return errno.EACCES
	}
	if flags&DRM_AUTH != 0 && !c.Render && !c.Authenticated {
		return errno.EACCES
	}
	if flags&DRM_MASTER != 0 && !c.Master {
		return errno.EACCES
	}
	if flags&DRM_RENDER_ALLOW == 0 && c.Render {
		return errno.EACCES
	}
	return nil
}

// Ioctl runs one ioctl on file f with the rules of drm_ioctl(). The error is
// nil or a syscall.Errno (internal errors are reported through report, if
// non-nil, and become EINVAL).
func (t *Table[F]) Ioctl(f F, c Client, io usermem.IO, req uint32, arg uint64, report func(name string, err error)) error {
	if iocType(req) != drmBase {
		return errno.ENOTTY
	}
	d := t.Lookup(req)
	if d == nil {
		return errno.EINVAL
	}
	if d.Fn == nil && d.Flags&DRM_RENDER_ALLOW != 0 && c.Render {
		// An ioctl the kernel allows here that vmemu has not built.
		err := errno.Internalf(d.Name, "not implemented in vmemu")
		if report != nil {
			report(d.Name, err)
		}
		return errno.EINVAL
	}
	drvSize := iocSize(d.Req)
	inSize, outSize := iocSize(req), iocSize(req)
	if req&d.Req&iocIn == 0 {
		inSize = 0
	}
	if req&d.Req&iocOut == 0 {
		outSize = 0
	}
	ksize := max(inSize, outSize, drvSize)

	s := statePool.Get().(*State)
	defer func() {
		s.IO = nil
		s.Buf = nil
		statePool.Put(s)
	}()
	var buf []byte
	if int(ksize) <= len(s.storage) {
		buf = s.storage[:ksize]
	} else {
		buf = make([]byte, ksize)
	}
	if inSize > 0 {
		if err := io.CopyIn(arg, buf[:inSize]); err != nil {
			return errno.EFAULT
		}
	}
	clear(buf[inSize:])
	s.Req, s.Arg, s.Buf, s.IO = req, arg, buf, io

	err := c.Permit(d.Flags)
	if err == nil {
		if d.Fn == nil {
			// Only reachable for ioctls the client may not call anyway.
			err = errno.EACCES
		} else {
			err = d.Fn(f, s)
		}
	}
	var ret error
	if err != nil {
		var e syscall.Errno
		if !errors.As(err, &e) && report != nil {
			report(d.Name, err) // a plumbing error: surfaces as EINVAL
		}
		ret = errno.ToErrno(err)
	}
	if outSize > 0 {
		if cerr := io.CopyOut(arg, buf[:outSize]); cerr != nil {
			ret = errno.EFAULT
		}
	}
	return ret
}
