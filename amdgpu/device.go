package amdgpu

import (
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/cs"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/profile"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/vm"
)

// ErrClosed is returned by operations on a closed Device or File.
var ErrClosed = errors.New("amdgpu: closed")

// Config configures a Device. The zero Config gives a usable default device:
// the default profile, a virtual clock starting at 0, the EXPLICIT extension
// enabled, files opened as render nodes.
type Config struct {
	// Profile names the device profile ("" = profile.DefaultName).
	Profile string
	// Clock is the emulator clock to use, for several devices sharing one
	// emulator. nil creates a clock (virtual unless RealTime).
	Clock *sim.Clock
	// Domain is the fence domain to share with other devices on the same
	// Clock. nil creates one.
	Domain *fence.Domain
	// RealTime makes a created clock follow the wall clock, scaled by
	// TimeScale (0 means 1).
	RealTime  bool
	TimeScale float64
	// DisableExplicit turns off vmemu's EXPLICIT-sync extension; its flag
	// bits are then rejected with EINVAL as a real kernel does.
	DisableExplicit bool
	// DRMMinor overrides the profile's KMS minor version when nonzero.
	DRMMinor int32
	// VRAMSize, VisibleVRAMSize and GTTSize override the profile's memory
	// sizes when nonzero (scenarios under memory pressure).
	VRAMSize, VisibleVRAMSize, GTTSize uint64
	// Policy scopes the EXPLICIT extension (PolicyNoMixing by default).
	Policy Policy
	// FailDeadlocks makes a wait that can never end (no timeout, nothing
	// pending on the virtual clock) fail at once instead of blocking, and
	// counts it (sim.Clock.SetFailDeadlocks): for single-client runs such as
	// scenarios, replay and fuzzing. Applies to a clock the device creates.
	FailDeadlocks bool
	// Check is the hazard checker to feed (check.New); nil: off, at no
	// cost. The device reports GPU accesses through the page tables, CPU
	// accesses through MapBO views, allocation lifetimes, faults, forced
	// waits and implicit stalls to it.
	Check *check.Checker
	// Events receives the GPU engine's job events (queued, dependency
	// wait, run, done, timeout), named after the gpu_scheduler
	// tracepoints; nil for none.
	Events gpu.Sink
	// Primary opens files as a primary node with DRM master rights (for
	// ioctls that need DRM_MASTER). Default: render node.
	Primary bool
	// Logf receives internal diagnostics (plumbing errors surfaced as
	// EINVAL). nil logs with the standard logger.
	Logf func(format string, args ...any)
}

// Device is one emulated amdgpu device.
type Device struct {
	cfg     Config
	prof    profile.Profile
	clock   *sim.Clock
	ownClk  bool
	domain  *fence.Domain
	fds     *hostfd.Table
	logf    func(string, ...any)
	version profile.Version
	// engine is the GPU: rings from the profile. mem is the memory model
	// (TTM device, pools, BOs). Both immutable after New.
	engine *gpu.Engine
	mem    *bo.Manager
	// csDev is what contexts read from the device (reset counter, VRAM-lost
	// generation, stable-pstate owner).
	csDev *cs.DeviceState
	// vms is adev->vm_manager.
	vms *vm.Manager
	// engines selects the IB decoders; csHooks observe submissions;
	// ibStats counts IB decoding outcomes.
	engines cs.Engines
	csHooks cs.Hooks
	ibStats cs.IBStats
	// obs feeds Stats and the hazard checker.
	obs *observer
	// nextFile numbers files for reports.
	nextFile atomic.Uint32

	mu sync.Mutex
	// files are the open files. Protected by mu.
	files map[*File]struct{}
	// closed is set by Close. Protected by mu.
	closed bool
}

