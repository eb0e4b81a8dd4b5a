package amdgpu

import (
	"errors"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/vm"
)

// Policy selects how vmemu's EXPLICIT extension (not upstream uAPI) is
// scoped. Clients that never set the EXPLICIT flags get upstream's
// implicit behaviour under every policy.
type Policy uint8

const (
	// PolicyNoMixing is the 2022 proposal's rule E0: a VM is implicit or
	// explicit for its whole life. The first context allocation or GEM_VA
	// fixes the mode; an operation of the other mode then fails with
	// EINVAL.
	PolicyNoMixing Policy = iota
	// PolicyPerOperation is the later series' choice: each context and
	// GEM_VA operation chooses, and each freed mapping remembers whether
	// its unmap was explicit. A GEM_CLOSE is explicit once the file has
	// used the extension.
	PolicyPerOperation
)

func (p Policy) String() string {
	switch p {
	case PolicyNoMixing:
		return "explicit-no-mixing"
	case PolicyPerOperation:
		return "explicit-per-operation"
	}
	return "Policy(?)"
}

// vmMode is a VM's mode under PolicyNoMixing.
type vmMode uint8

const (
	modeUnset vmMode = iota
	modeImplicit
	modeExplicit
)

// useMode records that the file performs an operation of the given mode
// (rule E0). Under PolicyNoMixing a VM whose mode is fixed refuses the
// other mode with EINVAL.
func (f *File) useMode(explicit bool) error {
	want := modeImplicit
	if explicit {
		want = modeExplicit
	}
	if explicit && !f.usedExplicit.Load() {
		f.usedExplicit.Store(true)
	}
	if f.dev.cfg.Policy != PolicyNoMixing {
		return nil
	}
	m := vmMode(f.mode.Load())
	if m == modeUnset {
		if f.mode.CompareAndSwap(uint32(modeUnset), uint32(want)) {
			return nil
		}
		m = vmMode(f.mode.Load())
	}
	if m != want {
		return errno.EINVAL
	}
	return nil
}

// explicitFree reports whether frees on this file follow rule E4.
func (f *File) explicitFree() bool {
	if f.dev.cfg.Policy == PolicyNoMixing {
		return vmMode(f.mode.Load()) == modeExplicit
	}
	return f.usedExplicit.Load()
}

// vmMemory is the emulated memory as the GPU reaches it through page-table
// entries: the bo pools, checked by generation.
type vmMemory struct{ m *bo.Manager }

func (v vmMemory) Read(p bova.Placement, off uint64, b []byte) error {
	return staleErr(v.m.Read(bo.RefOf(p), off, b))
}

func (v vmMemory) Write(p bova.Placement, off uint64, b []byte) error {
	return staleErr(v.m.Write(bo.RefOf(p), off, b))
}

func staleErr(err error) error {
	if err == nil {
		return nil // without the errors.As below, whose target escapes
	}
	var uaf *bo.UseAfterFreeError
	if errors.As(err, &uaf) {
		return errors.Join(vm.ErrStale, err)
	}
	return err
}

// vmObjects resolves GEM handles for GEM_VA. The lookup takes no BO
// reference (drm_gem_object_lookup() does, and amdgpu_gem_va_ioctl() drops
// it at the end): the Go object stays valid while referenced, and a
// concurrent GEM_CLOSE deletes the bo_va under the reservation lock
// (amdgpu_gem_object_close()), which GEM_VA then reports as ENOENT.
type vmObjects struct{ f *File }

func (o vmObjects) LookupBO(handle uint32) (vm.BO, error) {
	b := o.f.gem.peek(handle)
	if b == nil {
		return nil, errno.ENOENT
	}
	return bo.VMBO{B: b}, nil
}

// VM returns the file's GPU virtual address space.
func (f *File) VM() *vm.VM { return f.vm }

// gemVA is DRM_IOCTL_AMDGPU_GEM_VA (amdgpu_gem_va_ioctl()). The legacy
// 40-byte struct arrives zero-extended by drm_ioctl(), so its tail fields
// read 0. Under PolicyNoMixing the EXPLICIT flag must match the VM's mode
// (a vmemu extension; checked only when the extension accepts the flag).
func (f *File) gemVA(s *dispatch.State) error {
	var a uapi.GemVA
	a.UnmarshalBytes(s.Buf)
	if f.dev.prof.Explicit {
		if err := f.useMode(a.Flags&uapi.AMDGPU_VM_EXPLICIT_SYNC != 0); err != nil {
			return err
		}
	}
	return f.vm.GemVA(&a, &vm.GemVAEnv{Objects: vmObjects{f}, Syncobjs: f.sync, Mem: s.IO,
		Ctx: &s.Acquire})
}

// amdgpuVM is DRM_IOCTL_AMDGPU_VM (amdgpu_vm_ioctl()).
func (f *File) amdgpuVM(s *dispatch.State) error {
	var in uapi.VMIn
	in.UnmarshalBytes(s.Buf)
	out, err := f.vm.VMIoctl(&in)
	if err != nil {
		return err
	}
	out.MarshalBytes(s.Buf)
	return nil
}
