package vm

import (
	"sync"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

// tlbEntry is a cached translation of one GPU page.
type tlbEntry struct {
	placement Placement
	off       uint64
	flags     uint32
	prt       bool
}

// vmid is struct amdgpu_vmid with the TLB of its hub's translation caches:
// translations are filled on use and dropped only by a flush.
type vmid struct {
	id uint32
	// owner is the VM last assigned the id ((*id)->owner).
	owner *VM
	// flushedSeq is (*id)->flushed_updates: the VM's tlb_seq at the last
	// flush.
	flushedSeq uint64
	// active counts running jobs using the id.
	active int
	// used is the grab stamp, for LRU.
	used uint64
	tlb  map[uint64]tlbEntry
}

// vmidManager is struct amdgpu_vmid_mgr of the GFX hub (amdgpu_ids.c):
// VMIDs 1..n-1 (VMID 0 is the kernel's), an LRU, and at most one reserved
// VMID (AMDGPU_VM_OP_RESERVE_VMID).
type vmidManager struct {
	mu sync.Mutex
	// ids[0] is VMID 0, never handed out. Protected by mu.
	ids []*vmid
	// reserved is id_mgr->reserved_vmid and reservedBy its VM. Protected
	// by mu.
	reserved   *vmid
	reservedBy *VM
	// stamp orders grabs; flushes counts TLB flushes. Protected by mu.
	stamp, flushes uint64
}

func newVMIDManager(n int) *vmidManager {
	m := &vmidManager{ids: make([]*vmid, n)}
	for i := range m.ids {
		m.ids[i] = &vmid{id: uint32(i), tlb: make(map[uint64]tlbEntry)}
	}
	return m
}

// reserve mirrors amdgpu_vmid_alloc_reserved() after "revert rework
// reserved VMID handling v2" (90e09ea4cfd4): a VM that already holds the
// reserved VMID succeeds again; another VM's reservation gives ENOENT;
// otherwise the least recently used VMID leaves the LRU for this VM. (A
// posted fix answers the first case with ENOENT too; not modelled.)
func (m *vmidManager) reserve(v *VM) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reservedBy == v {
		return nil
	}
	if m.reserved != nil {
		return errno.ENOENT
	}
	var lru *vmid
	for _, id := range m.ids[1:] {
		if lru == nil || id.used < lru.used {
			lru = id
		}
	}
	m.reserved, m.reservedBy = lru, v
	return nil
}

// unreserve mirrors amdgpu_vmid_free_reserved(): the VMID goes back to
// the LRU if v holds it; otherwise nothing happens.
func (m *vmidManager) unreserve(v *VM) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reservedBy == v {
		m.reserved, m.reservedBy = nil, nil
	}
}

// release drops v's reservation and ownership of ids (VM teardown).
func (m *vmidManager) release(v *VM) {
	m.unreserve(v)
	m.mu.Lock()
	for _, id := range m.ids {
		if id.owner == v {
			id.owner = nil
			clear(id.tlb)
		}
	}
	m.mu.Unlock()
}

// grab mirrors amdgpu_vmid_grab() when a job starts: the reserved VMID if
// v holds it; else an id v already owns (grab_used); else the least
// recently used idle id, or the least recently used id at all (the kernel
// would wait for an idle one; vmemu does not model that wait). The job
// needs a flush when the id changes owner or its flushed_updates is older
// than v's tlb_seq; the flush empties the id's TLB.
//
// Preconditions: m.mu is held.
func (m *vmidManager) grabLocked(v *VM) (id *vmid, flushed bool) {
	switch {
	case m.reservedBy == v:
		id = m.reserved
	default:
		var idle, any *vmid
		for _, c := range m.ids[1:] {
			if c == m.reserved {
				continue
			}
			if c.owner == v {
				id = c
				break
			}
			if c.active == 0 && (idle == nil || c.used < idle.used) {
				idle = c
			}
			if any == nil || c.used < any.used {
				any = c
			}
		}
		if id == nil {
			id = idle
		}
		if id == nil {
			id = any
		}
	}
	seq := v.tlbSeq.Load()
	if id.owner != v || id.flushedSeq < seq {
		clear(id.tlb)
		id.owner, id.flushedSeq = v, seq
		m.flushes++
		flushed = true
	}
	m.stamp++
	id.used = m.stamp
	id.active++
	return id, flushed
}

// VMIoctl mirrors amdgpu_vm_ioctl() (DRM_IOCTL_AMDGPU_VM): flags must be 0
// (EINVAL); RESERVE_VMID reserves the GFX hub's dedicated VMID for this VM
// (ENOENT if another VM holds it); UNRESERVE_VMID gives it back; any other
// op is EINVAL. Nothing is written back.
func (v *VM) VMIoctl(in *uapi.VMIn) (uapi.VMOut, error) {
	if in.Flags != 0 {
		return uapi.VMOut{}, errno.EINVAL
	}
	switch in.Op {
	case uapi.AMDGPU_VM_OP_RESERVE_VMID:
		return uapi.VMOut{}, v.m.vmids.reserve(v)
	case uapi.AMDGPU_VM_OP_UNRESERVE_VMID:
		v.m.vmids.unreserve(v)
		return uapi.VMOut{}, nil
	}
	return uapi.VMOut{}, errno.EINVAL
}

// ReservedVMID returns the VMID reserved for v, or 0.
func (v *VM) ReservedVMID() uint32 {
	m := v.m.vmids
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reservedBy == v {
		return m.reserved.id
	}
	return 0
}

// TLBFlushes returns how many VMID flushes the manager performed.
func (m *Manager) TLBFlushes() uint64 {
	m.vmids.mu.Lock()
	defer m.vmids.mu.Unlock()
	return m.vmids.flushes
}
