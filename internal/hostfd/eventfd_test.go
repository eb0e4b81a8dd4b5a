package hostfd

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/vmemu/vmemu/errno"
	"golang.org/x/sys/unix"
)

func TestIsEventfd(t *testing.T) {
	efd, err := NewEventfd()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, efd)
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, null)
	pr, pw, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, pr)
	defer mustClose(t, pw)
	var tab Table
	defer tab.Close()
	sfd, _ := install(t, &tab, "s", nil)
	defer mustClose(t, sfd)
	closed, err := NewEventfd()
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, closed)

	for _, tc := range []struct {
		name string
		fd   int
		want bool
	}{
		{"eventfd", efd, true},
		{"/dev/null", null, false},
		{"pipe read end", pr, false},
		{"pipe write end", pw, false},
		{"table descriptor", sfd, false},
		{"closed eventfd", closed, false},
		{"-1", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsEventfd(tc.fd); got != tc.want {
				t.Errorf("IsEventfd(%d) = %v, want %v", tc.fd, got, tc.want)
			}
		})
	}
}

// Reference: eventfd_ctx_fdget() returns -EBADF for a descriptor that is
// not open and -EINVAL for a file that is not an eventfd (IGT
// syncobj_eventfd: /dev/null → EINVAL).
func TestDupEventfdErrors(t *testing.T) {
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, null)
	closed, err := NewEventfd()
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, closed)

	for _, tc := range []struct {
		name string
		fd   int
		want error
	}{
		{"-1", -1, errno.EBADF},
		{"closed", closed, errno.EBADF},
		{"/dev/null", null, errno.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := DupEventfd(tc.fd)
			if err != tc.want {
				t.Errorf("DupEventfd(%d) = %v, %v; want %v", tc.fd, ev, err, tc.want)
			}
			if ev != nil {
				ev.Close()
			}
		})
	}
}

// Reference: drm_syncobj_eventfd() keeps an eventfd_ctx and
// syncobj_eventfd_entry_func() calls eventfd_signal() on it.
func TestEventfdSignal(t *testing.T) {
	efd, err := NewEventfd()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := DupEventfd(efd)
	if err != nil {
		t.Fatal(err)
	}
	// The client keeps a copy to read from and closes the descriptor it
	// registered: the emulator's reference is its own.
	client, err := Dup(efd)
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, client)
	mustClose(t, efd)

	if ev, err := Poll(client, POLLIN, 0); err != nil || ev != 0 {
		t.Errorf("Poll before Signal = %#x, %v; want 0", ev, err)
	}
	for _, n := range []uint64{1, 2} {
		if err := ev.Signal(n); err != nil {
			t.Fatalf("Signal(%d): %v", n, err)
		}
	}
	if ev, err := Poll(client, POLLIN, 0); err != nil || ev != POLLIN {
		t.Errorf("Poll after Signal = %#x, %v; want POLLIN", ev, err)
	}
	buf := make([]byte, 8)
	if n, err := Read(client, buf); err != nil || n != 8 {
		t.Fatalf("Read = %d, %v", n, err)
	}
	if got := binary.NativeEndian.Uint64(buf); got != 3 {
		t.Errorf("eventfd counter = %d, want 3", got)
	}
	if _, err := Read(client, buf); !errors.Is(err, unix.EAGAIN) {
		t.Errorf("second Read = %v, want EAGAIN", err)
	}

	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := ev.Signal(1); !errors.Is(err, ErrEventfdClosed) {
		t.Errorf("Signal after Close = %v, want ErrEventfdClosed", err)
	}
}
