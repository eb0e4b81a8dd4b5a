// Package leakcheck is a TestMain helper for packages that hand out real
// file descriptors: it fails the run on descriptors the tests left open
// and on leaked goroutines (go.uber.org/goleak).
package leakcheck

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// Run runs m and returns its exit code, turned to 1 when a descriptor open
// after the run was not open before it, or a goroutine leaked. prepare,
// if not nil, runs before the "before" snapshot: open there what stays
// open for the whole run.
func Run(m *testing.M, prepare func()) int {
	// Open the runtime's netpoll descriptors (epoll, its eventfd) now, so
	// that their first use by a test does not look like a leak.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	if prepare != nil {
		prepare()
	}
	before, err := OpenFDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, "list descriptors:", err)
		return 2
	}
	code := m.Run()
	if code != 0 {
		return code
	}
	after, err := OpenFDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, "list descriptors:", err)
		return 2
	}
	for fd, link := range after {
		if _, ok := before[fd]; !ok {
			fmt.Fprintf(os.Stderr, "leaked descriptor %d: %s\n", fd, link)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}

// OpenFDs lists this process's open descriptors and what they link to.
func OpenFDs() (map[int]string, error) {
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
