package bo

import (
	"container/list"
	"fmt"
	"github.com/vmemu/vmemu/bova"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/ww"
)

// MaxMetadata is the size of the metadata blob (sizeof
// drm_amdgpu_gem_metadata.data.data).
const MaxMetadata = 256

// BO is a buffer object: struct amdgpu_bo (amdgpu_object.h) with its
// ttm_buffer_object and drm_gem_object. See the package documentation.
//
// A BO is reference counted (Get, Put); the last Put starts its delayed
// destroy. Methods are safe for concurrent use unless their doc says that
// the reservation must be held.
type BO struct {
	m      *Manager
	id     uint64 // creation serial
	size   uint64 // bytes; GDS/GWS/OA: units << PAGE_SHIFT
	align  uint64 // ttm page_alignment, in the kernel's units
	kernel bool   // ttm_bo_type_kernel
	mmap   uint64 // fake mmap offset (drm_vma_node_offset_addr), 0 for kernel BOs
	own    *resv.Resv

	refs    atomic.Int64 // kref
	handles atomic.Int64 // GEM handle count

	// mu guards the fields below: the kernel's reservation lock serialises
	// their writers (moves, pins, GEM ops); mu is the leaf lock that lets
	// readers without it (the LRU walk, GEM_LIST_HANDLES) see them
	// consistently. Lock order: Manager.lruMu → mu.
	mu sync.Mutex
	// r is bo->base.resv: own, or a shared one (the VM root's for
	// VM_ALWAYS_VALID BOs) until release individualises it. Atomic: read on
	// every lock and fence add, written at most twice.
	r atomic.Pointer[resv.Resv]
	// domains holds the preferred (high 32 bits) and allowed (low 32
	// bits) domains. Atomic: read for every BO of every CS; written at
	// creation and by GEM_OP SET_PLACEMENT (reservation held).
	domains atomic.Uint64
	// flags are the AMDGPU_GEM_CREATE_* flags. Atomic: read for every BO
	// of every CS, changed only by CPU_ACCESS_REQUIRED hints.
	flags atomic.Uint64
	// mem is the current placement (nil before placement and after
	// release). Protected by mu.
	mem *Allocation
	// pin is the pin count. Protected by mu.
	pin int
	// lru is the BO's element in its pool's LRU list; protected by
	// Manager.lruMu.
	lru *list.Element
	// deleted is set when the last reference is gone. Protected by mu.
	deleted bool
	// tiling, metaFlags and metadata are GEM_METADATA's. Protected by mu.
	tiling, metaFlags uint64
	metadata          []byte

	moves, evictions atomic.Uint64

	// vmBases is bo->vm_bo: the BO's bo_vas, one per VM it is opened in.
	vmBases bova.Bases
}

// WW implements ww.Object: the BO's reservation lock (bo->base.resv->lock).
func (b *BO) WW() *ww.Mutex { return b.Resv().WW() }

// ReserveFences implements ww.FenceReserver (drm_exec_prepare_obj()
// reserves on the BO's reservation object).
//
// Preconditions: the reservation is held.
func (b *BO) ReserveFences(n int) error { return b.Resv().ReserveFences(n) }

// Get implements ww.Referenced: it takes a reference (drm_gem_object_get).
func (b *BO) Get() {
	if b.refs.Add(1) <= 1 {
		panic("bo: Get on a released BO")
	}
}

// TryGet takes a reference unless the BO is already released
// (kref_get_unless_zero()), and reports whether it did: for the LRU walk
// and for lock-free look-ups that may race with the last Put.
func (b *BO) TryGet() bool {
	for {
		n := b.refs.Load()
		if n <= 0 {
			return false
		}
		if b.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Put implements ww.Referenced: it drops a reference
// (drm_gem_object_put); the last one releases the BO (ttm_bo_release()).
func (b *BO) Put() {
	switch n := b.refs.Add(-1); {
	case n == 0:
		b.m.release(b)
	case n < 0:
		panic("bo: Put of a released BO")
	}
}

// Refs returns the reference count.
func (b *BO) Refs() int64 { return b.refs.Load() }

// HandleGet and HandlePut count GEM handles (obj->handle_count).
func (b *BO) HandleGet()          { b.handles.Add(1) }
func (b *BO) HandlePut()          { b.handles.Add(-1) }
func (b *BO) HandleCount() int64  { return b.handles.Load() }
func (b *BO) ID() uint64          { return b.id }
func (b *BO) Size() uint64        { return b.size }
func (b *BO) Kernel() bool        { return b.kernel }
func (b *BO) MmapOffset() uint64  { return b.mmap }
func (b *BO) Moves() uint64       { return b.moves.Load() }
func (b *BO) Evictions() uint64   { return b.evictions.Load() }
func (b *BO) String() string      { return fmt.Sprintf("bo%d", b.id) }
func (b *BO) OwnResv() *resv.Resv { return b.own }

// PageAlignment returns ttm_buffer_object.page_alignment: pages for
// ordinary BOs, the kernel's raw units for GDS, GWS and OA.
func (b *BO) PageAlignment() uint64 { return b.align }

// Resv returns bo->base.resv.
func (b *BO) Resv() *resv.Resv { return b.r.Load() }

// SharesResv reports whether the BO uses a reservation object it does not
// own (a per-VM BO).
func (b *BO) SharesResv() bool { return b.Resv() != b.own }

// Domains returns the preferred and allowed domains.
func (b *BO) Domains() (preferred, allowed Domain) {
	d := b.domains.Load()
	return Domain(d >> 32), Domain(d)
}

// SetDomains sets the preferred and allowed domains (GEM_OP
// SET_PLACEMENT). Preconditions: the reservation is held.
func (b *BO) SetDomains(preferred, allowed Domain) {
	b.domains.Store(uint64(preferred)<<32 | uint64(allowed))
}

// Flags returns the AMDGPU_GEM_CREATE_* flags.
func (b *BO) Flags() uint64 { return b.flags.Load() }

// Placement returns the current placement's domain (0 when none) and its
// memory identity.
func (b *BO) Placement() (Domain, Ref) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mem == nil {
		return 0, Ref{}
	}
	return b.mem.pool.domain, b.mem.Ref()
}

// Pinned returns the pin count.
func (b *BO) Pinned() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pin
}

// Metadata returns the tiling flags, the metadata flags and a copy of the
// metadata blob (amdgpu_bo_get_tiling_flags(), amdgpu_bo_get_metadata()).
func (b *BO) Metadata() (tiling, flags uint64, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tiling, b.metaFlags, append([]byte(nil), b.metadata...)
}

// SetTiling mirrors amdgpu_bo_set_tiling_flags(): families up to Carrizo
// refuse a TILE_SPLIT above 6 with EINVAL.
func (b *BO) SetTiling(tiling uint64) error {
	if b.m.family <= uapi.AMDGPU_FAMILY_CZ &&
		tiling>>uapi.AMDGPU_TILING_TILE_SPLIT_SHIFT&uapi.AMDGPU_TILING_TILE_SPLIT_MASK > 6 {
		return errno.EINVAL
	}
	b.mu.Lock()
	b.tiling = tiling
	b.mu.Unlock()
	return nil
}

// SetMetadata mirrors amdgpu_bo_set_metadata(): an empty blob clears the
// metadata and leaves the flags alone; otherwise blob and flags are stored.
func (b *BO) SetMetadata(data []byte, flags uint64) error {
	if len(data) > MaxMetadata {
		return errno.EINVAL
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(data) == 0 {
		b.metadata = nil
		return nil
	}
	b.metadata = append([]byte(nil), data...)
	b.metaFlags = flags
	return nil
}
