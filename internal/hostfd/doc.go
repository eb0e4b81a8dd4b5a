// Package hostfd gives emulator objects real file descriptors of the host
// process, and holds every raw system call vmemu makes: it is the only
// package that imports golang.org/x/sys/unix.
//
// The kernel hands out a syncobj or a sync_file as an anonymous file
// (drm_syncobj_get_fd() in drivers/gpu/drm/drm_syncobj.c, sync_file_create()
// in drivers/dma-buf/sync_file.c). The file lives while any descriptor for it
// exists in any process, so it can be dup'ed, closed, passed with
// SCM_RIGHTS, and imported again by FD_TO_HANDLE or IMPORT_SYNC_FILE. vmemu
// cannot create anonymous files with its own file operations, so a Table
// stands in for them with AF_UNIX socket pairs: the client gets one end as
// the descriptor, the Table keeps the other, and
//
//   - an imported descriptor maps back to its object by its socket cookie
//     (SO_COOKIE) and inode (Table.Lookup);
//   - the object is dead once every copy of the client end is closed in every
//     process, which the kept end observes as POLLHUP (Table.Sweep);
//   - a signaled sync_file polls readable, as sync_file_poll() reports
//     EPOLLIN for a signaled fence, because a byte is written into the kept
//     end (Entry.MarkReadable).
//
// Reclamation is lazy and deterministic: no goroutine watches the
// descriptors. Dead entries are released by Sweep, by Install once the table
// has doubled since the last sweep, and by Close.
//
// Eventfd wraps the eventfd that DRM_IOCTL_SYNCOBJ_EVENTFD registers
// (drm_syncobj_eventfd() → eventfd_ctx_fdget()), and the rest of the package
// is thin wrappers (Close, Dup, Poll, Socketpair, SendFDs, RecvFDs, …) over
// the system calls the emulator needs.
//
// # Requirements
//
// Linux 4.12 or later (SO_COOKIE) with /proc mounted (IsEventfd).
//
// # Lock order
//
// Table.mu and Eventfd.mu are leaf locks: nothing outside the package is
// called with them held, and release callbacks run without them.
package hostfd
