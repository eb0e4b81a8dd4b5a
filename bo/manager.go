package bo

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/ww"
)

// WaitCtxTimeout is ttm_bo_wait_ctx()'s limit (15 s): how long an
// allocation waits for a ghost or an eviction before giving up on it.
const WaitCtxTimeout int64 = 15_000_000_000

// systemPages is the address space of system memory (the CPU domain): not
// a pool with a capacity, only a place to number allocations.
const systemPages = 1 << 52

// drmFilePageOffsetStart is DRM_FILE_PAGE_OFFSET_START on 64-bit: the first
// page of the fake mmap offsets (drm_gem.c).
const drmFilePageOffsetStart = 0xFFFFFFFF>>12 + 1

// ErrNoMoveRing is returned by NewManager when the engine has no SDMA ring.
var ErrNoMoveRing = errors.New("bo: no SDMA ring for buffer moves")

// UseAfterFreeError reports an access to memory by a stale identity: the
// allocation was released, or its range now belongs to another one.
type UseAfterFreeError struct {
	Ref Ref
	// Current is the generation now at Ref.Start (0: free).
	Current uint64
}

func (e *UseAfterFreeError) Error() string {
	return fmt.Sprintf("bo: use after free: %v (now generation %d)", e.Ref, e.Current)
}

// Config configures a Manager.
type Config struct {
	// VRAMSize, VisibleVRAMSize and GTTSize are the pool capacities in
	// bytes (rounded down to pages).
	VRAMSize, VisibleVRAMSize, GTTSize uint64
	// GDSSize (bytes), GWSSize and OASize (resources) size the GDS, GWS
	// and OA pools: the compute partition of AMDGPU_INFO_GDS_CONFIG.
	GDSSize, GWSSize, OASize uint64
	// DoorbellSize is the doorbell BAR in bytes.
	DoorbellSize uint64
	// Family is the AMDGPU_FAMILY_* of the part (tiling checks).
	Family uint32
	// Engine runs moves, clears and wipes. Required.
	Engine *gpu.Engine
}

// Manager is the TTM device of one amdgpu device. See the package
// documentation. Safe for concurrent use.
type Manager struct {
	clock  *sim.Clock
	engine *gpu.Engine
	move   *gpu.Entity
	family uint32
	pools  map[Domain]*Pool // immutable after NewManager
	// moveNotify is set once by SetMoveNotify before use.
	moveNotify func(b *BO, evict bool)

	gen    atomic.Uint64
	serial atomic.Uint64
	mmap   atomic.Uint64
	live   atomic.Int64 // BOs not yet destroyed

	bytesMoved, evictions, cpuFaults atomic.Uint64

	// lruMu is ttm_device.lru_lock: it guards the pools' LRU lists and
	// BO.lru.
	lruMu sync.Mutex

	vmu sync.Mutex
	// violations are broken safety properties, found at run time.
	// Protected by vmu.
	violations []string
}

// AllocHooks observe the life of allocations, for the hazard checker:
// Create when memory is allocated (a fresh generation), Release when it
// returns to its pool and may be reused. They run with the pool's lock held
// and must not call into the Manager.
type AllocHooks struct {
	Create  func(ref Ref, size uint64)
	Release func(ref Ref)
}

// SetAllocHooks installs h on every pool. Call it once, before the Manager
// is used.
func (m *Manager) SetAllocHooks(h AllocHooks) {
	for _, p := range m.pools {
		p.hooks = &h
	}
}

// SetMoveNotify installs the function called before a BO moves
// (amdgpu_bo_move_notify(): the VMs invalidate their mappings of it), with
// its reservation held; evict is true for an eviction. Call it once, before
// the Manager is used.
func (m *Manager) SetMoveNotify(fn func(b *BO, evict bool)) { m.moveNotify = fn }

