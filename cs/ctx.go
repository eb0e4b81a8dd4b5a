package cs

import (
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/vm"
)

// SchedJobs is amdgpu_sched_jobs (module parameter, default 32): how many
// fences each context entity keeps for WAIT_CS and dependencies.
const SchedJobs = 32

// MaxContexts is AMDGPU_VM_MAX_NUM_CTX: context ids are allocated in
// [1, MaxContexts).
const MaxContexts = 4096

// numEntities mirrors amdgpu_ctx_num_entities[]: how many rings a context
// may address per hardware IP.
var numEntities = [uapi.AMDGPU_HW_IP_NUM]uint32{
	uapi.AMDGPU_HW_IP_GFX:      1,
	uapi.AMDGPU_HW_IP_COMPUTE:  4,
	uapi.AMDGPU_HW_IP_DMA:      2,
	uapi.AMDGPU_HW_IP_UVD:      1,
	uapi.AMDGPU_HW_IP_VCE:      1,
	uapi.AMDGPU_HW_IP_UVD_ENC:  1,
	uapi.AMDGPU_HW_IP_VCN_DEC:  1,
	uapi.AMDGPU_HW_IP_VCN_ENC:  1,
	uapi.AMDGPU_HW_IP_VCN_JPEG: 1,
	uapi.AMDGPU_HW_IP_VPE:      1,
}

// DeviceState is what contexts read from the device: the GPU reset counter,
// the VRAM-lost generation, and the stable-pstate owner
// (adev->pm.stable_pstate_ctx).
type DeviceState struct {
	Engine *gpu.Engine
	// ResetCounter is adev->gpu_reset_counter.
	ResetCounter atomic.Int64
	// Generation is the VM generation (amdgpu_vm_generation(): changes on
	// VRAM loss).
	Generation atomic.Uint64
	// InReset is amdgpu_in_reset().
	InReset atomic.Bool

	pstateMu sync.Mutex
	// pstateOwner is the context holding a forced pstate, pstate the level.
	// Protected by pstateMu.
	pstateOwner *Context
	pstate      uint32
}

// Context is struct amdgpu_ctx.
type Context struct {
	mgr *Manager
	id  uint32

	// Explicit marks a context allocated with the vmemu EXPLICIT flag.
	Explicit bool

	resetCounter      int64
	resetCounterQuery int64
	generation        uint64
	initPriority      int32
	overridePriority  int32
	guilty            atomic.Bool
	stablePstate      uint32

	mu sync.Mutex
	// entities are created lazily. Protected by mu.
	entities [uapi.AMDGPU_HW_IP_NUM][4]*Entity
}

// Entity is struct amdgpu_ctx_entity: a scheduler entity of a context with
// its per-entity sequence numbers and the ring of its last SchedJobs fences.
type Entity struct {
	ctx   *Context
	IP    uint32
	Ring  uint32
	Sched *gpu.Entity

	mu sync.Mutex
	// sequence is the next sequence number (starts at 1). Protected by mu.
	sequence uint64
	// fences holds the finished fences of the last SchedJobs submissions.
	// Protected by mu.
	fences [SchedJobs]*fence.Fence
}

// Manager is struct amdgpu_ctx_mgr: the contexts of one file.
type Manager struct {
	dev *DeviceState
	// explicitOK enables the vmemu EXPLICIT context flag.
	explicitOK bool
	// privileged: CAP_SYS_NICE or DRM master (amdgpu_ctx_priority_permit()).
	privileged bool
	// vm is the file's VM: the owner of its CS fences (&fpriv->vm).
	vm *vm.VM

	mu sync.Mutex
	// ctxs are the contexts by id. Protected by mu.
	ctxs map[uint32]*Context
}

// NewManager mirrors amdgpu_ctx_mgr_init() for the file whose VM is v, the
// owner of the fences its submissions produce (&fpriv->vm).
func NewManager(dev *DeviceState, explicitOK, privileged bool, v *vm.VM) *Manager {
	return &Manager{dev: dev, explicitOK: explicitOK, privileged: privileged, vm: v, ctxs: map[uint32]*Context{}}
}

// VM returns the file's VM.
func (m *Manager) VM() *vm.VM { return m.vm }

