// Package amdgpu is vmemu's emulated amdgpu driver and its composition root:
// a Device (struct amdgpu_device with its drm_device) and the Files opened on
// it (struct drm_file with its amdgpu_fpriv), and the ioctl tables that route
// every DRM core and amdgpu ioctl to the packages that model it.
//
// # Usage
//
//	dev, err := amdgpu.New(amdgpu.Config{}) // default profile, virtual clock, EXPLICIT on
//	f, err := dev.Open()                    // one render-node file
//	var c uapi.SyncobjCreate
//	err = f.Ioctl(uintptr(uapi.DRM_IOCTL_SYNCOBJ_CREATE), unsafe.Pointer(&c))
//
// Ioctl takes the kernel's request numbers and struct layouts; pointers inside
// argument structs are real pointers into the caller's memory, which must stay
// valid for the call. Errors are syscall.Errno values (errors.As finds them).
// Absolute timeouts refer to Device.Now.
//
// # File descriptors
//
// Syncobj fds and sync_file fds are real descriptors of the process
// (internal/hostfd): they can be closed with close(2), dup'ed and passed to
// another process; importing one maps it back to its object, which lives while
// any copy of the descriptor does. ioctls meant for those fds themselves
// (sync_file's SYNC_IOC_*, sw_sync's SW_SYNC_IOC_*) are issued with
// Device.FDIoctl, because the kernel would not route them to vmemu.
//
// # Concurrency
//
// Devices and Files are safe for concurrent use: several goroutines may issue
// ioctls on one File, as threads do on one fd, and a wait blocked in one is
// woken by a signal from another. Lock order: Device.mu → File.mu → object
// locks (syncobj, reservation objects) → hostfd.Table (a leaf).
package amdgpu
