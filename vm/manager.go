package vm

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/profile"
	"github.com/vmemu/vmemu/uapi"
)

// BO is what the VM needs of a buffer object; see bova.BO.
type BO = bova.BO

// Placement is a BO's backing store; see bova.Placement.
type Placement = bova.Placement

// Memory is the emulated memory the GPU reaches through the page tables:
// the bo package's pools. Read and Write access off bytes into the
// allocation p names (p.Offset is already added by the caller). They return
// an error, ErrStale or one wrapping it, when p's generation is no longer
// the allocation's: the memory was released and may be reused. That is a
// use-after-free, which the kernel rules must make impossible.
type Memory interface {
	Read(p Placement, off uint64, b []byte) error
	Write(p Placement, off uint64, b []byte) error
}

// ErrStale is what a Memory returns (possibly wrapped) for an access to a
// released allocation generation.
var ErrStale = errors.New("vm: access to a released allocation generation")

// Layout is the VA layout amdgpu_gem_va_ioctl() checks against: the
// reserved bottom and top, the GMC hole and vm_manager.max_pfn.
type Layout struct {
	// MaxPFN is adev->vm_manager.max_pfn: the VM size in GPU pages.
	MaxPFN uint64
	// ReservedBottom is AMDGPU_VA_RESERVED_BOTTOM, ReservedTop
	// AMDGPU_VA_RESERVED_TOP.
	ReservedBottom, ReservedTop uint64
	// HoleStart, HoleEnd and HoleMask are the GMC hole
	// (AMDGPU_GMC_HOLE_START/END/MASK, or the 57-bit values).
	HoleStart, HoleEnd, HoleMask uint64
}

// LayoutFromProfile returns p's layout: max_pfn = 2^VABits / 4 KiB, the
// profile's reserved sizes (the ones DEV_INFO reports, so that GEM_VA and
// AMDGPU_INFO agree) and the 48- or 57-bit hole.
func LayoutFromProfile(p *profile.Profile) Layout {
	l := Layout{
		MaxPFN:         (uint64(1) << p.VABits) / profile.GPUPageSize,
		ReservedBottom: profile.VAReservedBottom,
		ReservedTop:    profile.VAReservedTop,
		HoleStart:      uapi.AMDGPU_GMC_HOLE_START,
		HoleEnd:        uapi.AMDGPU_GMC_HOLE_END,
		HoleMask:       uapi.AMDGPU_GMC_HOLE_MASK,
	}
	if p.VABits == 57 {
		l.HoleStart = uapi.AMDGPU_GMC_HOLE_START_57BIT
		l.HoleEnd = uapi.AMDGPU_GMC_HOLE_END_57BIT
		l.HoleMask = 1<<57 - 1
	}
	return l
}

// DefaultLayout is a 48-bit VM with the uapi package's reserved sizes.
func DefaultLayout() Layout {
	return Layout{
		MaxPFN:         (uint64(1) << 48) / GPUPageSize,
		ReservedBottom: uapi.AMDGPU_VA_RESERVED_BOTTOM,
		ReservedTop:    uapi.AMDGPU_VA_RESERVED_TOP,
		HoleStart:      uapi.AMDGPU_GMC_HOLE_START,
		HoleEnd:        uapi.AMDGPU_GMC_HOLE_END,
		HoleMask:       uapi.AMDGPU_GMC_HOLE_MASK,
	}
}

// GPUPageSize is AMDGPU_GPU_PAGE_SIZE.
const GPUPageSize = 4096

// gpuPageShift is AMDGPU_GPU_PAGE_SHIFT.
const gpuPageShift = 12

// Access is one translated GPU access, reported to the Observer.
type Access struct {
	// Time is the clock time of the access (the job's start).
	Time int64
	// Job is the accessing job; Ring its ring. VMID is the VMID it ran
	// with.
	Job  *gpu.Job
	Ring *gpu.Ring
	VMID uint32
	// VA and Len are the GPU virtual range of this piece (one translation).
	VA, Len uint64
	// Placement and Offset are the physical target: the allocation and the
	// byte offset into it (Placement.Offset included).
	Placement Placement
	Offset    uint64
	// Write is a write access; otherwise a read.
	Write bool
	// Stale reports a translation served by the VMID's TLB that no longer
	// matches the page tables (the PTE changed and no flush happened).
	Stale bool
	// Conservative marks accesses reported for a job whose accesses are
	// unknown: every mapped range, read and written, no data moved.
	Conservative bool
	// Err is the Memory error, if any (ErrStale: use-after-free).
	Err error
}

