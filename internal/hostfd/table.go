package hostfd

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// ErrClosed is returned by Table.Install after Table.Close.
var ErrClosed = errors.New("hostfd table closed")

// errCookieReused is returned by Install if a new socket has the cookie of
// an entry in the table.
var errCookieReused = errors.New("socket cookie already in the table")

// minSweep is the table size below which Install does not sweep on its own.
const minSweep = 64

// Table maps real descriptors of the process to emulator objects. Each
// Install creates a new open file (one AF_UNIX socket pair), as each
// drm_syncobj_get_fd() or sync_file_create() creates a new file; the
// object's release callback runs once no process holds a descriptor for it
// any more.
//
// The zero value is an empty Table ready to use. A Table is safe for
// concurrent use. Each installed object costs the process two descriptors
// while it lives: the client's and the one the Table keeps.
//
// # Release callbacks
//
// A release callback runs exactly once, on the goroutine of the Install,
// Sweep or Close call that reclaims the entry, without Table.mu held.
// Preconditions of Install, Sweep and Close: the caller holds no lock that a
// release callback takes.
//
// # Limitations
//
// The client end is a socket, not a sync_file: fstat, read, write and
// shutdown behave as on a socket. A client that calls shutdown(SHUT_RDWR) on
// its descriptor makes the object look dead to Sweep while the descriptor is
// still open (on a real sync_file, shutdown fails with ENOTSOCK).
type Table struct {
	mu sync.Mutex
	// entries maps a live client end's socket cookie to its entry. Protected
	// by mu.
	entries map[uint64]*Entry
	// nextSweep is the number of entries at which Install sweeps. Protected
	// by mu.
	nextSweep int
	// seq numbers installs, so that reclamation releases in install order.
	// Protected by mu.
	seq uint64
	// closed is set by Close. Protected by mu.
	closed bool
}

// Entry is one installed object: one open file of the host that stands for
// a syncobj or sync_file file. The emulator keeps it to mark the file
// readable later; the descriptor number it was installed under belongs to
// the client, which may close or reuse it.
type Entry struct {
	t   *Table
	obj any
	// cookie, dev and ino identify the client end. Immutable.
	cookie   uint64
	dev, ino uint64
	// seq is the install order. Immutable.
	seq uint64

	// kept is the Table's end of the socket pair, -1 once the entry is
	// reclaimed. Protected by t.mu.
	kept int
	// release is the callback to run when the entry is reclaimed. Protected
	// by t.mu.
	release func()
	// readable is set by MarkReadable. Protected by t.mu.
	readable bool
}

// Object returns the object the entry was installed with.
func (e *Entry) Object() any { return e.obj }

// Install creates a new descriptor for obj and returns it with its entry.
// The descriptor is O_CLOEXEC, as the kernel's syncobj and sync_file fds
// are, and belongs to the caller, who hands it to the client. release (may
// be nil) runs exactly once, after every copy of the descriptor in every
// process has been closed and a later Sweep, Install or Close notices, or at
// Close.
//
// Install may reclaim dead entries first (see Table), so its preconditions
// are those of Sweep. It returns ErrClosed after Close, or a wrapped errno
// (EMFILE, ENFILE, …) if the host is out of descriptors.
func (t *Table) Install(obj any, release func()) (fd int, e *Entry, err error) {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, nil, fmt.Errorf("install: %w", os.NewSyscallError("socketpair", err))
	}
	client, kept := p[0], p[1]
	cookie, dev, ino, err := identify(client)
	if err != nil {
		closeAll(p[:])
		return -1, nil, fmt.Errorf("install: %w", err)
	}
	e = &Entry{t: t, obj: obj, cookie: cookie, dev: dev, ino: ino, kept: kept, release: release}

	var dead []*Entry
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		closeAll(p[:])
		return -1, nil, ErrClosed
	}
	if t.entries == nil {
		t.entries = make(map[uint64]*Entry)
	}
	if _, ok := t.entries[cookie]; ok {
		// The kernel does not reuse cookies (before 5.11 it numbered them
		// per network namespace, so this needs a process that changed
		// namespace). Never guess which entry is meant.
		t.mu.Unlock()
		closeAll(p[:])
		return -1, nil, fmt.Errorf("install: %w", errCookieReused)
	}
	t.seq++
	e.seq = t.seq
	t.entries[cookie] = e
	if len(t.entries) >= t.nextSweep {
		dead = t.sweepLocked(dead)
		t.nextSweep = max(2*len(t.entries), minSweep)
	}
	t.mu.Unlock()

	finish(dead)
	return client, e, nil
}

// Lookup returns the object installed for the open file that fd refers to,
// in this process. It reports false for -1, a descriptor that is not open,
// and any descriptor that is not one of this Table's (a regular file,
// /dev/null, a DRM fd, another socket, a descriptor of an entry already
// reclaimed).
//
// Lookup makes two system calls (getsockopt SO_COOKIE, fstat) and reclaims
// nothing, so it may be called with any locks held.
func (t *Table) Lookup(fd int) (obj any, ok bool) {
	e, ok := t.LookupEntry(fd)
	if !ok {
		return nil, false
	}
	return e.obj, true
}

