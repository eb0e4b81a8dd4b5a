package hostfd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/vmemu/vmemu/errno"
	"golang.org/x/sys/unix"
)

// ErrEventfdClosed is returned by Eventfd.Signal after Eventfd.Close.
var ErrEventfdClosed = errors.New("eventfd closed")

// eventfdLink is what /proc/self/fd/N links to for an eventfd (the
// anon_inode name given in fs/eventfd.c).
const eventfdLink = "anon_inode:[eventfd]"

// IsEventfd reports whether fd is an open eventfd of this process. It reads
// the /proc/self/fd link, so it reports false without /proc.
func IsEventfd(fd int) bool {
	if fd < 0 {
		return false
	}
	var buf [len(eventfdLink) + 1]byte // one more: a longer link is no match
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf[:])
	return err == nil && string(buf[:n]) == eventfdLink
}

// NewEventfd creates an eventfd with counter 0, EFD_CLOEXEC and
// EFD_NONBLOCK, as a client of DRM_IOCTL_SYNCOBJ_EVENTFD does. The caller
// owns the descriptor.
func NewEventfd() (int, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return -1, os.NewSyscallError("eventfd", err)
	}
	return fd, nil
}

// Eventfd is the emulator's reference to a client's eventfd, registered by
// DRM_IOCTL_SYNCOBJ_EVENTFD: the kernel keeps an eventfd_ctx, vmemu keeps a
// descriptor of its own, so the client may close theirs.
//
// An Eventfd is safe for concurrent use.
type Eventfd struct {
	mu sync.Mutex
	// fd is the emulator's own descriptor, -1 after Close. Protected by mu.
	fd int
}

// DupEventfd takes a reference to the client's eventfd fd, as
// eventfd_ctx_fdget() does. The client's descriptor is not changed.
//
// Errors are the kernel's, as drm_syncobj_eventfd() returns them:
// errno.EBADF for a descriptor that is not open, errno.EINVAL for one that is
// not an eventfd, and errno.EMFILE or errno.ENFILE as is if vmemu is out of
// descriptors.
func DupEventfd(fd int) (*Eventfd, error) {
	if fd < 0 {
		return nil, errno.EBADF
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err // an errno: EBADF, EMFILE, …
	}
	// Check the copy, not fd, which another thread may close and reuse.
	if !IsEventfd(dup) {
		unix.Close(dup)
		return nil, errno.EINVAL
	}
	return &Eventfd{fd: dup}, nil
}

// Signal adds n to the eventfd's counter, as eventfd_signal() adds 1 in the
// kernel, waking the client's poll or read.
//
// The descriptor shares the client's open file and so its O_NONBLOCK flag:
// only if the counter would overflow (reach 2^64-1, which eventfd_signal()
// never lets happen either) does a non-blocking eventfd fail with EAGAIN,
// and a blocking one block. It returns ErrEventfdClosed after Close.
func (e *Eventfd) Signal(n uint64) error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], n)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fd < 0 {
		return ErrEventfdClosed
	}
	if _, err := unix.Write(e.fd, b[:]); err != nil {
		return fmt.Errorf("signal eventfd: %w", os.NewSyscallError("write", err))
	}
	return nil
}

// Close drops the emulator's reference. It is idempotent.
func (e *Eventfd) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fd < 0 {
		return nil
	}
	err := unix.Close(e.fd)
	e.fd = -1
	return os.NewSyscallError("close", err)
}
