//go:build linux

package conformance

import (
	"syscall"
	"unsafe"
)

// The real-device target's system calls. vmemu keeps raw system calls in
// internal/hostfd, which has no ioctl, clock_gettime or tgkill wrapper yet;
// until it does (issue 8), these four live here, written with the standard
// library's syscall package, and nothing else in this package makes a raw
// system call. vmemu's own target never reaches them.

// rawIoctl is ioctl(2). It returns nil or the errno.
func rawIoctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

// clockMonotonic is clock_gettime(CLOCK_MONOTONIC) in ns. Go's time package
// measures durations on this clock but does not expose its absolute value,
// which the kernel's absolute syncobj timeouts need.
func clockMonotonic() int64 {
	const clockMonotonicID = 1 // CLOCK_MONOTONIC
	var ts syscall.Timespec
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonicID, uintptr(unsafe.Pointer(&ts)), 0)
	if e != 0 {
		panic("clock_gettime(CLOCK_MONOTONIC): " + e.Error())
	}
	return ts.Nano()
}

// gettid is gettid(2).
func gettid() int { return syscall.Gettid() }

// signalThread sends SIGURG to thread tid of this process (tgkill(2)).
// SIGURG is the signal the Go runtime already sends itself for preemption;
// its handler is installed with SA_RESTART and ignores a stray one.
func signalThread(tid int) {
	_ = syscall.Tgkill(syscall.Getpid(), tid, syscall.SIGURG)
}