// LookupEntry is Lookup, returning the entry.
func (t *Table) LookupEntry(fd int) (*Entry, bool) {
	if fd < 0 {
		return nil, false
	}
	cookie, dev, ino, err := identify(fd)
	if err != nil {
		return nil, false
	}
	t.mu.Lock()
	e := t.entries[cookie]
	t.mu.Unlock()
	// The cookie finds the entry; the inode guards against a cookie
	// numbered in another network namespace (per-namespace counters,
	// kernels before 5.11).
	if e == nil || e.dev != dev || e.ino != ino {
		return nil, false
	}
	return e, true
}

// identify returns the socket cookie and the (st_dev, st_ino) of fd, or an
// error if fd is not an open socket.
func identify(fd int) (cookie, dev, ino uint64, err error) {
	cookie, err = unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_COOKIE)
	if err != nil {
		return 0, 0, 0, os.NewSyscallError("getsockopt SO_COOKIE", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, 0, 0, os.NewSyscallError("fstat", err)
	}
	return cookie, uint64(st.Dev), uint64(st.Ino), nil
}

// Sweep reclaims every entry whose descriptors have all been closed: it
// closes the kept end and runs the release callback, in install order. It
// returns the number of entries reclaimed.
//
// Preconditions: the caller holds no lock that a release callback takes.
func (t *Table) Sweep() int {
	t.mu.Lock()
	dead := t.sweepLocked(nil)
	t.nextSweep = max(2*len(t.entries), minSweep)
	t.mu.Unlock()
	finish(dead)
	return len(dead)
}

// sweepLocked polls every kept end without blocking, removes the entries
// whose client end is gone (POLLHUP: both directions shut down, which a
// stream socket sees when its peer is released) and appends them to dead.
//
// Preconditions: t.mu held.
func (t *Table) sweepLocked(dead []*Entry) []*Entry {
	if len(t.entries) == 0 {
		return dead
	}
	live := make([]*Entry, 0, len(t.entries))
	pfds := make([]unix.PollFd, 0, len(t.entries))
	for _, e := range t.entries {
		live = append(live, e)
		pfds = append(pfds, unix.PollFd{Fd: int32(e.kept), Events: unix.POLLHUP})
	}
	for {
		_, err := unix.Poll(pfds, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Poll of our own descriptors with no timeout fails only for
			// lack of memory; reclaim later.
			return dead
		}
		break
	}
	for i, e := range live {
		if pfds[i].Revents&(unix.POLLHUP|unix.POLLNVAL) != 0 {
			delete(t.entries, e.cookie)
			dead = append(dead, e)
		}
	}
	return dead
}

// finish closes the kept ends of entries removed from the table and runs
// their release callbacks, in install order.
//
// Preconditions: t.mu not held.
func finish(dead []*Entry) {
	if len(dead) == 0 {
		return
	}
	slices.SortFunc(dead, func(a, b *Entry) int { return cmp.Compare(a.seq, b.seq) })
	for _, e := range dead {
		e.t.mu.Lock()
		kept, release := e.kept, e.release
		e.kept, e.release = -1, nil
		e.t.mu.Unlock()
		if kept >= 0 {
			unix.Close(kept)
		}
		if release != nil {
			release()
		}
	}
}

// Len returns the number of entries in the table, live or dead but not yet
// reclaimed.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// Close reclaims every entry, live or not, and makes later Installs fail
// with ErrClosed. Descriptors the clients still hold stay open but map to
// nothing, and poll as POLLHUP. Close is idempotent and returns nil.
//
// Preconditions: the caller holds no lock that a release callback takes.
func (t *Table) Close() error {
	t.mu.Lock()
	t.closed = true
	dead := make([]*Entry, 0, len(t.entries))
	for _, e := range t.entries {
		dead = append(dead, e)
	}
	t.entries = nil
	t.mu.Unlock()
	finish(dead)
	return nil
}

// MarkReadable makes the entry's descriptors poll readable (POLLIN), as a
// sync_file polls readable once its fence has signaled (sync_file_poll()).
// It writes one byte into the kept end, once: later calls do nothing, and so
// does a call on an entry already reclaimed. A client that read(2)s the byte
// from its descriptor (which a real sync_file does not allow) makes it
// unreadable again.
//
// It is safe to call with any locks held: it takes only Table.mu.
func (e *Entry) MarkReadable() error {
	e.t.mu.Lock()
	defer e.t.mu.Unlock()
	if e.readable || e.kept < 0 {
		return nil
	}
	if _, err := unix.Write(e.kept, []byte{1}); err != nil {
		return fmt.Errorf("mark readable: %w", os.NewSyscallError("write", err))
	}
	e.readable = true
	return nil
}
