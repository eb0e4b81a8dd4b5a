package hostfd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// install installs obj, failing the test on error.
func install(t *testing.T, tab *Table, obj any, release func()) (int, *Entry) {
	t.Helper()
	fd, e, err := tab.Install(obj, release)
	if err != nil {
		t.Fatalf("Install(%v): %v", obj, err)
	}
	return fd, e
}

// wantLookup fails the test unless tab.Lookup(fd) reports obj (nil: not
// found).
func wantLookup(t *testing.T, tab *Table, fd int, obj any) {
	t.Helper()
	got, ok := tab.Lookup(fd)
	if obj == nil {
		if ok {
			t.Errorf("Lookup(%d) = %v, true; want not found", fd, got)
		}
		return
	}
	if !ok || got != obj {
		t.Errorf("Lookup(%d) = %v, %v; want %v, true", fd, got, ok, obj)
	}
}

// Reference: drm_syncobj_get_fd() and sync_file_get_fd() install the file
// with O_CLOEXEC; drm_syncobj_fd_to_handle() finds the object from any
// descriptor of the file.
func TestInstallLookup(t *testing.T) {
	var tab Table
	defer tab.Close()
	c := counter{}
	fdA, _ := install(t, &tab, "a", c.release("a"))
	fdA2, _ := install(t, &tab, "a", c.release("a2")) // a second export: a second file
	fdB, _ := install(t, &tab, "b", c.release("b"))

	if fdA == fdA2 {
		t.Fatalf("two installs share fd %d", fdA)
	}
	if flags, err := unix.FcntlInt(uintptr(fdA), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("F_GETFD(%d) = %#x, %v; want FD_CLOEXEC", fdA, flags, err)
	}
	wantLookup(t, &tab, fdA, "a")
	wantLookup(t, &tab, fdA2, "a")
	wantLookup(t, &tab, fdB, "b")

	dup, err := Dup(fdA)
	if err != nil {
		t.Fatal(err)
	}
	wantLookup(t, &tab, dup, "a")
	if got := tab.Len(); got != 3 {
		t.Errorf("Len() = %d, want 3", got)
	}

	// Closing one of two descriptors keeps the object.
	mustClose(t, fdA)
	if n := tab.Sweep(); n != 0 {
		t.Errorf("Sweep() with a dup open = %d, want 0", n)
	}
	wantLookup(t, &tab, dup, "a")
	c.check(t, nil)

	mustClose(t, dup)
	mustClose(t, fdB)
	if n := tab.Sweep(); n != 2 {
		t.Errorf("Sweep() = %d, want 2", n)
	}
	c.check(t, map[string]int{"a": 1, "b": 1})
	if got := tab.Len(); got != 1 {
		t.Errorf("Len() = %d, want 1", got)
	}
	wantLookup(t, &tab, fdA2, "a")
	mustClose(t, fdA2)
	tab.Sweep()
	c.check(t, map[string]int{"a": 1, "a2": 1, "b": 1})
}

func TestLookupNotOurs(t *testing.T) {
	var tab, other Table
	defer tab.Close()
	defer other.Close()
	oursFD, e := install(t, &tab, "ours", nil)
	defer mustClose(t, oursFD)
	otherFD, _ := install(t, &other, "theirs", nil)
	defer mustClose(t, otherFD)

	closedR, closedW, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, closedR)
	mustClose(t, closedW)

	open := func(path string, flags int) int {
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o600)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		t.Cleanup(func() { mustClose(t, fd) })
		return fd
	}
	pr, pw, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, pr)
	defer mustClose(t, pw)
	sa, sb, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, sa)
	defer mustClose(t, sb)
	efd, err := NewEventfd()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, efd)

	for _, tc := range []struct {
		name string
		fd   int
	}{
		{"-1", -1},
		{"closed", closedR},
		{"regular file", open(filepath.Join(t.TempDir(), "f"), unix.O_RDWR|unix.O_CREAT)},
		{"/dev/null", open("/dev/null", unix.O_RDONLY)},
		{"directory", open(t.TempDir(), unix.O_RDONLY|unix.O_DIRECTORY)},
		{"pipe", pr},
		{"unrelated socket", sa},
		{"eventfd", efd},
		{"kept end", e.kept},
		{"another table's", otherFD},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantLookup(t, &tab, tc.fd, nil)
		})
	}
}