// NewManager returns a Manager with the capacities of cfg.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Engine == nil {
		return nil, errors.New("bo: Config.Engine is nil")
	}
	sdma := cfg.Engine.RingsOf(gpu.SDMA)
	if len(sdma) == 0 {
		return nil, ErrNoMoveRing
	}
	m := &Manager{clock: cfg.Engine.Clock(), engine: cfg.Engine, family: cfg.Family,
		pools: map[Domain]*Pool{}}
	// adev->mman.high_pr: TTM's buffer-move entity, kernel priority.
	m.move = cfg.Engine.NewKernelEntity(sdma[0], "ttm-move", gpu.PriorityKernel, m)
	m.pools[VRAM] = newPool(VRAM, cfg.VRAMSize/PageSize, cfg.VisibleVRAMSize/PageSize)
	m.pools[GTT] = newPool(GTT, cfg.GTTSize/PageSize, cfg.GTTSize/PageSize)
	m.pools[CPU] = newPool(CPU, systemPages, systemPages)
	m.pools[GDS] = newPool(GDS, cfg.GDSSize, cfg.GDSSize)
	m.pools[GWS] = newPool(GWS, cfg.GWSSize, cfg.GWSSize)
	m.pools[OA] = newPool(OA, cfg.OASize, cfg.OASize)
	m.pools[Doorbell] = newPool(Doorbell, cfg.DoorbellSize/PageSize, cfg.DoorbellSize/PageSize)
	return m, nil
}

// Pool returns the pool of domain d (nil for none).
func (m *Manager) Pool(d Domain) *Pool { return m.pools[d] }

// MoveEntity returns the kernel entity moves run on.
func (m *Manager) MoveEntity() *gpu.Entity { return m.move }

// Clock returns the clock.
func (m *Manager) Clock() *sim.Clock { return m.clock }

func (m *Manager) violate(format string, args ...any) {
	m.vmu.Lock()
	m.violations = append(m.violations, fmt.Sprintf(format, args...))
	m.vmu.Unlock()
}

// CreateParams are the parameters of Create: struct amdgpu_bo_param.
type CreateParams struct {
	// Size and Align are in bytes (GDS: bytes; GWS and OA: resources).
	Size, Align uint64
	// Domain is the initial placement mask; Preferred the preferred
	// domains (0: Domain).
	Domain, Preferred Domain
	// Flags are AMDGPU_GEM_CREATE_* flags.
	Flags uint64
	// Kernel creates a ttm_bo_type_kernel BO; otherwise a device BO.
	Kernel bool
	// Resv is a reservation object to share (the VM root's); the caller
	// must hold it in Exec.
	Resv *resv.Resv
	// Exec is the caller's transaction; nil makes Create use its own.
	Exec *ww.Exec
}

func alignUp(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }

// validateSize mirrors amdgpu_bo_validate_size(): a BO that may go to GTT
// must be smaller than GTT, else one that may go to VRAM smaller than VRAM.
func (m *Manager) validateSize(size uint64, d Domain) bool {
	var p *Pool
	switch {
	case d&GTT != 0:
		p = m.pools[GTT]
	case d&VRAM != 0:
		p = m.pools[VRAM]
	default:
		return true
	}
	return size < p.pages*PageSize
}

