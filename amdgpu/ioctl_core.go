package amdgpu

import (
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

type desc = dispatch.Desc[*File]

// ioctlTable is drm_ioctls[] plus amdgpu_ioctls_kms[].
var ioctlTable = dispatch.NewTable(coreIoctls(), driverIoctls())

// drmIOWR builds a core request number with only nr, flags and the
// direction known: for ioctls vmemu does not implement and a render node may
// not call (drm_ioctl_permit() refuses them after copy-in).
func drmIOWR(nr uint32) uint32 { return 3<<30 | uint32('d')<<8 | nr }

// coreIoctls mirrors drm_ioctls[] in drivers/gpu/drm/drm_ioctl.c: the entries
// and permission flags of the DRM core table. Slots absent here are holes
// (EINVAL).
func coreIoctls() []desc {
	const (
		auth   = dispatch.DRM_AUTH
		master = dispatch.DRM_MASTER
		root   = dispatch.DRM_ROOT_ONLY
		render = dispatch.DRM_RENDER_ALLOW
	)
	ds := []desc{
		{Name: "VERSION", Req: uapi.DRM_IOCTL_VERSION, Flags: render, Fn: (*File).drmVersion},
		{Name: "GEM_CLOSE", Req: uapi.DRM_IOCTL_GEM_CLOSE, Flags: render, Fn: (*File).gemClose},
		{Name: "GET_CAP", Req: uapi.DRM_IOCTL_GET_CAP, Flags: render, Fn: (*File).getCap},
		{Name: "PRIME_HANDLE_TO_FD", Req: uapi.DRM_IOCTL_PRIME_HANDLE_TO_FD, Flags: render, Fn: (*File).primeHandleToFD},
		{Name: "PRIME_FD_TO_HANDLE", Req: uapi.DRM_IOCTL_PRIME_FD_TO_HANDLE, Flags: render, Fn: (*File).primeFDToHandle},
		{Name: "SET_CLIENT_NAME", Req: uapi.DRM_IOCTL_SET_CLIENT_NAME, Flags: render, Fn: (*File).setClientName},
	}
	ds = append(ds, syncobjIoctls()...)
	// The rest of the table: present in the kernel, refused on a render node.
	for _, e := range []struct {
		nr    uint32
		name  string
		flags uint32
	}{
		{0x01, "GET_UNIQUE", 0}, {0x02, "GET_MAGIC", 0}, {0x05, "GET_CLIENT", 0},
		{0x06, "GET_STATS", 0}, {0x07, "SET_VERSION", master},
		{0x0A, "GEM_FLINK", auth}, {0x0B, "GEM_OPEN", auth},
		{0x0D, "SET_CLIENT_CAP", 0},
		{0x10, "SET_UNIQUE", auth | master | root}, {0x11, "AUTH_MAGIC", master},
		{0x12, "BLOCK", auth | master | root}, {0x13, "UNBLOCK", auth | master | root},
		{0x1E, "SET_MASTER", 0}, {0x1F, "DROP_MASTER", 0},
		{0x27, "ADD_DRAW", auth | master | root}, {0x28, "RM_DRAW", auth | master | root},
		{0x2C, "FINISH", auth}, {0x3A, "WAIT_VBLANK", 0},
		{0x3B, "CRTC_GET_SEQUENCE", 0}, {0x3C, "CRTC_QUEUE_SEQUENCE", 0},
		{0x3F, "UPDATE_DRAW", auth | master | root},
		{0xA0, "MODE_GETRESOURCES", 0}, {0xA1, "MODE_GETCRTC", 0}, {0xA2, "MODE_SETCRTC", master},
		{0xA3, "MODE_CURSOR", master}, {0xA4, "MODE_GETGAMMA", 0}, {0xA5, "MODE_SETGAMMA", master},
		{0xA6, "MODE_GETENCODER", 0}, {0xA7, "MODE_GETCONNECTOR", 0},
		{0xA8, "MODE_ATTACHMODE", master}, {0xA9, "MODE_DETACHMODE", master},
		{0xAA, "MODE_GETPROPERTY", 0}, {0xAB, "MODE_SETPROPERTY", master},
		{0xAC, "MODE_GETPROPBLOB", 0}, {0xAD, "MODE_GETFB", 0}, {0xAE, "MODE_ADDFB", 0},
		{0xAF, "MODE_RMFB", 0}, {0xB0, "MODE_PAGE_FLIP", master}, {0xB1, "MODE_DIRTYFB", master},
		{0xB2, "MODE_CREATE_DUMB", 0}, {0xB3, "MODE_MAP_DUMB", 0}, {0xB4, "MODE_DESTROY_DUMB", 0},
		{0xB5, "MODE_GETPLANERESOURCES", 0}, {0xB6, "MODE_GETPLANE", 0}, {0xB7, "MODE_SETPLANE", master},
		{0xB8, "MODE_ADDFB2", 0}, {0xB9, "MODE_OBJ_GETPROPERTIES", 0}, {0xBA, "MODE_OBJ_SETPROPERTY", master},
		{0xBB, "MODE_CURSOR2", master}, {0xBC, "MODE_ATOMIC", master},
		{0xBD, "MODE_CREATEPROPBLOB", 0}, {0xBE, "MODE_DESTROYPROPBLOB", 0},
		{0xC6, "MODE_CREATE_LEASE", master}, {0xC7, "MODE_LIST_LESSEES", master},
		{0xC8, "MODE_GET_LEASE", master}, {0xC9, "MODE_REVOKE_LEASE", master},
		{0xCE, "MODE_GETFB2", 0}, {0xD0, "MODE_CLOSEFB", 0},
	} {
		ds = append(ds, desc{Name: e.name, Req: drmIOWR(e.nr), Flags: e.flags})
	}
	return ds
}

// drmVersion mirrors drm_version() in drm_ioctl.c: each string is copied up
// to the caller's length, without a NUL, and the full length is stored.
func (f *File) drmVersion(s *dispatch.State) error {
	var a uapi.DRMVersion
	a.UnmarshalBytes(s.Buf)
	v := f.dev.version
	a.VersionMajor, a.VersionMinor, a.VersionPatchlevel = v.Major, v.Minor, v.Patch
	var err error
	copyStr := func(length *uint64, p uapi.P64, str string) {
		if err != nil {
			return
		}
		n := min(*length, uint64(len(str)))
		*length = uint64(len(str))
		if n > 0 && p.Addr() != 0 {
			err = s.IO.CopyOut(p.Addr(), []byte(str[:n]))
		}
	}
	copyStr(&a.NameLen, a.Name, v.Name)
	copyStr(&a.DateLen, a.Date, v.Date)
	copyStr(&a.DescLen, a.Desc, v.Desc)
	a.MarshalBytes(s.Buf)
	if err != nil {
		return errno.EFAULT
	}
	return nil
}

// getCap mirrors drm_getcap(): the render-capable caps first, then the
// KMS caps amdgpu (a DRIVER_MODESET driver) answers; unknown → EINVAL.
func (f *File) getCap(s *dispatch.State) error {
	var a uapi.GetCap
	a.UnmarshalBytes(s.Buf)
	a.Value = 0
	switch a.Capability {
	case uapi.DRM_CAP_TIMESTAMP_MONOTONIC:
		a.Value = 1
	case uapi.DRM_CAP_PRIME:
		a.Value = uapi.DRM_PRIME_CAP_IMPORT | uapi.DRM_PRIME_CAP_EXPORT
	case uapi.DRM_CAP_SYNCOBJ, uapi.DRM_CAP_SYNCOBJ_TIMELINE:
		a.Value = 1 // amdgpu sets DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE
	// KMS caps. vmemu emulates no display; the values are what amdgpu's
	// drm_device setup gives (prefer_shadow, preferred_depth 24, async
	// flips, modifiers).
	case uapi.DRM_CAP_DUMB_BUFFER, uapi.DRM_CAP_VBLANK_HIGH_CRTC,
		uapi.DRM_CAP_DUMB_PREFER_SHADOW, uapi.DRM_CAP_ASYNC_PAGE_FLIP,
		uapi.DRM_CAP_PAGE_FLIP_TARGET, uapi.DRM_CAP_CRTC_IN_VBLANK_EVENT,
		uapi.DRM_CAP_ADDFB2_MODIFIERS:
		a.Value = 1
	case uapi.DRM_CAP_DUMB_PREFERRED_DEPTH:
		a.Value = 24
	case uapi.DRM_CAP_CURSOR_WIDTH, uapi.DRM_CAP_CURSOR_HEIGHT:
		a.Value = 64 // drm_getcap()'s default when the driver sets no size
	default:
		a.MarshalBytes(s.Buf)
		return errno.EINVAL
	}
	a.MarshalBytes(s.Buf)
	return nil
}

// setClientName mirrors drm_set_client_name(): length bound, a printable
// string with no NUL inside.
func (f *File) setClientName(s *dispatch.State) error {
	var a uapi.SetClientName
	a.UnmarshalBytes(s.Buf)
	if a.NameLen > uapi.DRM_CLIENT_NAME_MAX_LEN {
		return errno.EINVAL
	}
	name := ""
	if a.NameLen > 0 {
		b := make([]byte, a.NameLen)
		if err := s.IO.CopyIn(a.Name.Addr(), b); err != nil {
			return errno.EFAULT
		}
		for _, c := range b {
			// drm_validate_value_string(): printable, no spaces.
			if c == 0 || c <= ' ' || c > '~' {
				return errno.EINVAL
			}
		}
		name = string(b)
	}
	f.mu.Lock()
	f.clientName = name
	f.mu.Unlock()
	return nil
}

// driverIoctls mirrors amdgpu_ioctls_kms[] (amdgpu_drv.c, D1): every entry
// DRM_AUTH|DRM_RENDER_ALLOW except SCHED (DRM_MASTER).
func driverIoctls() []desc {
	const authRender = dispatch.DRM_AUTH | dispatch.DRM_RENDER_ALLOW
	// Entries with a nil Fn are ioctls vmemu has not built yet: they answer
	// EINVAL and log an internal error, never a silent success.
	return []desc{
		{Name: "AMDGPU_GEM_CREATE", Req: uapi.DRM_IOCTL_AMDGPU_GEM_CREATE, Flags: authRender, Fn: (*File).gemCreate},
		{Name: "AMDGPU_GEM_MMAP", Req: uapi.DRM_IOCTL_AMDGPU_GEM_MMAP, Flags: authRender, Fn: (*File).gemMmap},
		{Name: "AMDGPU_CTX", Req: uapi.DRM_IOCTL_AMDGPU_CTX, Flags: authRender, Fn: (*File).amdgpuCtx},
		{Name: "AMDGPU_BO_LIST", Req: uapi.DRM_IOCTL_AMDGPU_BO_LIST, Flags: authRender, Fn: (*File).amdgpuBOList},
		{Name: "AMDGPU_CS", Req: uapi.DRM_IOCTL_AMDGPU_CS, Flags: authRender, Fn: (*File).amdgpuCS},
		{Name: "AMDGPU_INFO", Req: uapi.DRM_IOCTL_AMDGPU_INFO, Flags: authRender, Fn: (*File).amdgpuInfo},
		{Name: "AMDGPU_GEM_METADATA", Req: uapi.DRM_IOCTL_AMDGPU_GEM_METADATA, Flags: authRender, Fn: (*File).gemMetadata},
		{Name: "AMDGPU_GEM_WAIT_IDLE", Req: uapi.DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE, Flags: authRender, Fn: (*File).gemWaitIdle},
		{Name: "AMDGPU_GEM_VA", Req: uapi.DRM_IOCTL_AMDGPU_GEM_VA, Flags: authRender, Fn: (*File).gemVA},
		{Name: "AMDGPU_WAIT_CS", Req: uapi.DRM_IOCTL_AMDGPU_WAIT_CS, Flags: authRender, Fn: (*File).amdgpuWaitCS},
		{Name: "AMDGPU_GEM_OP", Req: uapi.DRM_IOCTL_AMDGPU_GEM_OP, Flags: authRender, Fn: (*File).gemOp},
		{Name: "AMDGPU_GEM_USERPTR", Req: uapi.DRM_IOCTL_AMDGPU_GEM_USERPTR, Flags: authRender, Fn: (*File).gemUserptr},
		{Name: "AMDGPU_WAIT_FENCES", Req: uapi.DRM_IOCTL_AMDGPU_WAIT_FENCES, Flags: authRender, Fn: (*File).amdgpuWaitFences},
		{Name: "AMDGPU_VM", Req: uapi.DRM_IOCTL_AMDGPU_VM, Flags: authRender, Fn: (*File).amdgpuVM},
		{Name: "AMDGPU_FENCE_TO_HANDLE", Req: uapi.DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE, Flags: authRender, Fn: (*File).amdgpuFenceToHandle},
		{Name: "AMDGPU_SCHED", Req: uapi.DRM_IOCTL_AMDGPU_SCHED, Flags: dispatch.DRM_MASTER},
		{Name: "AMDGPU_USERQ", Req: uapi.DRM_IOCTL_AMDGPU_USERQ, Flags: authRender},
		{Name: "AMDGPU_USERQ_SIGNAL", Req: uapi.DRM_IOCTL_AMDGPU_USERQ_SIGNAL, Flags: authRender},
		{Name: "AMDGPU_USERQ_WAIT", Req: uapi.DRM_IOCTL_AMDGPU_USERQ_WAIT, Flags: authRender},
		{Name: "AMDGPU_GEM_LIST_HANDLES", Req: uapi.DRM_IOCTL_AMDGPU_GEM_LIST_HANDLES, Flags: authRender, Fn: (*File).gemListHandles},
	}
}
