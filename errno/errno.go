// Package errno holds the errno values that vmemu's ioctl handlers return,
// as the kernel's handlers return negative errnos.
//
// The values are syscall.Errno, so they compare with == and errors.Is, and
// errors.As finds a syscall.Errno in any error an ioctl returns. Plumbing
// errors inside the emulator (a missing handler, a disabled feature) are a
// distinct type, Internal, that the ioctl entry point logs and turns into
// EINVAL, as the kernel turns its internal failures into an errno.
package errno

import (
	"errors"
	"fmt"
	"syscall"
)

// The errnos the DRM core, drm_syncobj.c and amdgpu return. Names and values
// are Linux's (include/uapi/asm-generic/errno-base.h, errno.h).
const (
	EPERM      = syscall.EPERM
	ENOENT     = syscall.ENOENT
	EINTR      = syscall.EINTR
	EIO        = syscall.EIO
	E2BIG      = syscall.E2BIG
	EBADF      = syscall.EBADF
	EAGAIN     = syscall.EAGAIN
	ENOMEM     = syscall.ENOMEM
	EACCES     = syscall.EACCES
	EFAULT     = syscall.EFAULT
	EBUSY      = syscall.EBUSY
	EEXIST     = syscall.EEXIST
	ENODEV     = syscall.ENODEV
	EINVAL     = syscall.EINVAL
	ENFILE     = syscall.ENFILE
	EMFILE     = syscall.EMFILE
	ENOTTY     = syscall.ENOTTY
	ENOSPC     = syscall.ENOSPC
	ERANGE     = syscall.ERANGE
	EDEADLK    = syscall.EDEADLK
	ENOSYS     = syscall.ENOSYS
	ENODATA    = syscall.ENODATA
	ETIME      = syscall.ETIME
	EOPNOTSUPP = syscall.EOPNOTSUPP
	EALREADY   = syscall.EALREADY
	ECANCELED  = syscall.ECANCELED
	ETIMEDOUT  = syscall.ETIMEDOUT
	EHWPOISON  = syscall.Errno(133) // not in package syscall
	// ERESTARTSYS is the kernel-internal "restart the syscall" code (512).
	// User space never sees it: libc restarts the call or reports EINTR.
	ERESTARTSYS = syscall.Errno(512)
)

// Internal is an emulator plumbing error: no handler, a feature switched
// off, an invariant that does not hold. The ioctl entry point reports it and
// returns EINVAL, never the Internal value itself.
type Internal struct {
	Op  string
	Err error
}

func (e *Internal) Error() string { return fmt.Sprintf("vmemu internal: %s: %v", e.Op, e.Err) }
func (e *Internal) Unwrap() error { return e.Err }

// Internalf builds an Internal error.
func Internalf(op, format string, args ...any) error {
	return &Internal{Op: op, Err: fmt.Errorf(format, args...)}
}

// ToErrno maps any error to the errno user space sees: a syscall.Errno found
// with errors.As is returned as is; nil is 0; anything else, an Internal
// error included, is EINVAL.
func ToErrno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return EINVAL
}
