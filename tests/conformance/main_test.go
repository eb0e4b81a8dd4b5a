package conformance

import (
	"os"
	"testing"

	"github.com/vmemu/vmemu/internal/leakcheck"
)

// TestMain fails the run on leaked goroutines (timer callbacks, checker
// goroutines) and on descriptors the tests left open (sync_files, syncobj
// fds, timelines, eventfds, pipes).
func TestMain(m *testing.M) {
	// The recorder's file stays open for the whole run.
	os.Exit(leakcheck.Run(m, func() { theRecorder() }))
}