// Create creates and places a BO: amdgpu_bo_create() with
// ttm_bo_init_reserved(). On success the caller holds the one reference.
//
// Errors: errno.ENOMEM when the size exceeds the domain or no placement
// could be found (ttm_bo_validate() turns ENOSPC into ENOMEM);
// errno.ENOSPC for a zero size (drm_vma_offset_add() of an empty node).
func (m *Manager) Create(p CreateParams) (*BO, error) {
	size := p.Size
	var align uint64
	switch {
	case p.Domain&(GWS|OA) != 0:
		align = p.Align // "GWS and OA don't need any alignment"
		size <<= 12
	case p.Domain&GDS != 0:
		align = alignUp(p.Align, 4)
		size = alignUp(size, 4) << 12
	default:
		align = alignUp(p.Align, PageSize) / PageSize
		size = alignUp(size, PageSize)
	}
	if !m.validateSize(size, p.Domain) {
		return nil, errno.ENOMEM
	}
	if size == 0 {
		return nil, errno.ENOSPC
	}
	b := &BO{m: m, id: m.serial.Add(1), size: size, align: align, kernel: p.Kernel,
		own: resv.New()}
	b.flags.Store(p.Flags)
	b.r.Store(b.own)
	if p.Resv != nil {
		b.r.Store(p.Resv)
	}
	preferred := p.Preferred
	if preferred == 0 {
		preferred = p.Domain
	}
	allowed := preferred
	if !p.Kernel && p.Flags&uapi.AMDGPU_GEM_CREATE_DISCARDABLE == 0 && allowed == VRAM {
		allowed |= GTT
	}
	b.SetDomains(preferred, allowed)
	place := p.Domain
	if p.Domain&(GWS|OA|GDS) != 0 {
		place = CPU // validated into GDS/GWS/OA by the CS
	}
	if !p.Kernel {
		b.mmap = (drmFilePageOffsetStart + m.mmap.Add(size/PageSize) - size/PageSize) * PageSize
	}
	b.refs.Store(1)
	m.live.Add(1)

	e := p.Exec
	if e == nil {
		// ttm_bo_init_reserved() trylocks the new BO's resv without a
		// context, so its validation walks with no ticket: trylocks only.
		e = ww.NewExec(ww.TrylockVictims, 2)
		e.Begin()
		defer e.Fini()
	}
	locked := false
	if p.Resv == nil {
		if err := e.Lock(b); err != nil {
			b.Put()
			return nil, err
		}
		locked = true
	}
	err := m.place(e, b, place)
	if err == nil && !p.Kernel {
		// "Treat CPU_ACCESS_REQUIRED only as a hint if given by UMD"
		b.flags.And(^uint64(uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED))
	}
	if locked {
		e.Unlock(b)
	}
	if err != nil {
		b.Put()
		if err == errno.ENOSPC {
			err = errno.ENOMEM
		}
		return nil, err
	}
	return b, nil
}

// placesOf mirrors amdgpu_bo_placement_from_domain()'s order; no domain
// means system memory.
func placesOf(d Domain) []Domain {
	var ps []Domain
	for _, x := range []Domain{VRAM, Doorbell, GTT, CPU, GDS, GWS, OA} {
		if d&x != 0 {
			ps = append(ps, x)
		}
	}
	if len(ps) == 0 {
		ps = append(ps, CPU)
	}
	return ps
}

// placeParams returns the allocator constraints of placing b in d: CPU
// access limits VRAM to the visible window, bottom-up; everything else in
// VRAM goes top-down (TTM_PL_FLAG_TOPDOWN).
func (m *Manager) placeParams(b *BO, d Domain) (limit uint64, topDown bool) {
	if d != VRAM {
		return 0, false
	}
	f := b.flags.Load()
	if f&uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED != 0 {
		return m.pools[VRAM].visible, false
	}
	return 0, true
}

func (b *BO) pages() uint64 { return b.size / PageSize }

// allocIn tries to allocate b's pages in d without eviction.
func (m *Manager) allocIn(b *BO, d Domain, limit uint64, topDown bool, store *Store) *Allocation {
	p := m.pools[d]
	if p == nil {
		return nil
	}
	if store == nil {
		store = newStore(b.size)
	}
	return p.alloc(b.pages(), b.align, limit, topDown, m.gen.Add(1), store)
}

// findSpace mirrors ttm_bo_alloc_resource() called by ttm_bo_mem_space():
// every place without eviction, then every place again with eviction.
func (m *Manager) findSpace(e *ww.Exec, b *BO, d Domain, store *Store) (*Allocation, error) {
	places := placesOf(d)
	for _, force := range []bool{false, true} {
		for _, pd := range places {
			limit, topDown := m.placeParams(b, pd)
			if a := m.allocIn(b, pd, limit, topDown, store); a != nil {
				return a, nil
			}
			if force && pd != CPU {
				a, err := m.evictAlloc(e, b, pd, limit, topDown, store)
				if a != nil {
					return a, nil
				}
				if err != nil && err != errno.ENOSPC {
					return nil, err
				}
			}
		}
	}
	return nil, errno.ENOSPC
}