// TestCloseAndReuse closes the only descriptor of an object, then checks
// that the number, reused by something else, does not find it, and that the
// object is released exactly once.
//
// Reference: the last fput() of the file releases the syncobj reference
// (drm_syncobj_file_release()).
func TestCloseAndReuse(t *testing.T) {
	var tab Table
	defer tab.Close()
	c := counter{}
	fd, e := install(t, &tab, "a", c.release("a"))
	mustClose(t, fd)

	// The lowest free number is fd again.
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if null != fd {
		t.Logf("/dev/null got fd %d, not the closed %d", null, fd)
	}
	wantLookup(t, &tab, null, nil)
	mustClose(t, null)

	sa, sb, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	wantLookup(t, &tab, sa, nil)
	mustClose(t, sa)
	mustClose(t, sb)

	c.check(t, nil) // nothing reclaims but Sweep, Install and Close
	if n := tab.Sweep(); n != 1 {
		t.Errorf("Sweep() = %d, want 1", n)
	}
	c.check(t, map[string]int{"a": 1})
	if n := tab.Sweep(); n != 0 {
		t.Errorf("second Sweep() = %d, want 0", n)
	}
	if err := e.MarkReadable(); err != nil {
		t.Errorf("MarkReadable after release = %v, want nil", err)
	}

	// Reused by a new install: it finds the new object only.
	fdB, _ := install(t, &tab, "b", c.release("b"))
	wantLookup(t, &tab, fdB, "b")
	mustClose(t, fdB)
	tab.Sweep()
	c.check(t, map[string]int{"a": 1, "b": 1})
	if got := tab.Len(); got != 0 {
		t.Errorf("Len() = %d, want 0", got)
	}
}

// TestSCMRightsInFlight sends the only descriptor of an object to this
// process over a unix socket and closes it: the copy in flight, then the
// received copy, keep the object alive.
func TestSCMRightsInFlight(t *testing.T) {
	var tab Table
	defer tab.Close()
	c := counter{}
	fd, _ := install(t, &tab, "a", c.release("a"))
	sa, sb, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, sa)
	defer mustClose(t, sb)

	if err := SendFDs(sa, []byte{'x'}, fd); err != nil {
		t.Fatal(err)
	}
	mustClose(t, fd)
	if n := tab.Sweep(); n != 0 {
		t.Errorf("Sweep() with the descriptor in flight = %d, want 0", n)
	}

	n, fds, err := RecvFDs(sb, make([]byte, 1), 1)
	if err != nil || n != 1 || len(fds) != 1 {
		t.Fatalf("RecvFDs = %d, %v, %v; want 1 byte and 1 descriptor", n, fds, err)
	}
	got := fds[0]
	if flags, err := unix.FcntlInt(uintptr(got), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("received descriptor: F_GETFD = %#x, %v; want FD_CLOEXEC", flags, err)
	}
	if n := tab.Sweep(); n != 0 {
		t.Errorf("Sweep() with the received copy open = %d, want 0", n)
	}
	wantLookup(t, &tab, got, "a")
	c.check(t, nil)

	mustClose(t, got)
	if n := tab.Sweep(); n != 1 {
		t.Errorf("Sweep() = %d, want 1", n)
	}
	c.check(t, map[string]int{"a": 1})
}

// TestSCMRightsToChildProcess passes the only descriptor of an object to
// another process (this test binary, re-executed) with SCM_RIGHTS: the
// object lives while the child holds it and is released after it exits.
func TestSCMRightsToChildProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var tab Table
	defer tab.Close()
	c := counter{}
	fd, _ := install(t, &tab, "a", c.release("a"))

	// Parent and child talk over a socket pair (the child's fd 3) and two
	// pipes (its stdin and stdout), all *os.File so exec starts no copying
	// goroutines.
	sa, sb, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	childSock := os.NewFile(uintptr(sb), "child-sock")
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	cmd.ExtraFiles = []*os.File{childSock}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	childSock.Close()

	if err := SendFDs(sa, []byte{'x'}, fd); err != nil {
		t.Fatal(err)
	}
	mustClose(t, fd)
	mustClose(t, sa)
	ack := make([]byte, 2)
	if n, err := outR.Read(ack); err != nil || string(ack[:n]) != "ok" {
		t.Fatalf("child said %q, %v; want \"ok\"", ack[:n], err)
	}

	// Only the child holds the descriptor now.
	if n := tab.Sweep(); n != 0 {
		t.Errorf("Sweep() while the child holds the descriptor = %d, want 0", n)
	}
	c.check(t, nil)

	inW.Close() // EOF: the child exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	outR.Close()
	if n := tab.Sweep(); n != 1 {
		t.Errorf("Sweep() after the child exited = %d, want 1", n)
	}
	c.check(t, map[string]int{"a": 1})
}

