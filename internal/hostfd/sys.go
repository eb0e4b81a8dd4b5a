package hostfd

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Poll event bits, for Poll. The values are Linux's.
const (
	POLLIN    = unix.POLLIN
	POLLPRI   = unix.POLLPRI
	POLLOUT   = unix.POLLOUT
	POLLERR   = unix.POLLERR
	POLLHUP   = unix.POLLHUP
	POLLNVAL  = unix.POLLNVAL
	POLLRDHUP = unix.POLLRDHUP
)

// ErrTruncated is returned by RecvFDs when the kernel truncated the message
// or its control data (MSG_TRUNC, MSG_CTRUNC).
var ErrTruncated = errors.New("message truncated")

// Close closes fd with close(2). The error wraps the errno (EBADF for a
// descriptor that is not open).
func Close(fd int) error {
	return os.NewSyscallError("close", unix.Close(fd))
}

// Dup duplicates fd as F_DUPFD_CLOEXEC does: the copy is the lowest free
// descriptor, with FD_CLOEXEC set. The error wraps the errno.
func Dup(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
	}
	return nfd, nil
}

// Poll polls one descriptor with poll(2) for events (POLLIN, …) and returns
// the events reported, 0 on timeout. timeoutMs < 0 waits forever, 0 does not
// wait. An interrupted poll is restarted with the full timeout. A descriptor
// that is not open reports POLLNVAL, not an error.
func Poll(fd int, events int16, timeoutMs int) (revents int16, err error) {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
	for {
		_, err := unix.Poll(pfd, timeoutMs)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("poll", err)
		}
		return pfd[0].Revents, nil
	}
}

// Read reads from fd with read(2). The error wraps the errno (EAGAIN on an
// empty non-blocking descriptor).
func Read(fd int, p []byte) (int, error) {
	n, err := unix.Read(fd, p)
	if err != nil {
		return 0, os.NewSyscallError("read", err)
	}
	return n, nil
}

// Write writes to fd with write(2). The error wraps the errno.
func Write(fd int, p []byte) (int, error) {
	n, err := unix.Write(fd, p)
	if err != nil {
		return 0, os.NewSyscallError("write", err)
	}
	return n, nil
}

// Pipe creates a pipe with O_CLOEXEC and returns its read and write ends.
func Pipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	return p[0], p[1], nil
}

// Socketpair creates a connected pair of AF_UNIX stream sockets with
// SOCK_CLOEXEC, for passing descriptors with SendFDs and RecvFDs.
func Socketpair() (a, b int, err error) {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, os.NewSyscallError("socketpair", err)
	}
	return p[0], p[1], nil
}

// UnixRights encodes fds as an SCM_RIGHTS control message, for
// net.UnixConn.WriteMsgUnix.
func UnixRights(fds ...int) []byte {
	return unix.UnixRights(fds...)
}

// ParseUnixRights decodes the descriptors of every SCM_RIGHTS message in oob
// (from net.UnixConn.ReadMsgUnix). The caller owns the returned descriptors.
func ParseUnixRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// SendFDs sends p (which must not be empty on a stream socket) with fds
// attached as SCM_RIGHTS over the connected AF_UNIX socket sock. The
// receiver gets new descriptors for the same open files; the caller's fds
// stay open.
func SendFDs(sock int, p []byte, fds ...int) error {
	return os.NewSyscallError("sendmsg", unix.Sendmsg(sock, p, unix.UnixRights(fds...), nil, unix.MSG_NOSIGNAL))
}

// RecvFDs receives into p from the AF_UNIX socket sock, with room for at
// least maxFDs descriptors passed as SCM_RIGHTS (the room is rounded up to
// the control-message alignment), which arrive with FD_CLOEXEC set.
// The caller owns the returned descriptors. If the kernel truncated the
// data or the descriptors, RecvFDs closes any it got and returns
// ErrTruncated.
func RecvFDs(sock int, p []byte, maxFDs int) (n int, fds []int, err error) {
	oob := make([]byte, unix.CmsgSpace(4*maxFDs))
	n, oobn, flags, _, err := unix.Recvmsg(sock, p, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return 0, nil, os.NewSyscallError("recvmsg", err)
	}
	if oobn > 0 {
		if fds, err = ParseUnixRights(oob[:oobn]); err != nil {
			return 0, nil, err
		}
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		closeAll(fds)
		return 0, nil, fmt.Errorf("recvmsg: %w", ErrTruncated)
	}
	return n, fds, nil
}

// closeAll closes every descriptor of fds, ignoring errors.
func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// IsOpen reports whether fd is an open descriptor of the process
// (fcntl(F_GETFD) succeeds): what fget() checks before a driver looks at
// the file's type.
func IsOpen(fd int) bool {
	if fd < 0 {
		return false
	}
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}