// place gives a new BO its first placement. Preconditions: b's reservation
// is held in e.
func (m *Manager) place(e *ww.Exec, b *BO, d Domain) error {
	a, err := m.findSpace(e, b, d, nil)
	if err != nil {
		return err
	}
	m.setPlacement(b, a, false)
	return nil
}

// setPlacement makes a b's placement and puts b at the tail of its pool's
// LRU list.
func (m *Manager) setPlacement(b *BO, a *Allocation, moved bool) {
	m.lruMu.Lock()
	b.mu.Lock()
	if b.lru != nil {
		b.mem.pool.lru.Remove(b.lru)
		b.lru = nil
	}
	b.mem = a
	if a != nil {
		b.lru = a.pool.lru.PushBack(b)
	}
	b.mu.Unlock()
	m.lruMu.Unlock()
	if moved {
		b.moves.Add(1)
	}
}

// Touch moves b to the tail of its LRU list (ttm_bo_move_to_lru_tail()).
func (m *Manager) Touch(b *BO) {
	m.lruMu.Lock()
	if b.lru != nil {
		l := &b.mem.pool.lru
		l.MoveToBack(b.lru)
	}
	m.lruMu.Unlock()
}

// BulkMoveToTail moves bs, in order, to the tails of their LRU lists under
// one LRU lock: ttm_lru_bulk_move_tail() for a VM's per-VM BOs
// (amdgpu_vm_move_to_lru_tail() at the end of a CS).
func (m *Manager) BulkMoveToTail(bs []*BO) {
	if len(bs) == 0 {
		return
	}
	m.lruMu.Lock()
	for _, b := range bs {
		if b.lru != nil {
			b.mem.pool.lru.MoveToBack(b.lru)
		}
	}
	m.lruMu.Unlock()
}

// LRU returns the BOs of d's pool, least recently used first.
func (m *Manager) LRU(d Domain) []*BO {
	m.lruMu.Lock()
	defer m.lruMu.Unlock()
	var bs []*BO
	p := m.pools[d]
	if p == nil {
		return nil
	}
	for el := p.lru.Front(); el != nil; el = el.Next() {
		bs = append(bs, el.Value.(*BO))
	}
	return bs
}

// nextVictim picks the least recently used evictable BO of p that the walk
// has not tried yet, with a reference (ttm_lru_walk_for_evict() with
// ttm_bo_get_unless_zero()). With limit > 0 only BOs below limit are
// valuable (ttm_bo_eviction_valuable()).
func (m *Manager) nextVictim(p *Pool, evictor *BO, tried map[*BO]bool, limit uint64) *BO {
	m.lruMu.Lock()
	defer m.lruMu.Unlock()
	for el := p.lru.Front(); el != nil; el = el.Next() {
		v := el.Value.(*BO)
		if v == evictor || tried[v] {
			continue
		}
		v.mu.Lock()
		skip := v.pin > 0 || v.deleted || v.mem == nil || (limit > 0 && v.mem.start >= limit)
		v.mu.Unlock()
		if skip {
			continue
		}
		if v.TryGet() {
			return v
		}
	}
	return nil
}

// evictAlloc mirrors ttm_bo_evict_alloc(): evict LRU victims of d's pool
// until b's allocation fits. Each victim's copy is waited for (its old
// range is a ghost until then), ghosts are waited for when no victim is
// left, each wait bounded by WaitCtxTimeout.
func (m *Manager) evictAlloc(e *ww.Exec, b *BO, d Domain, limit uint64, topDown bool, store *Store) (*Allocation, error) {
	p := m.pools[d]
	e.BeginWalk()
	tried := map[*BO]bool{}
	for {
		if a := m.allocIn(b, d, limit, topDown, store); a != nil {
			return a, nil
		}
		v := m.nextVictim(p, b, tried, limit)
		if v == nil {
			fs := p.pendingGhosts()
			if len(fs) == 0 {
				return nil, errno.ENOSPC
			}
			if _, ok := fence.WaitMany(m.clock, fs, false, m.clock.Now()+WaitCtxTimeout); !ok {
				return nil, errno.ENOSPC // ttm_bo_wait_ctx(): -EBUSY ends the walk
			}
			continue
		}
		tried[v] = true
		f, err := m.evict(e, v, p)
		v.Put()
		if err == errno.EDEADLK {
			// The walk ends. Inside a locking loop the pass retries
			// (ww.Exec.Contended); after it, ttm_lru_walk_ticketlock()
			// turns -EDEADLK into -ENOSPC ("Caller needs to exit the
			// ww transaction"), and findSpace goes on with the next
			// placement, as ttm_bo_alloc_resource() does.
			if e.Contended() {
				return nil, err
			}
			return nil, errno.ENOSPC
		}
		if err != nil {
			continue // busy or stuck: try the next one
		}
		if f != nil {
			fence.Wait(f, m.clock.Now()+WaitCtxTimeout)
		}
	}
}