// New creates a Device.
func New(cfg Config) (*Device, error) {
	p, err := profile.Lookup(cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("new device: %w", err)
	}
	if cfg.DisableExplicit {
		p.Explicit = false
	}
	if cfg.VRAMSize != 0 {
		p.VRAMSize = cfg.VRAMSize
		p.VisibleVRAMSize = min(p.VisibleVRAMSize, p.VRAMSize)
	}
	if cfg.VisibleVRAMSize != 0 {
		p.VisibleVRAMSize = min(cfg.VisibleVRAMSize, p.VRAMSize)
	}
	if cfg.GTTSize != 0 {
		p.GTTSize = cfg.GTTSize
	}
	d := &Device{cfg: cfg, prof: p, clock: cfg.Clock, domain: cfg.Domain, files: map[*File]struct{}{}}
	if d.clock == nil {
		if cfg.RealTime {
			d.clock = sim.NewRealTime(0, cfg.TimeScale)
		} else {
			d.clock = sim.NewVirtual(0)
		}
		d.ownClk = true
		d.clock.SetFailDeadlocks(cfg.FailDeadlocks)
	}
	if d.domain == nil {
		d.domain = fence.NewDomain(d.clock)
	} else if d.domain.Clock() != d.clock {
		return nil, errors.New("new device: Config.Domain is on another clock")
	}
	d.version = p.DRM
	if cfg.DRMMinor != 0 {
		d.version.Minor = cfg.DRMMinor
	}
	d.logf = cfg.Logf
	if d.logf == nil {
		d.logf = log.Printf
	}
	d.fds = &hostfd.Table{}
	d.obs = newObserver(d, cfg.Check, cfg.Events)
	d.engine, err = gpu.NewEngine(d.clock, d.domain, gpu.Config{Rings: map[gpu.IP]int{
		gpu.GFX: p.GfxRings, gpu.COMPUTE: p.ComputeRings, gpu.SDMA: p.SDMARings}, Sink: d.obs,
		OnTimeout: d.jobTimedOut})
	if err != nil {
		return nil, fmt.Errorf("new device: %w", err)
	}
	d.mem, err = bo.NewManager(bo.Config{
		VRAMSize: p.VRAMSize, VisibleVRAMSize: p.VisibleVRAMSize, GTTSize: p.GTTSize,
		GDSSize: uint64(p.GDS.ComputePartitionSize), GWSSize: uint64(p.GDS.GWSPerComputePartition),
		OASize: uint64(p.GDS.OAPerComputePartition), DoorbellSize: doorbellSize,
		Family: p.Family, Engine: d.engine,
	})
	if err != nil {
		return nil, fmt.Errorf("new device: %w", err)
	}
	d.csDev = &cs.DeviceState{Engine: d.engine}
	d.vms, err = vm.NewManager(vm.Config{
		Engine: d.engine, Memory: vmMemory{d.mem}, Layout: vm.LayoutFromProfile(&p),
		Explicit: p.Explicit, Observer: d.obs,
	})
	if err != nil {
		return nil, fmt.Errorf("new device: %w", err)
	}
	d.engines = cs.Engines{
		Gfx:  pkt.GfxLevel(p.IP[uapi.AMDGPU_HW_IP_GFX].Major),
		SDMA: pkt.SDMAVersion(p.IP[uapi.AMDGPU_HW_IP_DMA].Major*10 + p.IP[uapi.AMDGPU_HW_IP_DMA].Minor),
	}
	d.mem.SetAllocHooks(d.obs.allocHooks())
	d.csHooks = cs.Hooks{OnWait: d.obs.onWait}
	d.mem.SetMoveNotify(func(b *bo.BO, evict bool) { d.vms.MoveNotify(bo.VMBO{B: b}, evict) })
	return d, nil
}

// doorbellSize is the doorbell BAR vmemu gives every part (8 MiB, the
// common size on recent dGPUs; not captured per profile).
const doorbellSize = 8 << 20

// Engine returns the device's GPU engine.
func (d *Device) Engine() *gpu.Engine { return d.engine }

// Mem returns the device's memory model.
func (d *Device) Mem() *bo.Manager { return d.mem }

// Profile returns the device's profile (with Config overrides applied).
func (d *Device) Profile() profile.Profile { return d.prof }

// Version returns the DRM driver version the device reports.
func (d *Device) Version() profile.Version { return d.version }

// Clock returns the device clock.
func (d *Device) Clock() *sim.Clock { return d.clock }

// Domain returns the fence domain.
func (d *Device) Domain() *fence.Domain { return d.domain }

// Now returns nanoseconds on the device clock, to which absolute ioctl
// timeouts refer.
func (d *Device) Now() int64 { return d.clock.Now() }

// Explicit reports whether the EXPLICIT-sync extension is enabled.
func (d *Device) Explicit() bool { return d.prof.Explicit }

// Open opens a new DRM file on the device (a render node unless
// Config.Primary).
func (d *Device) Open() (*File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	f := newFile(d)
	d.files[f] = struct{}{}
	return f, nil
}

// Close closes every open file, releases every descriptor the device handed
// out and stops a real-time clock the device created.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	files := make([]*File, 0, len(d.files))
	for f := range d.files {
		files = append(files, f)
	}
	d.mu.Unlock()
	for _, f := range files {
		f.Close()
	}
	err := d.fds.Close()
	if d.ownClk {
		d.clock.Close()
	}
	return err
}

func (d *Device) forget(f *File) {
	d.mu.Lock()
	delete(d.files, f)
	d.obs.closedIoctls.Add(f.ioctls.Load())
	d.mu.Unlock()
}

// ioctls returns the number of ioctls issued on the device's files, open
// or closed (Stats.Ioctls). An ioctl racing with its file's Close may be
// missed.
func (d *Device) ioctls() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.obs.closedIoctls.Load()
	for f := range d.files {
		n += f.ioctls.Load()
	}
	return n
}

// jobTimedOut handles a hang the engine detected (amdgpu_job_timedout()):
// the guilty job's context is marked guilty (its next CS gets ECANCELED,
// QUERY_STATE2 reports GUILTY) and the reset counter moves on, so every
// context's QUERY_STATE2 reports RESET. vmemu always succeeds with the
// per-ring reset; VRAM is never lost.
func (d *Device) jobTimedOut(r gpu.TimeoutReport) {
	if o, ok := r.Entity.Owner().(*cs.CSOwner); ok && o.Ctx != nil {
		o.Ctx.SetGuilty()
	}
	d.csDev.ResetCounter.Add(1)
}
