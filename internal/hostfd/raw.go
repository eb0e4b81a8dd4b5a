package hostfd

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ioctl issues ioctl(2) on fd with request req and argument arg (a pointer
// to the request's struct, which the caller keeps alive and unmoved, for
// example with runtime.Pinner). It returns nil or the syscall.Errno; it
// does not retry on EINTR.
func Ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

// MonotonicNow returns clock_gettime(CLOCK_MONOTONIC) in ns: the clock of
// the kernel's absolute DRM syncobj timeouts. Go's time package measures
// durations on this clock but does not expose its absolute value.
func MonotonicNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("clock_gettime(CLOCK_MONOTONIC): " + err.Error())
	}
	return ts.Nano()
}

// Gettid returns the calling thread's id (gettid(2)). The caller locks
// the goroutine to its thread (runtime.LockOSThread) for the id to mean
// anything.
func Gettid() int { return unix.Gettid() }

// SignalThread sends SIGURG to thread tid of this process (tgkill(2)).
// SIGURG is the signal the Go runtime already sends itself for preemption:
// its handler is installed with SA_RESTART and ignores a stray one, so a
// thread blocked in a restartable system call has it restarted by the
// kernel. The error wraps the errno (ESRCH for a thread that has exited).
func SignalThread(tid int) error {
	return unix.Tgkill(unix.Getpid(), tid, unix.SIGURG)
}