// evict mirrors ttm_bo_evict() for a victim of pool p: lock it as a victim
// of e, then move it to GTT (or system memory) for VRAM, to system memory
// for GTT, and drop the contents of GDS, GWS, OA and doorbell BOs
// (amdgpu_evict_flags() gives them no placement: pipeline gutting). It
// returns the move fence, if any.
func (m *Manager) evict(e *ww.Exec, v *BO, p *Pool) (*fence.Fence, error) {
	switch err := e.LockVictim(v); err {
	case nil:
	case errno.EALREADY:
		// Held by this transaction already (a per-VM BO sharing the
		// resv being validated): TTM evicts it with allow_res_evict.
	default:
		return nil, err
	}
	v.mu.Lock()
	old := v.mem
	ok := old != nil && old.pool == p && v.pin == 0 && !v.deleted
	v.mu.Unlock()
	if !ok {
		return nil, errno.EBUSY
	}
	var na *Allocation
	switch p.domain {
	case VRAM:
		na = m.allocIn(v, GTT, 0, false, nil)
		if na == nil {
			na = m.allocIn(v, CPU, 0, false, nil)
		}
	default:
		na = m.allocIn(v, CPU, 0, false, nil)
	}
	f, err := m.moveTo(v, na, true)
	if err != nil {
		return nil, err
	}
	v.evictions.Add(1)
	m.evictions.Add(1)
	return f, nil
}

func isSystem(d Domain) bool { return d == CPU || d == GTT }

// moveTo moves b to na: amdgpu_bo_move(). A move between VRAM and system
// pages is a copy job on the move entity, depending on every fence of b's
// reservation up to BOOKKEEP, whose fence is added as KERNEL; the old
// range becomes a ghost until it signals. GTT → system memory waits for
// idle and keeps the pages; system memory → GTT binds them. GDS, GWS, OA
// and doorbell contents are not preserved.
//
// Preconditions: b's reservation is held; na was allocated for b.
func (m *Manager) moveTo(b *BO, na *Allocation, evict bool) (*fence.Fence, error) {
	if m.moveNotify != nil {
		m.moveNotify(b, evict) // amdgpu_bo_move_notify(), before the move
	}
	b.mu.Lock()
	old := b.mem
	b.mu.Unlock()
	r := b.r.Load()
	from, to := old.pool.domain, na.pool.domain
	switch {
	case isSystem(from) && isSystem(to):
		if from == GTT && to == CPU {
			if !r.Wait(m.clock, resv.BOOKKEEP, m.clock.Now()+WaitCtxTimeout) {
				na.pool.release(na)
				return nil, errno.EBUSY
			}
		}
		na.store = old.store // the same pages, bound or unbound
		old.shared = true
		m.setPlacement(b, na, true)
		old.pool.release(old)
		return nil, nil
	case from == VRAM || to == VRAM:
		deps := r.Fences(resv.BOOKKEEP)
		size := b.size
		job := m.move.Push(gpu.WorkFunc(func(gpu.RunContext) gpu.Usage {
			if st := old.stateOf(); st == allocReleased {
				m.violate("move of %v reads released %v", b, old.Ref())
			}
			na.store.copyFrom(old.store)
			return gpu.Usage{Bytes: int64(size)}
		}), deps...)
		f := job.Finished()
		if err := r.ReserveFences(1); err != nil {
			return nil, err
		}
		r.AddFence(f, resv.KERNEL)
		m.setPlacement(b, na, true)
		m.retire(old, []*fence.Fence{f}, "move")
		m.bytesMoved.Add(size)
		return f, nil
	default:
		// Special domains: evicted without a placement (gutting), or
		// validated in from system memory; contents are not kept.
		if !r.Wait(m.clock, resv.BOOKKEEP, m.clock.Now()+WaitCtxTimeout) {
			na.pool.release(na)
			return nil, errno.EBUSY
		}
		m.setPlacement(b, na, true)
		m.retire(old, nil, "gutting")
		return nil, nil
	}
}

