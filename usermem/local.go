package usermem

// Local is the IO of the calling process itself: user addresses are real
// pointers into the caller's memory. It is the face of vmemu's in-process Go
// API, where a client fills a struct field with
//
//	uint64(uintptr(unsafe.Pointer(&buf[0])))
//
// (or SliceAddr(buf), PtrAddr(&s), which keep unsafe out of the client) and
// issues the ioctl.
//
// Local neither allocates nor makes system calls; it is a bounds check and a
// memmove. Its zero value is ready to use and it is safe for concurrent use
// (concurrent copies to the same bytes race as user memory does).
//
// # Caller's obligations
//
// Unlike the kernel, Local cannot tell a wild pointer from a good one. It
// rejects only address 0 and ranges that wrap past 2^64 (errno.EFAULT); any
// other bad address is dereferenced and crashes the process, or silently
// reads or corrupts unrelated memory. So the caller of an ioctl through
// Local must pass only addresses of memory that
//
//   - it owns and may read (CopyIn) or write (CopyOut) for the whole length
//     the ioctl uses (a struct's count times the element size);
//   - stays allocated until the ioctl returns: a uintptr does not keep a Go
//     object alive, so call runtime.KeepAlive(buf) after the ioctl, or pin it;
//   - does not move during the call: a Go object that escape analysis left
//     on a goroutine stack moves when the stack grows, which the ioctl itself
//     may cause. Use heap memory (make with a size only known at run time, or
//     anything that escapes), pin it with runtime.Pinner, or use memory from
//     outside the Go heap (mmap, C).
//
// A runtime.Pinner covers all three: Pin(&buf[0]) before taking the address
// and Unpin after the ioctl returns.
type Local struct{}

var _ IO = Local{}
