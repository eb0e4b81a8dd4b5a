package vm

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/ww"
)

// Origin says who asked for a page-table update (spec/amdgpu.md §2.14): an
// EXPLICIT CS must depend on KERNEL updates (moves, validation) but not on
// USER ones (GEM_VA maps, which user space orders itself).
type Origin uint8

const (
	// OriginUser: a GEM_VA operation, or a CS performing a DELAY_UPDATE.
	OriginUser Origin = iota
	// OriginKernel: handle_moved after a TTM move, validation.
	OriginKernel
)

func (o Origin) String() string {
	if o == OriginKernel {
		return "kernel"
	}
	return "user"
}

// ptOwner is the owner of the VM's page-table entities: the Go form of
// AMDGPU_FENCE_OWNER_VM, which amdgpu_sync never waits on through a resv.
type ptOwner struct{ vm *VM }

// OwnerVM is implemented by entity owners (CS contexts) that belong to a
// VM. A CS job's entity must have as Owner either the *VM itself or a value
// implementing OwnerVM: that is how the sync rules (EQ_OWNER, NE_OWNER)
// recognise the VM's own submissions, as amdgpu_sync_get_owner() returns
// &fpriv->vm for CS fences.
type OwnerVM interface {
	OwnerVM() *VM
}

// VM is struct amdgpu_vm: one GPU virtual address space, one per DRM file.
//
// # Locking
//
// mu is the VM lock. It stands for the root PD reservation plus
// vm->status_lock: every method takes it internally, after whatever
// reservation (ww) locks the caller holds. Methods documented with
// "Preconditions: the root resv is locked" add fences to RootResv and
// need its ww lock held by the caller (the CS's drm_exec). ptMu guards the
// page tables, the execution side; it is taken by page-table jobs and CS
// jobs on the clock goroutine and never held while driving the clock.
//
// Lock order: reservations (ww, any order) → VM.mu → Manager.mu →
// vmidManager.mu → VM.ptMu → faultMu. No lock is held while calling
// Memory, Observer, or waiting on a fence.
type VM struct {
	m    *Manager
	id   uint64
	root *resv.Resv
	// delayed is vm->delayed: the one FIFO entity all page-table jobs of
	// the VM go through (rule E5). vm->immediate serves the retry-fault
	// path, which vmemu does not model (no-retry faults).
	delayed *gpu.Entity
	owner   ptOwner
	// tlbSeq is vm->tlb_seq, bumped when an update needing a TLB flush
	// completes.
	tlbSeq atomic.Uint64

	mu sync.Mutex
	// va is vm->va. Protected by mu.
	va *vaMap
	// status holds the per-VM status lists. Protected by mu.
	status bova.StatusLists
	// freed is vm->freed. Protected by mu.
	freed *bova.List
	// bovas holds every bo_va of the VM by BO, for walks over all of
	// them; lookups go through the BO's own list (lookupLocked).
	// Protected by mu.
	bovas map[BO]*bova.BoVA
	// perVM lists the per-VM ("always valid") BOs in the order they were
	// opened: the VM's LRU bulk-move range (vm->lru_bulk_move). Protected
	// by mu.
	perVM []BO
	// prt is fpriv->prt_va. Protected by mu.
	prt *bova.BoVA
	// lastUpdate is vm->last_update, never nil. Protected by mu.
	lastUpdate *fence.Fence
	// lastPT is the finished fence of the last page-table job pushed.
	// Protected by mu.
	lastPT *fence.Fence
	// evicting is vm->evicting. Protected by mu.
	evicting bool
	// mandatory is the EXPLICIT-mode mandatory sync list (rule E4).
	// Protected by mu.
	mandatory []*fence.Fence
	// ptJobs counts page-table jobs pushed. Protected by mu.
	ptJobs int
	// scratch is reused by clear_mappings. Protected by mu.
	scratch []*bova.Mapping
	// spare holds destroyed mappings for reuse (see newMapping).
	// Protected by mu.
	spare []*bova.Mapping

	ptMu sync.Mutex
	// pt is the page-table state the GPU sees. Protected by ptMu.
	pt *pageTable

	faultMu sync.Mutex
	// lastFault is vm->fault_info (AMDGPU_INFO_GPUVM_FAULT); faults counts
	// them; uafs counts accesses that hit released memory. Protected by
	// faultMu.
	lastFault *Fault
	faults    int
	uafs      int
}

