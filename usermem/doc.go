// Package usermem is vmemu's copy_from_user / copy_to_user: the only way an
// ioctl handler reaches user memory.
//
// The kernel's handlers read and write user memory only through
// copy_from_user() and copy_to_user() (include/linux/uaccess.h), which fail
// with -EFAULT on an address the caller cannot access. vmemu's handlers do the
// same through the IO interface, so one handler serves three faces:
//
//   - Local: the in-process Go API, where user addresses are real pointers
//     into the calling process.
//   - Sandbox: a fake address space of mapped regions, for the socket server
//     (memory read back from a remote client), trace replay (captured
//     buffers) and fuzzing.
//   - any other IO a caller supplies.
//
// The typed helpers (CopyInU32s, CopyOutU64s, …) move little-endian handle
// and point arrays without allocating, and CheckArray bounds a count that
// comes from user space before a handler sizes a buffer by it, as
// kvmalloc_array() does in the kernel.
//
// # Caller's obligations
//
// With Local, an address is trusted: the caller must pass addresses of memory
// it owns, valid for the whole length and kept alive (and unmoved) until the
// ioctl returns. See Local.
//
// # Concurrency
//
// Local is stateless. Sandbox is safe for concurrent use; see Sandbox for the
// lock order (its lock is a leaf).
package usermem