// Fault is a GPU VM fault: an access to a VA without a valid translation at
// execution time (spec/amdgpu.md §2.11). Retry faults are off (RDNA2+
// default, noretry=1): the fault is logged and cached, the access is
// dropped (reads see zeros) and the job goes on.
type Fault struct {
	Time int64
	// Addr is the faulting address, page-aligned as the IV reports it.
	Addr uint64
	// Write is the IV's write bit.
	Write bool
	Ring  *gpu.Ring
	Job   *gpu.Job
	VMID  uint32
	VM    *VM
}

func (f *Fault) String() string {
	rw := "read"
	if f.Write {
		rw = "write"
	}
	ring, job := "?", uint64(0)
	if f.Ring != nil {
		ring = f.Ring.Name()
	}
	if f.Job != nil {
		job = f.Job.ID()
	}
	return fmt.Sprintf("[gfxhub] page fault (ring %s vmid %d job %d) at %#x (%s) t=%d",
		ring, f.VMID, job, f.Addr, rw, f.Time)
}

// Observer receives every translated access and every fault, in execution
// order, on the clock's event goroutine. The hazard checker implements it.
// A nil Observer costs one comparison per job.
type Observer interface {
	Access(a *Access)
	Fault(f *Fault)
}

// Config configures a Manager.
type Config struct {
	// Engine runs page-table and CS jobs. Required.
	Engine *gpu.Engine
	// PTRing is the ring page-table updates run on (the SDMA ring of
	// adev->vm_manager.vm_pte_scheds). nil picks SDMA ring 0, else the
	// engine's first ring.
	PTRing *gpu.Ring
	// Memory is the emulated memory. nil: accesses are translated and
	// reported but move no data.
	Memory Memory
	// Observer receives accesses and faults; nil for none.
	Observer Observer
	// Layout is the VA layout; the zero value means DefaultLayout().
	Layout Layout
	// NumVMIDs is the number of graphics VMIDs of the GFX hub, VMID 0 (the
	// kernel's) included; 0 means 8 (AMDGPU_NUM_VMID 16 with the upper half
	// given to KFD, first_kfd_vmid = 8).
	NumVMIDs int
	// Explicit enables the vmemu extension AMDGPU_VM_EXPLICIT_SYNC. Off, the
	// flag is -EINVAL as on a real kernel.
	Explicit bool
}

// Manager is adev->vm_manager: the device-wide VM state (VMID pools, PRT
// users, the layout) and the factory of VMs.
//
// A Manager is safe for concurrent use.
type Manager struct {
	engine   *gpu.Engine
	domain   *fence.Domain
	ptRing   *gpu.Ring
	memory   Memory
	observer Observer
	layout   Layout
	explicit bool
	vmids    *vmidManager
	nextID   atomic.Uint64

	// prtUsers is adev->vm_manager.num_prt_users.
	prtUsers atomic.Int64

	// mu guards vms. Lock order: a VM's mu, then mu.
	mu  sync.Mutex
	vms map[uint64]*VM // protected by mu
}

// NewManager returns a Manager for cfg.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Engine == nil {
		return nil, errors.New("vm: Config.Engine is required")
	}
	m := &Manager{
		engine: cfg.Engine, domain: cfg.Engine.Domain(), memory: cfg.Memory,
		observer: cfg.Observer, layout: cfg.Layout, explicit: cfg.Explicit,
		ptRing: cfg.PTRing, vms: make(map[uint64]*VM),
	}
	if m.layout == (Layout{}) {
		m.layout = DefaultLayout()
	}
	if m.ptRing == nil {
		m.ptRing = cfg.Engine.Ring(gpu.SDMA, 0)
		if m.ptRing == nil {
			m.ptRing = cfg.Engine.Rings()[0]
		}
	}
	n := cfg.NumVMIDs
	if n == 0 {
		n = 8
	}
	if n < 2 {
		return nil, fmt.Errorf("vm: NumVMIDs %d: need VMID 0 and at least one more", n)
	}
	m.vmids = newVMIDManager(n)
	return m, nil
}

// Layout returns the VA layout.
func (m *Manager) Layout() Layout { return m.layout }

// Explicit reports whether the AMDGPU_VM_EXPLICIT_SYNC extension is on.
func (m *Manager) Explicit() bool { return m.explicit }

// Engine returns the GPU engine.
func (m *Manager) Engine() *gpu.Engine { return m.engine }

// PRTUsers returns num_prt_users: PRT mappings alive, whose refs are
// dropped when their freeing fence signals.
func (m *Manager) PRTUsers() int64 { return m.prtUsers.Load() }

func (m *Manager) prtGet() { m.prtUsers.Add(1) }

// prtPutOn drops a PRT ref once f signals (amdgpu_vm_add_prt_cb()).
func (m *Manager) prtPutOn(f *fence.Fence) {
	if f == nil || f.AddCallback(func(*fence.Fence) { m.prtUsers.Add(-1) }) == nil {
		m.prtUsers.Add(-1)
	}
}