// NewVM returns a new VM: amdgpu_vm_init() plus the per-file PRT bo_va that
// amdgpu_driver_open_kms() adds. The VM's page-table entity feeds the
// manager's PT ring at normal priority.
func (m *Manager) NewVM() *VM {
	v := &VM{
		m: m, id: m.nextID.Add(1), root: resv.New(), va: newVAMap(),
		freed: bova.NewFreedList(), bovas: make(map[BO]*bova.BoVA),
		lastUpdate: m.domain.Stub(), pt: newPageTable(),
	}
	v.owner.vm = v
	v.delayed = m.engine.NewKernelEntity(m.ptRing, fmt.Sprintf("vm%d.delayed", v.id),
		gpu.PriorityNormal, &v.owner)
	v.prt = bova.New(v, nil, false, m.domain.Stub())
	m.mu.Lock()
	m.vms[v.id] = v
	m.mu.Unlock()
	return v
}

// Close releases the VM: its reserved VMID and its VMIDs' ownership
// (amdgpu_vm_fini()). The caller has drained or abandoned its jobs.
func (v *VM) Close() {
	v.m.vmids.release(v)
	v.m.mu.Lock()
	delete(v.m.vms, v.id)
	v.m.mu.Unlock()
}

// ID returns the VM's number (unique per Manager).
func (v *VM) ID() uint64 { return v.id }

// Manager returns the VM's manager.
func (v *VM) Manager() *Manager { return v.m }

// RootResv returns the root PD reservation: the VM lock of the kernel, the
// resv of every per-VM BO, where page-table fences go as BOOKKEEP and CS
// fences as WRITE.
func (v *VM) RootResv() *resv.Resv { return v.root }

// Entity returns the VM's page-table entity (vm->delayed).
func (v *VM) Entity() *gpu.Entity { return v.delayed }

// TLBSeq returns vm->tlb_seq.
func (v *VM) TLBSeq() uint64 { return v.tlbSeq.Load() }

// PTJobs returns how many page-table jobs the VM pushed.
func (v *VM) PTJobs() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.ptJobs
}

// LastUpdate returns vm->last_update (never nil): the fence a CS always
// depends on, covering PDE and per-VM BO updates.
func (v *VM) LastUpdate() *fence.Fence {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lastUpdate
}

// PRT returns the per-file PRT bo_va (fpriv->prt_va).
func (v *VM) PRT() *bova.BoVA { return v.prt }

// Ready mirrors amdgpu_vm_ready(): not evicting and nothing on evicted.
// The CS fails with EINVAL when it is false after validation; GEM_VA
// silently skips the page-table update.
func (v *VM) Ready() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.readyLocked()
}

func (v *VM) readyLocked() bool {
	return !v.evicting && v.status.Len(bova.Evicted) == 0
}

// SetEvicting sets vm->evicting, as amdgpu_vm_evictable() does when TTM
// evicts a page table: page-table updates then fail with EBUSY until
// Validate.
func (v *VM) SetEvicting() {
	v.mu.Lock()
	v.evicting = true
	v.mu.Unlock()
}

// Find returns bo's bo_va in this VM, or nil (amdgpu_vm_bo_find()).
func (v *VM) Find(bo BO) *bova.BoVA {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lookupLocked(bo)
}

// lookupLocked finds bo's bo_va in this VM (amdgpu_vm_bo_find()) on the
// BO's own bo_va list (bo->vm_bo, a scan of one or two entries). v.mu
// held.
func (v *VM) lookupLocked(bo BO) *bova.BoVA { return bo.VMBases().Find(v) }

