package syncobj

import (
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/syncfile"
	"github.com/vmemu/vmemu/uapi"
)

// FDs is the process's file descriptor table, as far as syncobj needs it:
// installing the files HANDLE_TO_FD creates and finding the files
// FD_TO_HANDLE is given. The amdgpu layer implements it with
// internal/hostfd.
type FDs interface {
	// Install installs obj as a new O_CLOEXEC file and returns its fd
	// (get_unused_fd_flags() plus fd_install()). release runs once, when
	// the last descriptor for the file is closed. On error the file was not
	// installed and release will not run.
	Install(obj any, release func()) (int, error)
	// Lookup returns the object behind fd, and false if fd is not open.
	Lookup(fd int) (any, bool)
}

// Eventfds resolves eventfd descriptors for SYNCOBJ_EVENTFD.
type Eventfds interface {
	// Get mirrors eventfd_ctx_fdget(): a new reference to the counter of
	// eventfd fd. It returns errno.EBADF if fd is not open and errno.EINVAL
	// if fd is not an eventfd.
	Get(fd int) (EventSink, error)
}

// EventSink is a reference to an eventfd counter (struct eventfd_ctx).
type EventSink interface {
	// Signal adds n to the counter (eventfd_signal() adds 1). It must not
	// block.
	Signal(n uint64) error
	// Close drops the reference (eventfd_ctx_put()).
	Close() error
}

// FenceFile is a file that holds a fence: what sync_file_get_fence()
// accepts. *syncfile.SyncFile implements it.
type FenceFile interface {
	// SyncFileFence returns the file's fence.
	SyncFileFence() *fence.Fence
}

var _ FenceFile = (*syncfile.SyncFile)(nil)

// eventfdEntry is struct syncobj_eventfd_entry: a one-shot eventfd
// notification for a point.
type eventfdEntry struct {
	point uint64
	flags uint32
	sink  EventSink
}

// fire signals the eventfd once and drops the reference
// (eventfd_signal() plus syncobj_eventfd_entry_free()).
func (e *eventfdEntry) fire() {
	e.sink.Signal(1)
	e.sink.Close()
}

// addEventfd mirrors drm_syncobj_add_eventfd(): queue the registration and
// evaluate it at once, so that it fires immediately if its condition holds.
func (s *Syncobj) addEventfd(e *eventfdEntry) {
	s.mu.Lock()
	if !s.eventfdCheckLocked(e) {
		s.eventfds = append(s.eventfds, e)
	}
	s.mu.Unlock()
}

// eventfdCheckLocked mirrors syncobj_eventfd_entry_func(). If point has not
// been submitted it reports false and the entry stays queued. Otherwise the
// entry leaves the queue (true): with WAIT_AVAILABLE it fires now; without,
// it fires when the point's fence signals, or now if it has.
//
// Preconditions: s.mu held.
func (s *Syncobj) eventfdCheckLocked(e *eventfdEntry) bool {
	f, ok := s.lookupLocked(e.point)
	if !ok {
		return false
	}
	if e.flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE != 0 {
		e.fire()
		return true
	}
	if f.AddCallback(func(*fence.Fence) { e.fire() }) == nil {
		e.fire()
	}
	return true
}