// Validate moves b into one of domains if it is not there already,
// evicting if needed (ttm_bo_validate() with amdgpu's placement); a move
// puts it at its new LRU tail, a BO already in place keeps its LRU
// position, as ttm_bo_validate() returns at once for a compatible
// resource. A pinned BO cannot move (EINVAL).
//
// Preconditions: b's reservation is held in e.
func (m *Manager) Validate(e *ww.Exec, b *BO, domains Domain) error {
	b.mu.Lock()
	cur := b.mem
	pin := b.pin
	b.mu.Unlock()
	if cur != nil && cur.pool.domain&domains != 0 {
		return nil
	}
	if pin > 0 {
		return errno.EINVAL
	}
	a, err := m.findSpace(e, b, domains, nil)
	if err != nil {
		if err == errno.ENOSPC {
			return errno.ENOMEM
		}
		return err
	}
	_, err = m.moveTo(b, a, false)
	return err
}

// ValidateCS mirrors amdgpu_cs_bo_validate(): a pinned BO stays where it
// is; otherwise it is validated into its preferred domains, and on ENOMEM
// into the allowed ones. (The CS's byte-move throttling is not modelled:
// the preferred domains are always tried first.) A BO already in place
// keeps its LRU position: since the drm_exec rework (6.6) the CS no longer
// bumps each listed BO (ttm_eu_fence_buffer_objects() did); only the VM's
// per-VM BOs move, in bulk, when the CS is submitted (see
// BulkMoveToTail).
//
// Preconditions: b's reservation is held in e.
func (m *Manager) ValidateCS(e *ww.Exec, b *BO) error {
	// The reservation lock held here serialises every writer of mem and
	// pin (see BO.mu): no leaf lock needed to read them.
	cur, pin := b.mem, b.pin
	pref, allowed := b.Domains()
	if pin > 0 {
		return nil
	}
	if cur != nil && cur.pool.domain&pref != 0 {
		return nil
	}
	err := m.Validate(e, b, pref)
	if err == errno.ENOMEM && pref != allowed {
		err = m.Validate(e, b, allowed)
	}
	return err
}

// Pin mirrors amdgpu_bo_pin(): validate into domain (narrowed to the
// preferred domains when they intersect) and pin. A BO already pinned must
// be in domain (EINVAL otherwise).
//
// Preconditions: b's reservation is held in e.
func (m *Manager) Pin(e *ww.Exec, b *BO, domain Domain) error {
	pref, _ := b.Domains()
	if pref&domain != 0 {
		domain &= pref
	}
	b.mu.Lock()
	if b.pin > 0 {
		defer b.mu.Unlock()
		if b.mem.pool.domain&domain == 0 {
			return errno.EINVAL
		}
		b.pin++
		return nil
	}
	if b.flags.Load()&uapi.AMDGPU_GEM_CREATE_NO_CPU_ACCESS == 0 {
		b.flags.Or(uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED)
	}
	b.mu.Unlock()
	if err := m.Validate(e, b, domain); err != nil {
		return err
	}
	b.mu.Lock()
	b.pin++
	a := b.mem
	b.mu.Unlock()
	a.pool.setPinned(a, true)
	return nil
}

// Unpin mirrors amdgpu_bo_unpin(). Preconditions: b's reservation is held.
func (m *Manager) Unpin(b *BO) {
	b.mu.Lock()
	if b.pin == 0 {
		b.mu.Unlock()
		return
	}
	b.pin--
	a, last := b.mem, b.pin == 0
	b.mu.Unlock()
	if last {
		a.pool.setPinned(a, false)
		m.Touch(b)
	}
}

