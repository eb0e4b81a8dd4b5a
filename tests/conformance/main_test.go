package conformance

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run on leaked goroutines (timer callbacks, checker
// goroutines) and on descriptors the tests left open (sync_files, syncobj
// fds, timelines, eventfds, pipes).
func TestMain(m *testing.M) {
	// Open the runtime's netpoll descriptors now, so that their first use
	// by a test does not look like a leak.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	theRecorder() // its file stays open for the whole run
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
