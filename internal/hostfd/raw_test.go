package hostfd

import (
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestIoctlFIONREAD(t *testing.T) {
	r, w, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, r)
	defer mustClose(t, w)
	if _, err := Write(w, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	var n int32
	var pin runtime.Pinner
	pin.Pin(&n)
	defer pin.Unpin()
	if err := Ioctl(r, unix.TIOCINQ, unsafe.Pointer(&n)); err != nil || n != 3 {
		t.Errorf("FIONREAD = %d, %v; want 3", n, err)
	}
	if err := Ioctl(-1, unix.TIOCINQ, unsafe.Pointer(&n)); !errors.Is(err, unix.EBADF) {
		t.Errorf("FIONREAD(-1) = %v, want EBADF", err)
	}
	if err := Ioctl(r, 0x7fff, nil); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("unknown ioctl on a pipe = %v, want ENOTTY", err)
	}
}

func TestMonotonicNow(t *testing.T) {
	a := MonotonicNow()
	start := time.Now()
	b := MonotonicNow()
	if a <= 0 || b < a {
		t.Errorf("MonotonicNow went %d → %d", a, b)
	}
	if d := time.Since(start); int64(d) < 0 {
		t.Errorf("negative duration %v", d)
	}
}

func TestGettidSignalThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := Gettid()
	if tid <= 0 {
		t.Fatalf("Gettid = %d", tid)
	}
	// The Go runtime ignores a stray SIGURG.
	if err := SignalThread(tid); err != nil {
		t.Errorf("SignalThread(self) = %v", err)
	}
}
