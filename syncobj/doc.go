// Package syncobj models DRM sync objects: drivers/gpu/drm/drm_syncobj.c
// (struct drm_syncobj, the per-file handle xarray and every
// DRM_IOCTL_SYNCOBJ_* handler) and the sync_file objects
// (drivers/dma-buf/sync_file.c) that SYNCOBJ_HANDLE_TO_FD and
// SYNCOBJ_FD_TO_HANDLE move fences through. spec/uapi.md §3.2 and §4 are
// the reference; the bullet names used in comments (C1, W9, P4, …) are the
// spec's.
//
//   - Syncobj is struct drm_syncobj: a refcounted container holding at most
//     one *fence.Fence, a binary payload or the head of a dma_fence_chain
//     timeline. ReplaceFence and AddPoint re-evaluate every WAIT_FOR_SUBMIT /
//     WAIT_AVAILABLE waiter and every eventfd registration, as
//     drm_syncobj_replace_fence() and drm_syncobj_add_point() do.
//   - Table is the per-DRM-file handle table (drm_file.syncobj_xa) with one
//     method per ioctl. Each method takes the ioctl struct's fields as plain
//     values, reads handle and point arrays through a usermem.IO, returns the
//     out fields, and makes the kernel's checks in the kernel's order.
//
// # Usage
//
// The ioctl layer owns one Table per open DRM file and calls the method of
// each syncobj ioctl with the fields of the argument struct it copied in:
//
//	t := syncobj.NewTable(domain, fds, eventfds)
//	h, err := t.Create(args.Flags)
//
// Driver code (amdgpu CS, GEM_VA) works on objects without ioctls:
// Table.Lookup (a new reference: Put it), Table.FindFence
// (drm_syncobj_find_fence()), Syncobj.ReplaceFence, Syncobj.AddPoint,
// New plus Table.Install to create one.
//
// Errors crossing the ioctl boundary are errnos from package errno
// (syscall.Errno values); plumbing failures (an ioctl needing file
// descriptors on a Table built without FDs) are *errno.Internal.
//
// # Time
//
// Timeouts are absolute times on the fence domain's sim.Clock, which stands
// for CLOCK_MONOTONIC. Waits block in Clock.Wait with a wake channel poked by
// fence callbacks and syncobj updates; in virtual mode they drive the clock.
// The kernel's sleeps are interruptible (-ERESTARTSYS); a Go caller cannot
// be signalled, so waits are interrupted only through the optional cancel
// channel (WaitArgs.Cancel), which yields errno.ERESTARTSYS.
//
// # Concurrency and lock order
//
// Table and Syncobj are safe for concurrent use: several goroutines may
// issue ioctls on one file, and several files may share a Syncobj through
// fds. Lock order: Table.mu, then Syncobj.mu, then the fence package's
// locks. Syncobj.mu (the kernel's syncobj->lock spinlock) is held while
// chains are walked and while eventfd sinks are signalled, so fence
// callbacks and EventSink implementations must not call back into the same
// Syncobj; they must not block.
package syncobj