// retire hands a to a ghost that returns it to its pool when every fence
// of fs has signaled (at once when none is pending). Contents are dropped.
func (m *Manager) retire(a *Allocation, fs []*fence.Fence, why string) {
	var pending []*fence.Fence
	for _, f := range fs {
		if !f.IsSignaled() {
			pending = append(pending, f)
		}
	}
	if len(pending) == 0 {
		a.store.dropIfUnshared(a)
		a.pool.release(a)
		return
	}
	g := &ghost{alloc: a, fences: pending, why: why, since: m.clock.Now()}
	a.pool.becomeGhost(g)
	g.left.Store(int64(len(pending)) + 1)
	done := func() {
		if g.left.Add(-1) == 0 {
			m.releaseGhost(g)
		}
	}
	for _, f := range pending {
		if f.AddCallback(func(*fence.Fence) { done() }) == nil {
			done()
		}
	}
	done()
}

func (m *Manager) releaseGhost(g *ghost) {
	for _, f := range g.fences {
		if !f.SignaledFlag() {
			m.violate("ghost %v (%s) released with %v pending", g.alloc.Ref(), g.why, f)
		}
	}
	g.alloc.store.dropIfUnshared(g.alloc)
	g.alloc.pool.releaseGhost(g)
}

// dropIfUnshared frees the host memory of a's store; stores shared with
// another allocation (GTT ↔ system moves) are kept.
func (s *Store) dropIfUnshared(a *Allocation) {
	if a.shared {
		return
	}
	s.drop()
}

// release mirrors ttm_bo_release() for a BO whose last reference is gone.
func (m *Manager) release(b *BO) {
	// ttm_bo_individualize_resv(): copy the shared resv's fences into the
	// private one, which is used from now on.
	shared := b.r.Load()
	if shared != b.own {
		fs, us := shared.FencesWithUsage(resv.BOOKKEEP)
		if !b.own.WW().TryLock(nil) {
			panic("bo: private reservation of a dying BO is locked")
		}
		if len(fs) > 0 {
			if err := b.own.ReserveFences(len(fs)); err == nil {
				for i, f := range fs {
					b.own.AddFence(f, us[i])
				}
			}
		}
		b.own.Unlock()
		b.r.Store(b.own)
	}
	b.mu.Lock()
	mem := b.mem
	wipe := b.flags.Load()&uapi.AMDGPU_GEM_CREATE_VRAM_WIPE_ON_RELEASE != 0
	if b.pin > 0 {
		b.pin = 0 // WARN_ON_ONCE(bo->pin_count)
		if mem != nil {
			defer mem.pool.setPinned(mem, false)
		}
	}
	b.mu.Unlock()
	// amdgpu_bo_release_notify(): wipe VRAM before it is reused.
	if mem != nil && mem.pool.domain == VRAM && wipe {
		if b.own.WW().TryLock(nil) {
			deps := b.own.Fences(resv.BOOKKEEP)
			size := b.size
			job := m.move.Push(gpu.WorkFunc(func(gpu.RunContext) gpu.Usage {
				if mem.stateOf() == allocReleased {
					m.violate("wipe of %v writes released %v", b, mem.Ref())
				}
				mem.store.drop() // AMDGPU_POISON is not modelled: the bytes go
				return gpu.Usage{Bytes: int64(size)}
			}), deps...)
			if err := b.own.ReserveFences(1); err == nil {
				b.own.AddFence(job.Finished(), resv.KERNEL)
			}
			b.own.Unlock()
		}
	}
	m.lruMu.Lock()
	b.mu.Lock()
	if b.lru != nil {
		mem.pool.lru.Remove(b.lru)
		b.lru = nil
	}
	b.mem = nil
	b.deleted = true
	b.mu.Unlock()
	m.lruMu.Unlock()
	if mem != nil {
		// Delayed destroy: the range comes back when every fence of the
		// private reservation, BOOKKEEP included, has signaled.
		m.retire(mem, b.own.Fences(resv.BOOKKEEP), "delayed destroy")
	}
	m.live.Add(-1)
}

