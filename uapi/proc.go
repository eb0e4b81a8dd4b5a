package uapi

import "structs"

// DRM_IOCTL_AMDGPU_PROC_OPTIONS exists only in linux-next.
const DRM_IOCTL_AMDGPU_PROC_OPTIONS uint32 = drmIOWR | SizeOfProcOptions<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_PROC_OPTIONS)

// SizeOfProcOptions is the size of struct drm_amdgpu_proc_options.
const SizeOfProcOptions = 8

// PROC_OPTIONS operations and values (linux-next only).
const (
	AMDGPU_PROC_OPTIONS_OP_KFD_SIGBUS_DELAY = 0

	// AMDGPU_PROC_OPTIONS_KFD_SIGBUS_DELAY_DISABLED: SIGBUS is never
	// raised. 0 raises it immediately; other values are a delay in ms.
	AMDGPU_PROC_OPTIONS_KFD_SIGBUS_DELAY_DISABLED = 0xFFFFFFFF
)

// ProcOptions is struct drm_amdgpu_proc_options, from the linux-next
// include/uapi/drm/amdgpu_drm.h (not in mainline).
type ProcOptions struct {
	_                   structs.HostLayout
	Op                  uint32 // AMDGPU_PROC_OPTIONS_OP_*
	KFDSigbusDelayValue uint32 // kfd_sigbus_delay.value
}