// CSOwner is the owner of a context's scheduler entities: the context and
// its file's VM. It implements vm.OwnerVM, so the sync rules recognise the
// VM's own submissions (amdgpu_sync_get_owner() answers &fpriv->vm).
type CSOwner struct {
	VM  *vm.VM
	Ctx *Context
}

// OwnerVM implements vm.OwnerVM.
func (o *CSOwner) OwnerVM() *vm.VM { return o.VM }

func priorityValid(p int32) bool {
	switch p {
	case uapi.AMDGPU_CTX_PRIORITY_VERY_LOW, uapi.AMDGPU_CTX_PRIORITY_LOW, uapi.AMDGPU_CTX_PRIORITY_NORMAL,
		uapi.AMDGPU_CTX_PRIORITY_HIGH, uapi.AMDGPU_CTX_PRIORITY_VERY_HIGH:
		return true
	}
	return false
}

// schedPriority mirrors amdgpu_ctx_to_drm_sched_prio().
func schedPriority(p int32) gpu.Priority {
	switch p {
	case uapi.AMDGPU_CTX_PRIORITY_VERY_LOW, uapi.AMDGPU_CTX_PRIORITY_LOW:
		return gpu.PriorityLow
	case uapi.AMDGPU_CTX_PRIORITY_HIGH, uapi.AMDGPU_CTX_PRIORITY_VERY_HIGH:
		return gpu.PriorityHigh
	}
	return gpu.PriorityNormal
}

// Ioctl is DRM_IOCTL_AMDGPU_CTX (amdgpu_ctx_ioctl()): it decodes in, acts,
// and fills out. Garbage priorities are treated as NORMAL, for backwards
// compatibility, as the kernel does.
func (m *Manager) Ioctl(in uapi.CtxIn, out []byte) error {
	prio := in.Priority
	if !priorityValid(prio) {
		prio = uapi.AMDGPU_CTX_PRIORITY_NORMAL
	}
	switch in.Op {
	case uapi.AMDGPU_CTX_OP_ALLOC_CTX:
		explicit := false
		if in.Flags != 0 {
			// vmemu extension: the EXPLICIT context flag, when enabled.
			if !m.explicitOK || in.Flags != uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC {
				return errno.EINVAL
			}
			explicit = true
		}
		id, err := m.alloc(prio, explicit)
		var o uapi.CtxOutAlloc
		o.CtxID = id
		o.MarshalBytes(out)
		return err
	case uapi.AMDGPU_CTX_OP_FREE_CTX:
		if in.Flags != 0 {
			return errno.EINVAL
		}
		return m.free(in.CtxID)
	case uapi.AMDGPU_CTX_OP_QUERY_STATE:
		if in.Flags != 0 {
			return errno.EINVAL
		}
		return m.query(in.CtxID, out)
	case uapi.AMDGPU_CTX_OP_QUERY_STATE2:
		if in.Flags != 0 {
			return errno.EINVAL
		}
		return m.query2(in.CtxID, out)
	case uapi.AMDGPU_CTX_OP_GET_STABLE_PSTATE:
		if in.Flags != 0 {
			return errno.EINVAL
		}
		c := m.Get(in.CtxID)
		if c == nil {
			return errno.EINVAL
		}
		var o uapi.CtxOutPstate
		o.Flags = m.dev.currentPstate()
		o.MarshalBytes(out)
		return nil
	case uapi.AMDGPU_CTX_OP_SET_STABLE_PSTATE:
		if in.Flags&^uapi.AMDGPU_CTX_STABLE_PSTATE_FLAGS_MASK != 0 {
			return errno.EINVAL
		}
		ps := in.Flags & uapi.AMDGPU_CTX_STABLE_PSTATE_FLAGS_MASK
		if ps > uapi.AMDGPU_CTX_STABLE_PSTATE_PEAK {
			return errno.EINVAL
		}
		c := m.Get(in.CtxID)
		if c == nil {
			return errno.EINVAL
		}
		return m.dev.setPstate(c, ps)
	}
	return errno.EINVAL
}

