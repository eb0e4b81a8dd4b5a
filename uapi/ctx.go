package uapi

import "structs"

// CTX and SCHED request numbers. SCHED is DRM_IOW and needs DRM_MASTER.
const (
	DRM_IOCTL_AMDGPU_CTX   uint32 = drmIOWR | SizeOfCtx<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_CTX)
	DRM_IOCTL_AMDGPU_SCHED uint32 = drmIOW | SizeOfSched<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_SCHED)
)

// Union sizes (x86-64/arm64).
const (
	SizeOfCtx   = 16 // union drm_amdgpu_ctx
	SizeOfSched = 16 // union drm_amdgpu_sched
)

// CTX operations (AMDGPU_CTX_OP_*).
const (
	AMDGPU_CTX_OP_ALLOC_CTX         = 1
	AMDGPU_CTX_OP_FREE_CTX          = 2
	AMDGPU_CTX_OP_QUERY_STATE       = 3
	AMDGPU_CTX_OP_QUERY_STATE2      = 4
	AMDGPU_CTX_OP_GET_STABLE_PSTATE = 5
	AMDGPU_CTX_OP_SET_STABLE_PSTATE = 6
)

// GPU reset status reported by AMDGPU_CTX_OP_QUERY_STATE.
const (
	AMDGPU_CTX_NO_RESET       = 0
	AMDGPU_CTX_GUILTY_RESET   = 1 // this context caused it
	AMDGPU_CTX_INNOCENT_RESET = 2 // another context caused it
	AMDGPU_CTX_UNKNOWN_RESET  = 3
)

// AMDGPU_CTX_OP_QUERY_STATE2 flags.
const (
	AMDGPU_CTX_QUERY2_FLAGS_RESET             = 1 << 0
	AMDGPU_CTX_QUERY2_FLAGS_VRAMLOST          = 1 << 1
	AMDGPU_CTX_QUERY2_FLAGS_GUILTY            = 1 << 2
	AMDGPU_CTX_QUERY2_FLAGS_RAS_CE            = 1 << 3
	AMDGPU_CTX_QUERY2_FLAGS_RAS_UE            = 1 << 4
	AMDGPU_CTX_QUERY2_FLAGS_RESET_IN_PROGRESS = 1 << 5
)

// Context priorities (AMDGPU_CTX_PRIORITY_*). Above NORMAL needs
// CAP_SYS_NICE or DRM master.
const (
	AMDGPU_CTX_PRIORITY_UNSET     = -2048
	AMDGPU_CTX_PRIORITY_VERY_LOW  = -1023
	AMDGPU_CTX_PRIORITY_LOW       = -512
	AMDGPU_CTX_PRIORITY_NORMAL    = 0
	AMDGPU_CTX_PRIORITY_HIGH      = 512
	AMDGPU_CTX_PRIORITY_VERY_HIGH = 1023
)

// Stable profiling pstates (AMDGPU_CTX_STABLE_PSTATE_*).
const (
	AMDGPU_CTX_STABLE_PSTATE_FLAGS_MASK = 0xf
	AMDGPU_CTX_STABLE_PSTATE_NONE       = 0
	AMDGPU_CTX_STABLE_PSTATE_STANDARD   = 1
	AMDGPU_CTX_STABLE_PSTATE_MIN_SCLK   = 2
	AMDGPU_CTX_STABLE_PSTATE_MIN_MCLK   = 3
	AMDGPU_CTX_STABLE_PSTATE_PEAK       = 4
)

// AMDGPU_CTX_FLAGS_EXPLICIT_SYNC is a vmemu extension, NOT upstream UAPI:
// a CtxIn.Flags bit for AMDGPU_CTX_OP_ALLOC_CTX. Upstream requires flags == 0
// for ALLOC_CTX, so a real kernel answers -EINVAL; vmemu accepts it only when
// the device profile enables the explicit-sync extension (see
// AMDGPU_VM_EXPLICIT_SYNC).
const AMDGPU_CTX_FLAGS_EXPLICIT_SYNC = 1 << 31

// CtxIn is struct drm_amdgpu_ctx_in, from include/uapi/drm/amdgpu_drm.h.
type CtxIn struct {
	_        structs.HostLayout
	Op       uint32 // AMDGPU_CTX_OP_*
	Flags    uint32
	CtxID    uint32
	Priority int32 // AMDGPU_CTX_PRIORITY_*
}

// CtxOutAlloc is the alloc arm of union drm_amdgpu_ctx_out, from
// include/uapi/drm/amdgpu_drm.h.
type CtxOutAlloc struct {
	_     structs.HostLayout
	CtxID uint32
	Pad   uint32
}

// CtxOutState is the state arm of union drm_amdgpu_ctx_out, from
// include/uapi/drm/amdgpu_drm.h (QUERY_STATE and QUERY_STATE2).
type CtxOutState struct {
	_           structs.HostLayout
	Flags       uint64 // QUERY_STATE2: AMDGPU_CTX_QUERY2_FLAGS_*
	Hangs       uint32
	ResetStatus uint32 // AMDGPU_CTX_*_RESET
}

// CtxOutPstate is the pstate arm of union drm_amdgpu_ctx_out, from
// include/uapi/drm/amdgpu_drm.h.
type CtxOutPstate struct {
	_     structs.HostLayout
	Flags uint32 // AMDGPU_CTX_STABLE_PSTATE_*
	Pad   uint32
}

// SCHED operations.
const (
	AMDGPU_SCHED_OP_PROCESS_PRIORITY_OVERRIDE = 1
	AMDGPU_SCHED_OP_CONTEXT_PRIORITY_OVERRIDE = 2
)

// SchedIn is struct drm_amdgpu_sched_in, from include/uapi/drm/amdgpu_drm.h,
// the only arm of union drm_amdgpu_sched.
type SchedIn struct {
	_        structs.HostLayout
	Op       uint32 // AMDGPU_SCHED_OP_*
	FD       uint32 // DRM fd of the target process (__u32 in the header)
	Priority int32  // AMDGPU_CTX_PRIORITY_*
	CtxID    uint32
}
