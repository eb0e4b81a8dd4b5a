package uapi

// P64 is a __u64 that carries a user-space address, such as
// drm_amdgpu_cs_in.chunks or drm_syncobj_wait.handles. Keeping it a distinct
// type stops a user address from being used as a plain number (or the
// reverse) by accident; Addr is the one conversion to an address.
type P64 uint64

// Addr returns the user-space address p holds.
func (p P64) Addr() uint64 { return uint64(p) }

// IsNull reports whether p is the NULL user pointer.
func (p P64) IsNull() bool { return p == 0 }
