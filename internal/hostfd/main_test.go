package hostfd

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"
)

// childEnv makes the test binary run childMain instead of the tests: it is
// the other process of TestSCMRightsToChildProcess.
const childEnv = "VMEMU_HOSTFD_TEST_CHILD"

// TestMain fails the run on leaked goroutines and on descriptors left open
// by the tests: every Table entry and every descriptor a test opens must be
// closed.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	// Open the runtime's netpoll descriptors (epoll, its eventfd) now, so
	// that their first use by a test does not look like a leak.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	before, err := openFDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, "list descriptors:", err)
		os.Exit(2)
	}
	code := m.Run()
	if code == 0 {
		after, err := openFDs()
		if err != nil {
			fmt.Fprintln(os.Stderr, "list descriptors:", err)
			os.Exit(2)
		}
		for fd, link := range after {
			if _, ok := before[fd]; !ok {
				fmt.Fprintf(os.Stderr, "leaked descriptor %d: %s\n", fd, link)
				code = 1
			}
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// openFDs lists this process's open descriptors and what they link to.
func openFDs() (map[int]string, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	fds := make(map[int]string, len(ents))
	for _, ent := range ents {
		fd, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		link, err := os.Readlink("/proc/self/fd/" + ent.Name())
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		fds[fd] = link
	}
	return fds, nil
}

// childMain is the child process of TestSCMRightsToChildProcess. It receives
// one descriptor over the socket at fd 3, reports "ok" on stdout, holds the
// descriptor until stdin reaches EOF, and exits.
func childMain() int {
	_, fds, err := RecvFDs(3, make([]byte, 1), 1)
	if err != nil || len(fds) != 1 {
		fmt.Fprintf(os.Stderr, "child: RecvFDs = %v, %v\n", fds, err)
		return 1
	}
	if _, err := os.Stdout.Write([]byte("ok")); err != nil {
		return 1
	}
	buf := make([]byte, 16)
	for {
		n, err := os.Stdin.Read(buf)
		if n == 0 || err != nil {
			break
		}
	}
	return 0
}

// mustClose closes fd, failing the test on error.
func mustClose(t *testing.T, fd int) {
	t.Helper()
	if err := Close(fd); err != nil {
		t.Errorf("Close(%d): %v", fd, err)
	}
}

// counter counts calls to release callbacks, by object name.
type counter map[string]int

func (c counter) release(name string) func() { return func() { c[name]++ } }

// check fails the test unless the callbacks ran exactly as often as want
// says (names not in want: never).
func (c counter) check(t *testing.T, want map[string]int) {
	t.Helper()
	if diff := cmp.Diff(want, map[string]int(c), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("release callbacks ran (-want +got):\n%s", diff)
	}
}
