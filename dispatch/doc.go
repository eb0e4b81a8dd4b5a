// Package dispatch is drm_ioctl() (drivers/gpu/drm/drm_ioctl.c): the ioctl
// tables of a DRM file and the rules by which the DRM core copies an ioctl's
// argument in and out, implemented once for every vmemu ioctl.
//
// The rules (spec/uapi.md §1.2), in the kernel's order:
//
//  1. A request whose type byte is not 'd' → ENOTTY.
//  2. nr in [DRM_COMMAND_BASE, DRM_COMMAND_END) selects the driver table at
//     nr-0x40, anything else the core table; past the end, or a hole with no
//     handler → EINVAL.
//  3. Only nr selects the handler. in_size is the caller's size when both the
//     caller's request and the kernel's have the IN (write) bit, else 0;
//     out_size likewise with OUT. The kernel buffer is max(in_size,
//     out_size, kernel size); bytes past in_size are zero. So an older,
//     shorter struct works (new fields read 0) and a longer one has its tail
//     ignored.
//  4. The argument is copied in (EFAULT), then drm_ioctl_permit() runs
//     (EACCES: DRM_ROOT_ONLY, DRM_AUTH, DRM_MASTER, and on a render node
//     every ioctl without DRM_RENDER_ALLOW), then the handler.
//  5. out_size bytes are copied back even when the handler failed; a fault
//     there turns the result into EFAULT.
//
// Handlers see the kernel buffer only: user memory beyond the argument (arrays
// the argument points to) is reached through the usermem.IO in the State.
package dispatch