// Access checks that ref still names live memory (or a ghost, which fences
// may still access): the hazard checker's use-after-free test. It returns a
// *UseAfterFreeError otherwise.
func (m *Manager) Access(ref Ref) error {
	_, err := m.liveAlloc(ref)
	return err
}

func (m *Manager) liveAlloc(ref Ref) (*Allocation, error) {
	p := m.pools[ref.Domain]
	if p == nil {
		return nil, &UseAfterFreeError{Ref: ref}
	}
	a := p.lookup(ref.Start)
	if a == nil || a.gen != ref.Gen || a.stateOf() == allocReleased {
		var cur uint64
		if a != nil {
			cur = a.gen
		}
		return nil, &UseAfterFreeError{Ref: ref, Current: cur}
	}
	return a, nil
}

// Read copies len(p) bytes at off of the memory ref names into p: a GPU
// read through a page-table entry. It returns *UseAfterFreeError, and
// copies nothing, if ref no longer names live memory (or a ghost).
func (m *Manager) Read(ref Ref, off uint64, p []byte) error {
	a, err := m.liveAlloc(ref)
	if err != nil {
		return err
	}
	if off+uint64(len(p)) > a.pages*PageSize {
		return &UseAfterFreeError{Ref: ref, Current: a.gen}
	}
	a.store.ReadAt(p, off)
	return nil
}

// Write copies p into the memory ref names at off: a GPU write. Errors as
// Read.
func (m *Manager) Write(ref Ref, off uint64, p []byte) error {
	a, err := m.liveAlloc(ref)
	if err != nil {
		return err
	}
	if off+uint64(len(p)) > a.pages*PageSize {
		return &UseAfterFreeError{Ref: ref, Current: a.gen}
	}
	a.store.WriteAt(p, off)
	return nil
}

// Stats is the manager's accounting.
type Stats struct {
	Pools map[Domain]PoolStats
	// BytesMoved, Evictions and VRAMCPUPageFaults are the amdgpu_device
	// counters (num_bytes_moved, num_evictions, num_vram_cpu_page_faults).
	BytesMoved, Evictions, VRAMCPUPageFaults uint64
	// LiveBOs counts BOs with references.
	LiveBOs int64
}

// Stats returns a snapshot of the accounting. Safe for concurrent use.
func (m *Manager) Stats() Stats {
	s := Stats{Pools: map[Domain]PoolStats{}, BytesMoved: m.bytesMoved.Load(),
		Evictions: m.evictions.Load(), VRAMCPUPageFaults: m.cpuFaults.Load(),
		LiveBOs: m.live.Load()}
	for d, p := range m.pools {
		s.Pools[d] = p.Stats()
	}
	return s
}

// Check verifies every invariant: per pool (see Pool.check), generations
// unique across pools, and no safety violation recorded (a range released
// while a fence on it was pending, a copy or wipe of released memory). It
// returns the first failure.
func (m *Manager) Check() error {
	m.vmu.Lock()
	if len(m.violations) > 0 {
		v := m.violations[0]
		m.vmu.Unlock()
		return errors.New(v)
	}
	m.vmu.Unlock()
	gens := map[uint64]Ref{}
	for _, d := range []Domain{VRAM, GTT, CPU, GDS, GWS, OA, Doorbell} {
		if err := m.pools[d].check(gens); err != nil {
			return err
		}
	}
	// Every BO on an LRU list is placed in that pool.
	m.lruMu.Lock()
	defer m.lruMu.Unlock()
	for d, p := range m.pools {
		for el := p.lru.Front(); el != nil; el = el.Next() {
			b := el.Value.(*BO)
			b.mu.Lock()
			bad := b.mem == nil || b.mem.pool != p || b.mem.stateOf() != allocLive
			b.mu.Unlock()
			if bad {
				return fmt.Errorf("%v on the %v LRU is not placed there", b, d)
			}
		}
	}
	return nil
}