// Reference: sync_file_poll() reports EPOLLIN once the fence has signaled.
func TestMarkReadable(t *testing.T) {
	var tab Table
	defer tab.Close()
	fd, e := install(t, &tab, "a", nil)
	defer mustClose(t, fd)
	dup, err := Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, dup)

	if ev, err := Poll(fd, POLLIN, 0); err != nil || ev != 0 {
		t.Errorf("Poll(POLLIN) before MarkReadable = %#x, %v; want 0", ev, err)
	}
	for range 3 { // idempotent
		if err := e.MarkReadable(); err != nil {
			t.Fatalf("MarkReadable: %v", err)
		}
	}
	for _, f := range []int{fd, dup} {
		if ev, err := Poll(f, POLLIN, 0); err != nil || ev != POLLIN {
			t.Errorf("Poll(%d, POLLIN) after MarkReadable = %#x, %v; want POLLIN", f, ev, err)
		}
	}
	// Exactly one byte was written.
	buf := make([]byte, 8)
	if n, err := Read(fd, buf); err != nil || n != 1 {
		t.Errorf("Read = %d, %v; want 1 byte", n, err)
	}
	// Through the entry found by lookup.
	e2, ok := tab.LookupEntry(dup)
	if !ok || e2 != e || e2.Object() != "a" {
		t.Errorf("LookupEntry(dup) = %v, %v; want the installed entry", e2, ok)
	}
}

// TestInstallSweeps checks the amortised reclamation: Install sweeps when
// the table has doubled, with no Sweep call.
func TestInstallSweeps(t *testing.T) {
	var tab Table
	defer tab.Close()
	var released atomic.Int64
	const n = 3 * minSweep
	for range n {
		fd, _ := install(t, &tab, "x", func() { released.Add(1) })
		mustClose(t, fd)
	}
	if got := tab.Len(); got >= minSweep {
		t.Errorf("Len() after %d installs of dead objects = %d, want < %d", n, got, minSweep)
	}
	if got, want := released.Load()+int64(tab.Len()), int64(n); got != want {
		t.Errorf("released + Len = %d, want %d", got, want)
	}
	tab.Sweep()
	if got := released.Load(); got != n {
		t.Errorf("released = %d after Sweep, want %d", got, n)
	}
}

// Reference: closing a DRM file drops every syncobj reference it holds.
func TestTableClose(t *testing.T) {
	var tab Table
	c := counter{}
	fdA, eA := install(t, &tab, "a", c.release("a"))
	fdB, _ := install(t, &tab, "b", c.release("b"))
	defer mustClose(t, fdA)
	defer mustClose(t, fdB)

	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	c.check(t, map[string]int{"a": 1, "b": 1})
	wantLookup(t, &tab, fdA, nil)
	if ev, err := Poll(fdA, POLLIN, 0); err != nil || ev&POLLHUP == 0 {
		t.Errorf("Poll(client) after Close = %#x, %v; want POLLHUP", ev, err)
	}
	if err := eA.MarkReadable(); err != nil {
		t.Errorf("MarkReadable after Close = %v", err)
	}
	if _, _, err := tab.Install("c", c.release("c")); !errors.Is(err, ErrClosed) {
		t.Errorf("Install after Close = %v, want ErrClosed", err)
	}
	if err := tab.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if n := tab.Sweep(); n != 0 {
		t.Errorf("Sweep after Close = %d", n)
	}
	c.check(t, map[string]int{"a": 1, "b": 1})
}

// TestConcurrent runs installs, lookups, dups, marks, closes and sweeps in
// parallel; under -race it checks the locking, and at the end that every
// object was released exactly once.
func TestConcurrent(t *testing.T) {
	var tab Table
	const workers, rounds = 8, 100
	counts := make([]atomic.Int32, workers*rounds)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				id := w*rounds + r
				fd, e, err := tab.Install(id, func() { counts[id].Add(1) })
				if err != nil {
					t.Error(err)
					return
				}
				dup, err := Dup(fd)
				if err != nil {
					t.Error(err)
					return
				}
				if got, ok := tab.Lookup(dup); !ok || got != id {
					t.Errorf("Lookup = %v, %v; want %d", got, ok, id)
				}
				if err := e.MarkReadable(); err != nil {
					t.Error(err)
				}
				Close(fd)
				Close(dup)
				if r%10 == 0 {
					tab.Sweep()
				}
			}
		})
	}
	wg.Wait()
	tab.Sweep()
	if got := tab.Len(); got != 0 {
		t.Errorf("Len() = %d after all descriptors closed, want 0", got)
	}
	tab.Close()
	for id := range counts {
		if got := counts[id].Load(); got != 1 {
			t.Errorf("object %d released %d times, want 1", id, got)
		}
	}
}