// PerVMBOs appends the VM's per-VM BOs to out, in the order they were
// opened: the BOs amdgpu_vm_move_to_lru_tail() moves in bulk.
func (v *VM) PerVMBOs(out []BO) []BO {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append(out, v.perVM...)
}

// AlwaysValidBO is implemented by BOs that know whether they were created
// with AMDGPU_GEM_CREATE_VM_ALWAYS_VALID; such a BO can only be opened in
// the VM whose root resv it shares.
type AlwaysValidBO interface {
	AlwaysValid() bool
}

func (v *VM) isAlwaysValid(bo BO) bool { return bo != nil && bo.Resv() == v.root }

// AddBO is the VM half of GEM_OPEN (amdgpu_gem_object_open()): it finds the
// BO's bo_va and takes a reference, or creates it (amdgpu_vm_bo_add() with
// amdgpu_vm_bo_base_init()). A per-VM BO goes to idle, or to evicted when
// it is not in a preferred domain; an own-resv BO stays on no list.
// errno.EPERM: a per-VM BO of another VM.
//
// Preconditions: the BO's resv is locked.
func (v *VM) AddBO(bo BO) (*bova.BoVA, error) {
	if av, ok := bo.(AlwaysValidBO); ok && av.AlwaysValid() && bo.Resv() != v.root {
		return nil, errno.EPERM
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if b := v.lookupLocked(bo); b != nil {
		b.Ref()
		return b, nil
	}
	b := bova.New(v, bo, v.isAlwaysValid(bo), v.m.domain.Stub())
	v.bovas[bo] = b
	bo.VMBases().Add(b)
	if b.AlwaysValid() {
		v.perVM = append(v.perVM, bo)
	}
	if b.AlwaysValid() {
		v.status.BecomeIdle(b)
		if !bo.InPreferredDomain() {
			v.status.BecomeEvicted(b)
		}
	}
	return b, nil
}

// DelBO mirrors amdgpu_vm_bo_del(): the bo_va leaves its status list;
// valid mappings go to the freed list (their PTEs stay live until
// ClearFreed), invalid ones are destroyed at once. explicit marks the freed
// mappings as explicitly unmapped (EXPLICIT policy, rule E4): their clears
// then depend only on the VM order.
//
// Preconditions: the root resv and the BO's resv are locked.
func (v *VM) DelBO(b *bova.BoVA, explicit bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.delLocked(b, explicit)
}

func (v *VM) delLocked(b *bova.BoVA, explicit bool) {
	if b.Deleted() {
		return
	}
	v.status.Remove(b)
	b.Valids().Each(func(m *bova.Mapping) bool {
		b.Valids().Remove(m)
		v.va.remove(m)
		m.Explicit = explicit
		v.freed.Add(m)
		return true
	})
	b.Invalids().Each(func(m *bova.Mapping) bool {
		b.Invalids().Remove(m)
		v.va.remove(m)
		v.freeMapping(m, b.LastPTUpdate())
		return true
	})
	b.MarkDeleted()
	if bo := b.BO(); bo != nil {
		delete(v.bovas, bo)
		bo.VMBases().Remove(b)
		if b.AlwaysValid() {
			if i := slices.Index(v.perVM, bo); i >= 0 {
				v.perVM = slices.Delete(v.perVM, i, i+1)
			}
		}
	}
}

// freeMapping mirrors amdgpu_vm_free_mapping(): a PRT mapping drops its
// PRT ref when f signals, and the mapping is destroyed (kfree()).
//
// Preconditions: m is on no list and out of the tree; the caller does not
// touch m afterwards (it may be handed out again by newMapping).
func (v *VM) freeMapping(m *bova.Mapping, f *fence.Fence) {
	if m.Flags&uapi.AMDGPU_VM_PAGE_PRT != 0 {
		v.m.prtPutOn(f)
	}
	v.recycleMapping(m)
}

// recycleMapping keeps m, destroyed, for newMapping.
//
// Preconditions: as freeMapping's.
func (v *VM) recycleMapping(m *bova.Mapping) {
	if len(v.spare) < spareMappings {
		*m = bova.Mapping{} // drop its bo_va; Where is none again
		v.spare = append(v.spare, m)
	}
}

// spareMappings bounds the destroyed mappings a VM keeps for reuse: 64 of
// 64 bytes, like a slab's per-CPU array cache.
const spareMappings = 64

// newMapping returns a mapping on no list, as the kmalloc() of
// amdgpu_vm_bo_map() and amdgpu_vm_bo_clear_mappings() does.
//
// A mapping freeMapping destroyed is reused first, as the kmalloc-64 slab
// hands the object kfree() just returned to the next kmalloc() on the same
// CPU. This is safe because mappings never leave packages vm and bova:
// page-table work copies a mapping's fields (ptWork), MappingInfo returns
// copies, and every list and tree drops a mapping before freeMapping. It
// spares GEM_VA's MAP+UNMAP pair an allocation (≈50 ns of its ≈480 here).
//
// Preconditions: v.mu is held.
func (v *VM) newMapping(start, last, offset uint64, flags uint32) *bova.Mapping {
	if n := len(v.spare); n > 0 {
		m := v.spare[n-1]
		v.spare[n-1] = nil
		v.spare = v.spare[:n-1]
		m.Start, m.Last, m.Offset, m.Flags = start, last, offset, flags
		return m
	}
	return &bova.Mapping{Start: start, Last: last, Offset: offset, Flags: flags}
}

// OpenBO is GEM_OPEN's VM work with its locking: it locks the BO's resv
// and calls AddBO.
func (v *VM) OpenBO(bo BO) (*bova.BoVA, error) {
	r := bo.Resv()
	if err := r.Lock(nil); err != nil {
		return nil, err
	}
	defer r.Unlock()
	return v.AddBO(bo)
}

// CloseBO mirrors amdgpu_gem_object_close() for one handle: with the BO and
// the root PD locked, it drops a reference; the last one deletes the bo_va
// (DelBO) and, if the VM is ready, runs ClearFreed. Baseline: the clear
// fence is added to the BO's resv as READ (amdgpu_bo_fence(…, true)).
// explicit (the EXPLICIT policy, rule E4): every unsignalled CS fence of
// the VM on the root resv, the bo_va's last unmap fence and the clear fence
// go to the BO's resv as BOOKKEEP (memory stays alive, no implicit sync),
// and the last unmap and clear fences join the VM's mandatory list.
//
// It returns the clear fence, or nil when there was nothing to clear.
func (v *VM) CloseBO(bo BO, explicit bool) (*fence.Fence, error) {
	e := ww.NewExec(ww.IgnoreDuplicates, 2)
	defer e.Fini()
	err := e.Run(func(e *ww.Exec) error {
		if err := e.Prepare(bo.Resv(), 4); err != nil {
			return err
		}
		return e.Prepare(v.root, 1)
	})
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.lookupLocked(bo)
	if b == nil || b.Unref() > 0 {
		return nil, nil
	}
	lastUnmap := b.LastUnmap()
	v.delLocked(b, explicit)
	var f *fence.Fence
	if v.readyLocked() {
		f, err = v.clearFreedLocked(nil)
		if err != nil {
			return nil, err
		}
	}
	r := bo.Resv()
	if !explicit {
		if f != nil {
			v.addFence(r, f, resv.READ)
		}
		return f, nil
	}
	for _, cs := range v.csFencesLocked() {
		v.addFence(r, cs, resv.BOOKKEEP)
	}
	for _, g := range []*fence.Fence{lastUnmap, f} {
		if g != nil && !g.IsSignaled() {
			v.addFence(r, g, resv.BOOKKEEP)
			v.mandatory = append(v.mandatory, g)
		}
	}
	return f, nil
}

// addFence reserves a slot and adds f to r.
//
// Preconditions: r is locked.
func (v *VM) addFence(r *resv.Resv, f *fence.Fence, u resv.Usage) {
	if err := r.ReserveFences(1); err != nil {
		panic(err) // only n <= 0 fails
	}
	r.AddFence(f, u)
}

// csFencesLocked returns the unsignalled CS fences of this VM on the root
// resv, whatever their usage.
func (v *VM) csFencesLocked() []*fence.Fence {
	var out []*fence.Fence
	for _, f := range v.root.Fences(resv.BOOKKEEP) {
		if v.ownerOf(f) == ownerSelf {
			out = append(out, f)
		}
	}
	return out
}

// MoveNotify mirrors amdgpu_vm_bo_invalidate() for this VM, which
// amdgpu_bo_move_notify() calls before TTM moves or evicts bo: an evicted
// per-VM BO goes to evicted; otherwise, once per move cycle (moved not yet
// set), moved is set and the bo_va goes to moved (per-VM) or invalidated
// (own resv). The PTEs are not touched: they keep pointing at the old
// placement until HandleMoved or a BoUpdate rewrites them.
//
// Preconditions: bo's resv is locked.
func (v *VM) MoveNotify(bo BO, evict bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.lookupLocked(bo)
	if b == nil {
		return
	}
	if evict && b.AlwaysValid() {
		v.status.BecomeEvicted(b)
		return
	}
	if b.Moved() {
		return
	}
	b.SetMoved(true)
	if b.AlwaysValid() {
		v.status.BecomeMoved(b)
	} else {
		v.status.BecomeInvalidated(b)
	}
}

// MoveNotify calls VM.MoveNotify on every VM of the manager that has bo
// open: the bo->vm_bo walk of amdgpu_vm_bo_invalidate().
func (m *Manager) MoveNotify(bo BO, evict bool) {
	m.mu.Lock()
	vms := make([]*VM, 0, len(m.vms))
	for _, v := range m.vms {
		vms = append(vms, v)
	}
	m.mu.Unlock()
	for _, v := range vms {
		v.MoveNotify(bo, evict)
	}
}

// Validate mirrors amdgpu_vm_validate(): every bo_va on evicted is passed
// to validate (which moves the BO back into an allowed domain) and goes to
// moved; then vm->evicting is cleared. A validate error stops the walk and
// is returned. (PD/PT BOs are not modelled; evicted_user, which needs a
// ticket and compute VMs, is not either.)
//
// Preconditions: the root resv is locked.
func (v *VM) Validate(validate func(BO) error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for b := v.status.First(bova.Evicted); b != nil; b = v.status.First(bova.Evicted) {
		if validate != nil {
			v.mu.Unlock()
			err := validate(b.BO())
			v.mu.Lock()
			if err != nil {
				return err
			}
		}
		if b.State() == bova.Evicted {
			v.status.BecomeMoved(b)
		}
	}
	v.evicting = false
	return nil
}

// AddMandatory appends fences to the VM's mandatory sync list (rule E4):
// the free and eviction paths call it; every later CS of the VM depends on
// the unsignalled members.
func (v *VM) AddMandatory(fs ...*fence.Fence) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, f := range fs {
		if f != nil && !f.IsSignaled() {
			v.mandatory = append(v.mandatory, f)
		}
	}
}

