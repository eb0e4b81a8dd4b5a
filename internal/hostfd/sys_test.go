package hostfd

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestPollClosed(t *testing.T) {
	r, w, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, r)
	mustClose(t, w)
	if ev, err := Poll(r, POLLIN, 0); err != nil || ev != POLLNVAL {
		t.Errorf("Poll(closed) = %#x, %v; want POLLNVAL", ev, err)
	}
	if err := Close(r); !errors.Is(err, unix.EBADF) {
		t.Errorf("Close(closed) = %v, want EBADF", err)
	}
	if _, err := Dup(-1); !errors.Is(err, unix.EBADF) {
		t.Errorf("Dup(-1) = %v, want EBADF", err)
	}
}

func TestSendRecvFDs(t *testing.T) {
	sa, sb, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, sa)
	defer mustClose(t, sb)
	r, w, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, r)
	defer mustClose(t, w)

	if err := SendFDs(sa, []byte("hi"), r, w); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	n, fds, err := RecvFDs(sb, buf, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(fds)
	if diff := cmp.Diff("hi", string(buf[:n])); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	if len(fds) != 2 {
		t.Fatalf("got %d descriptors, want 2", len(fds))
	}
	// The received write end feeds the original read end.
	if _, err := Write(fds[1], []byte{7}); err != nil {
		t.Fatal(err)
	}
	if n, err := Read(r, buf); err != nil || n != 1 || buf[0] != 7 {
		t.Errorf("Read = %d, %v, %v; want [7]", n, err, buf[:n])
	}

	// Room for fewer descriptors than sent (1, rounded up to 2 by the
	// control-message alignment, of 3): truncated, and none leak.
	if err := SendFDs(sa, []byte("x"), r, w, r); err != nil {
		t.Fatal(err)
	}
	if _, fds, err := RecvFDs(sb, buf, 1); !errors.Is(err, ErrTruncated) || fds != nil {
		t.Errorf("RecvFDs(room for 1 of 3) = %v, %v; want ErrTruncated", fds, err)
	}
}
