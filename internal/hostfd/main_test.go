package hostfd

import (
	"fmt"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vmemu/vmemu/internal/leakcheck"
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
	os.Exit(leakcheck.Run(m, nil))
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