// alloc mirrors amdgpu_ctx_alloc(): the lowest free id ≥ 1, then the
// priority permission check (amdgpu_ctx_priority_permit()), which frees the
// id again on failure.
func (m *Manager) alloc(prio int32, explicit bool) (uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var id uint32
	for id = 1; id < MaxContexts; id++ {
		if _, used := m.ctxs[id]; !used {
			break
		}
	}
	if id == MaxContexts {
		return 0, errno.ENOSPC // idr_alloc() when the range is full
	}
	if prio > uapi.AMDGPU_CTX_PRIORITY_NORMAL && !m.privileged {
		return 0, errno.EACCES
	}
	c := &Context{
		mgr: m, id: id, Explicit: explicit,
		resetCounter: m.dev.ResetCounter.Load(), generation: m.dev.Generation.Load(),
		initPriority: prio, overridePriority: uapi.AMDGPU_CTX_PRIORITY_UNSET,
		stablePstate: m.dev.currentPstate(),
	}
	c.resetCounterQuery = c.resetCounter
	m.ctxs[id] = c
	return id, nil
}

// free mirrors amdgpu_ctx_free(): unknown id → EINVAL. A context owning the
// forced pstate restores its own level on release (amdgpu_ctx_fini()).
func (m *Manager) free(id uint32) error {
	m.mu.Lock()
	c, ok := m.ctxs[id]
	delete(m.ctxs, id)
	m.mu.Unlock()
	if !ok {
		return errno.EINVAL
	}
	m.dev.setPstate(c, c.stablePstate)
	return nil
}

// Get returns the context with id, or nil (amdgpu_ctx_get()).
func (m *Manager) Get(id uint32) *Context {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ctxs[id]
}

// Len returns the number of contexts.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ctxs)
}

// query mirrors amdgpu_ctx_query() (the deprecated QUERY_STATE): flags and
// hangs are always zero; reset_status is UNKNOWN_RESET once after a reset.
func (m *Manager) query(id uint32, out []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.ctxs[id]
	if c == nil {
		return errno.EINVAL
	}
	var o uapi.CtxOutState
	rc := m.dev.ResetCounter.Load()
	if c.resetCounterQuery == rc {
		o.ResetStatus = uapi.AMDGPU_CTX_NO_RESET
	} else {
		o.ResetStatus = uapi.AMDGPU_CTX_UNKNOWN_RESET
	}
	c.resetCounterQuery = rc
	o.MarshalBytes(out)
	return nil
}

// query2 mirrors amdgpu_ctx_query2(). vmemu models no RAS, so the RAS flags
// never appear (as on a part without RAS).
func (m *Manager) query2(id uint32, out []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.ctxs[id]
	if c == nil {
		return errno.EINVAL
	}
	var o uapi.CtxOutState
	if c.resetCounter != m.dev.ResetCounter.Load() {
		o.Flags |= uapi.AMDGPU_CTX_QUERY2_FLAGS_RESET
	}
	if c.generation != m.dev.Generation.Load() {
		o.Flags |= uapi.AMDGPU_CTX_QUERY2_FLAGS_VRAMLOST
	}
	if c.guilty.Load() {
		o.Flags |= uapi.AMDGPU_CTX_QUERY2_FLAGS_GUILTY
	}
	if m.dev.InReset.Load() {
		o.Flags |= uapi.AMDGPU_CTX_QUERY2_FLAGS_RESET_IN_PROGRESS
	}
	o.MarshalBytes(out)
	return nil
}

func (d *DeviceState) currentPstate() uint32 {
	d.pstateMu.Lock()
	defer d.pstateMu.Unlock()
	return d.pstate
}

// setPstate mirrors amdgpu_ctx_set_stable_pstate(): another context owning
// a forced level → EBUSY; NONE releases ownership.
func (d *DeviceState) setPstate(c *Context, ps uint32) error {
	d.pstateMu.Lock()
	defer d.pstateMu.Unlock()
	if d.pstateOwner != nil && d.pstateOwner != c {
		return errno.EBUSY
	}
	if ps == d.pstate {
		return nil
	}
	d.pstate = ps
	if ps == uapi.AMDGPU_CTX_STABLE_PSTATE_NONE {
		d.pstateOwner = nil
	} else {
		d.pstateOwner = c
	}
	return nil
}