// Mandatory prunes the signalled members of the mandatory list and returns
// a copy of the rest: the CS adds them as dependencies. They stay on the
// list until they signal.
func (v *VM) Mandatory() []*fence.Fence {
	v.mu.Lock()
	defer v.mu.Unlock()
	kept := v.mandatory[:0]
	for _, f := range v.mandatory {
		if !f.IsSignaled() {
			kept = append(kept, f)
		}
	}
	clear(v.mandatory[len(kept):])
	v.mandatory = kept
	return append([]*fence.Fence(nil), kept...)
}

// ErrInvariant wraps every failure of Check.
var ErrInvariant = errors.New("vm: invariant violated")

// Check verifies the invariants of spec/amdgpu.md §2.13.5: no two mappings
// of the tree overlap; each mapping is on exactly one of its bo_va's
// invalids or valids (tree members) or the freed list (not in the tree);
// the status lists are consistent; last_update and every last_pt_update are
// non-nil; the last page-table fence, if unsignalled, is on the root resv
// as BOOKKEEP. It is O(n) and meant for tests.
func (v *VM) Check() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...))
	}
	if err := v.va.check(); err != nil {
		return fail("%v", err)
	}
	if err := v.status.Check(); err != nil {
		return fail("%v", err)
	}
	if err := v.freed.Check(); err != nil {
		return fail("%v", err)
	}
	if v.lastUpdate == nil {
		return fail("last_update is nil")
	}
	n := 0
	all := append(make([]*bova.BoVA, 0, len(v.bovas)+1), v.prt)
	for _, b := range v.bovas {
		all = append(all, b)
	}
	for _, b := range all {
		if b.LastPTUpdate() == nil {
			return fail("%v: last_pt_update is nil", b)
		}
		for _, l := range []*bova.List{b.Invalids(), b.Valids()} {
			if err := l.Check(); err != nil {
				return fail("%v: %v", b, err)
			}
			var err error
			l.Each(func(m *bova.Mapping) bool {
				if v.va.lookup(m.Start) != m {
					err = fail("%v of %v is not in the VA tree", m, b)
				}
				n++
				return err == nil
			})
			if err != nil {
				return err
			}
		}
	}
	if n != v.va.Len() {
		return fail("%d mappings on bo_va lists, %d in the tree", n, v.va.Len())
	}
	var err error
	v.freed.Each(func(m *bova.Mapping) bool {
		if v.va.lookup(m.Start) == m {
			err = fail("freed %v is still in the VA tree", m)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if f := v.lastPT; f != nil && !f.IsSignaled() {
		fs, us := v.root.FencesWithUsage(resv.BOOKKEEP)
		found := false
		for i, g := range fs {
			if g == f {
				if us[i] != resv.BOOKKEEP {
					return fail("page-table fence %v on the root resv as %v", f, us[i])
				}
				found = true
			}
		}
		if !found {
			return fail("page-table fence %v not on the root resv", f)
		}
	}
	return nil
}

// MappingAt mirrors amdgpu_vm_bo_lookup_mapping() as amdgpu_cs_find_mapping()
// uses it: the BO mapped at va and the byte offset of va in it, from the
// VA map (the ioctl-side view, not the page tables). ok is false for an
// unmapped address or a PRT mapping without a BO.
func (v *VM) MappingAt(va uint64) (b BO, off uint64, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	page := va / GPUPageSize
	m := v.va.lookup(page)
	if m == nil || m.BoVA() == nil || m.BoVA().BO() == nil {
		return nil, 0, false
	}
	return m.BoVA().BO(), m.Offset + (page-m.Start)*GPUPageSize + va%GPUPageSize, true
}

// MappedNow reports whether va is covered by a mapping in the VA map (the
// ioctl-side view) without blocking: known is false when the VM lock is
// busy. Observers use it from the GPU timeline, where taking the VM lock
// could deadlock with an ioctl driving the clock.
func (v *VM) MappedNow(va uint64) (mapped, known bool) {
	if !v.mu.TryLock() {
		return false, false
	}
	defer v.mu.Unlock()
	return v.va.lookup(va/GPUPageSize) != nil, true
}

// MappingInfo mirrors amdgpu_gem_list_mappings() (AMDGPU_GEM_OP
// GET_MAPPING_INFO): bo's mappings in this VM, the bo_va's valid list
// then its invalid list, in list order. ok is false when bo has no bo_va
// here (the kernel answers ENOENT since the 2026 NULL-bo_va fix).
func (v *VM) MappingInfo(bo BO) (ms []bova.Mapping, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.lookupLocked(bo)
	if b == nil {
		return nil, false
	}
	for _, l := range []*bova.List{b.Valids(), b.Invalids()} {
		l.Each(func(m *bova.Mapping) bool {
			ms = append(ms, bova.Mapping{Start: m.Start, Last: m.Last, Offset: m.Offset, Flags: m.Flags})
			return true
		})
	}
	return ms, true
}