// ID returns the context id.
func (c *Context) ID() uint32 { return c.id }

// Guilty reports whether the context caused a GPU reset.
func (c *Context) Guilty() bool { return c.guilty.Load() }

// SetGuilty marks the context guilty (drm_sched's guilty atomic).
func (c *Context) SetGuilty() { c.guilty.Store(true) }

// Priority returns the effective priority (override if set).
func (c *Context) Priority() int32 {
	if c.overridePriority != uapi.AMDGPU_CTX_PRIORITY_UNSET {
		return c.overridePriority
	}
	return c.initPriority
}

// OverridePriority mirrors amdgpu_ctx_priority_override() (SCHED ioctl).
func (c *Context) OverridePriority(p int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.overridePriority = p
	for ip := range c.entities {
		for _, en := range c.entities[ip] {
			if en != nil {
				en.Sched.SetPriority(schedPriority(c.Priority()))
			}
		}
	}
}

// Entity mirrors amdgpu_ctx_get_entity(): checks ip (EINVAL), instance ≠ 0
// (EINVAL), ring against amdgpu_ctx_num_entities (EINVAL), creates the
// entity lazily, and returns the entity's error if it has one. A context
// entity for ring r runs on hardware ring r mod the IP's ring count (the
// kernel balances an idle entity over its schedulers; vmemu fixes the
// choice for determinism).
func (c *Context) Entity(ip, instance, ring uint32) (*Entity, error) {
	if ip >= uapi.AMDGPU_HW_IP_NUM {
		return nil, errno.EINVAL
	}
	if instance != 0 {
		return nil, errno.EINVAL
	}
	if ring >= numEntities[ip] {
		return nil, errno.EINVAL
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	en := c.entities[ip][ring]
	if en == nil {
		rings := c.mgr.dev.Engine.RingsOf(gpu.IP(ip))
		if len(rings) == 0 {
			// amdgpu_ctx_init_entity() with no scheduler for the IP:
			// drm_sched_entity_init() fails with -ENOENT.
			return nil, errno.ENOENT
		}
		r := rings[int(ring)%len(rings)]
		en = &Entity{ctx: c, IP: ip, Ring: ring, sequence: 1}
		en.Sched = c.mgr.dev.Engine.NewEntity(r, gpu.EntityConfig{
			Name: r.Name(), Priority: schedPriority(c.Priority()), Owner: &CSOwner{VM: c.mgr.vm, Ctx: c},
		})
		c.entities[ip][ring] = en
	}
	if e := en.Sched.Error(); e != 0 {
		return nil, errnoOf(e)
	}
	return en, nil
}

// errnoOf turns a fence error (a negative errno) into the errno.
func errnoOf(e int32) error {
	if e < 0 {
		e = -e
	}
	return syscall.Errno(e)
}

// AddFence mirrors amdgpu_ctx_add_fence(): store the job's finished fence
// and return its sequence number.
func (en *Entity) AddFence(f *fence.Fence) uint64 {
	en.mu.Lock()
	defer en.mu.Unlock()
	seq := en.sequence
	en.fences[seq&(SchedJobs-1)] = f
	en.sequence++
	return seq
}

// Fence mirrors amdgpu_ctx_get_fence(): seq ~0 is the latest; seq ≥ next
// → EINVAL; too old → nil (signaled); an empty slot → nil.
func (en *Entity) Fence(seq uint64) (*fence.Fence, error) {
	en.mu.Lock()
	defer en.mu.Unlock()
	if seq == ^uint64(0) {
		seq = en.sequence - 1
	}
	if seq >= en.sequence {
		return nil, errno.EINVAL
	}
	if seq+SchedJobs < en.sequence {
		return nil, nil
	}
	return en.fences[seq&(SchedJobs-1)], nil
}

// PrevFence is the fence amdgpu_ctx_wait_prev_fence() waits for before a
// new submission can take the next slot of the ring, or nil.
func (en *Entity) PrevFence() *fence.Fence {
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.fences[en.sequence&(SchedJobs-1)]
}

// Context returns the entity's context.
func (en *Entity) Context() *Context { return en.ctx }
