package amdgpu

import (
	"container/heap"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/vm"
	"github.com/vmemu/vmemu/ww"
)

// This file holds the GEM ioctls of amdgpu_gem.c (kernel-patches/bpf
// 04a45bbc, KMS 3.65) and DRM_IOCTL_GEM_CLOSE (drm_gem.c), on the memory
// model of package bo, with the file's GEM handle table.

// gemTable is the file's object_idr: handles are the lowest free id ≥ 1,
// as idr_alloc(&file->object_idr, obj, 1, 0, …) hands them out.
//
// The ids being dense, the table is a slice indexed by handle. Writers
// (create, remove) hold mu. Readers (peek, lookup) do not: the kernel
// takes file->table_lock for every look-up (objects_lookup()), but a
// lock-free read gives the same answers, since a slot is an atomic
// pointer and a grown slice is published whole after the old slots are
// copied in, so a reader holding the old slice sees each handle as it was
// at some moment of its own call.
type gemTable struct {
	mu sync.Mutex
	// slots holds the BO of each handle (slot 0 unused, nil when free).
	// Stored with mu held.
	slots atomic.Pointer[[]atomic.Pointer[bo.BO]]
	// live counts the handles. Protected by mu.
	live int
	// next is one past the highest id ever handed out; freed holds the
	// released ids below it. Protected by mu.
	next  uint32
	freed idHeap
	// prime is the prime handle cache (drm_prime_file_private): the
	// handle of each BO this file exported or imported as a dma-buf.
	// Protected by mu.
	prime map[*bo.BO]uint32
}

// slot returns handle h's slot, or nil if h was never handed out.
func (t *gemTable) slot(h uint32) *atomic.Pointer[bo.BO] {
	s := t.slots.Load()
	if s == nil || uint64(h) >= uint64(len(*s)) {
		return nil
	}
	return &(*s)[h]
}

// primeAdd records h as the file's handle of exported/imported b.
func (t *gemTable) primeAdd(b *bo.BO, h uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.prime == nil {
		t.prime = map[*bo.BO]uint32{}
	}
	t.prime[b] = h
}

// primeLookup returns the cached handle of b.
func (t *gemTable) primeLookup(b *bo.BO) (uint32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.prime[b]
	return h, ok
}

type idHeap []uint32

func (h idHeap) Len() int           { return len(h) }
func (h idHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h idHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *idHeap) Push(x any)        { *h = append(*h, x.(uint32)) }
func (h *idHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// create mirrors drm_gem_handle_create(): the handle takes its own
// reference and counts as a handle of b.
func (t *gemTable) create(b *bo.BO) uint32 {
	b.Get()
	b.HandleGet()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.next == 0 {
		t.next = 1
	}
	var h uint32
	if t.freed.Len() > 0 {
		h = heap.Pop(&t.freed).(uint32)
	} else {
		h = t.next
		t.next++
	}
	sl := t.slot(h)
	if sl == nil {
		var old []atomic.Pointer[bo.BO]
		if p := t.slots.Load(); p != nil {
			old = *p
		}
		grown := make([]atomic.Pointer[bo.BO], max(16, 2*len(old), int(h)+1))
		for i := range old {
			grown[i].Store(old[i].Load())
		}
		t.slots.Store(&grown)
		sl = &grown[h]
	}
	sl.Store(b)
	t.live++
	return h
}

// lookup mirrors drm_gem_object_lookup(): a referenced BO or nil. Without
// table_lock (see gemTable) the handle's own reference may go between the
// read and the get, so the reference is taken only if the BO is not
// already released (kref_get_unless_zero()). A look-up racing with
// GEM_CLOSE of the handle returns the BO (the handle named it when the
// slot was read) or nil, never a released BO.
func (t *gemTable) lookup(h uint32) *bo.BO {
	b := t.peek(h)
	if b == nil || !b.TryGet() {
		return nil
	}
	return b
}

// peek returns the BO handle h names, or nil, without taking a reference:
// for callers that only need the BO to find its bo_va under the
// reservation lock (GEM_VA), where a concurrent GEM_CLOSE shows up as the
// bo_va being gone. It takes no lock (see gemTable).
func (t *gemTable) peek(h uint32) *bo.BO {
	if sl := t.slot(h); sl != nil {
		return sl.Load()
	}
	return nil
}

// remove takes a handle out of the table, with the handle's reference.
func (t *gemTable) remove(h uint32) *bo.BO {
	t.mu.Lock()
	defer t.mu.Unlock()
	sl := t.slot(h)
	if sl == nil {
		return nil
	}
	b := sl.Load()
	if b == nil {
		return nil
	}
	sl.Store(nil)
	t.live--
	heap.Push(&t.freed, h)
	if ph, ok := t.prime[b]; ok && ph == h {
		delete(t.prime, b) // drm_prime_remove_buf_handle()
	}
	return b
}

type gemEntry struct {
	h uint32
	b *bo.BO
}

// list returns the handles in id order (idr_for_each_entry()).
func (t *gemTable) list() []gemEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	es := make([]gemEntry, 0, t.live)
	if p := t.slots.Load(); p != nil {
		for h := range *p {
			if b := (*p)[h].Load(); b != nil {
				es = append(es, gemEntry{uint32(h), b})
			}
		}
	}
	return es
}

// releaseAllHandles closes every handle (drm_gem_release() at file close).
func (f *File) releaseAllHandles() {
	for _, e := range f.gem.list() {
		if b := f.gem.remove(e.h); b != nil {
			f.releaseHandle(b)
		}
	}
}

// openHandle creates a handle for b in f: drm_gem_handle_create() with
// amdgpu_gem_object_open() (the bo_va of f's VM).
func (f *File) openHandle(b *bo.BO) (uint32, error) {
	if _, err := f.vm.OpenBO(bo.VMBO{B: b}); err != nil {
		return 0, err
	}
	return f.gem.create(b), nil
}

// releaseHandle mirrors drm_gem_object_release_handle():
// amdgpu_gem_object_close() (the bo_va goes away with the last handle, its
// mappings are freed and cleared; under the EXPLICIT policy rule E4 adds
// the VM's CS fences and the last unmap as BOOKKEEP), the handle count,
// then the handle's reference.
func (f *File) releaseHandle(b *bo.BO) {
	if _, err := f.vm.CloseBO(bo.VMBO{B: b}, f.explicitFree()); err != nil {
		f.dev.logf("vmemu: GEM close of %v: %v", b, err)
	}
	b.HandlePut()
	b.Put()
}

// Handles returns the number of GEM handles of the file.
func (f *File) Handles() int {
	f.gem.mu.Lock()
	defer f.gem.mu.Unlock()
	return f.gem.live
}

// LookupBO returns the BO of a handle with a reference the caller must
// Put, or nil.
func (f *File) LookupBO(handle uint32) *bo.BO { return f.gem.lookup(handle) }

// VMRootResv returns the reservation object of the file's VM root page
// directory, which VM_ALWAYS_VALID BOs share.
func (f *File) VMRootResv() *resv.Resv { return f.vmRoot }

// MapBO returns a CPU view of the BO of handle: vmemu's stand-in for
// mmap() of the offset GEM_MMAP returns (there is no real mmap). It fails
// with ENOENT for an unknown handle and EPERM for a NO_CPU_ACCESS BO, as
// GEM_MMAP does. Close the view when done.
func (f *File) MapBO(handle uint32) (*CPUMap, error) {
	b := f.gem.lookup(handle)
	if b == nil {
		return nil, errno.ENOENT
	}
	defer b.Put()
	v, err := b.CPUView()
	if err != nil {
		return nil, err
	}
	return &CPUMap{CPUView: v, b: b, f: f}, nil
}

// CPUMap is a BO's CPU mapping as File.MapBO gives it: a bo.CPUView whose
// accesses are reported to the hazard checker as the file's CPU accesses
// (a CPU write racing with GPU work the file did not wait for is reported).
type CPUMap struct {
	*bo.CPUView
	b *bo.BO
	f *File
}

func (m *CPUMap) note(off int64, n int, write bool) {
	o := m.f.dev.obs
	if o.chk == nil || n <= 0 {
		return
	}
	_, ref := m.b.Placement()
	label := "CPU read"
	if write {
		label = "CPU write"
	}
	o.chk.Access(check.Access{Agent: o.cpuAgent(m.f), Alloc: check.AllocID(bo.AllocID(ref)), Gen: ref.Gen,
		Off: uint64(off), Len: uint64(n), Write: write, Label: label})
}

// ReadAt implements io.ReaderAt.
func (m *CPUMap) ReadAt(p []byte, off int64) (int, error) {
	m.note(off, len(p), false)
	return m.CPUView.ReadAt(p, off)
}

// WriteAt implements io.WriterAt.
func (m *CPUMap) WriteAt(p []byte, off int64) (int, error) {
	m.note(off, len(p), true)
	return m.CPUView.WriteAt(p, off)
}

// gemClose mirrors drm_gem_close_ioctl() with drm_gem_handle_delete(): an
// unknown handle → EINVAL; pad is not checked.
func (f *File) gemClose(s *dispatch.State) error {
	var a uapi.GemClose
	a.UnmarshalBytes(s.Buf)
	b := f.gem.remove(a.Handle)
	if b == nil {
		return errno.EINVAL
	}
	f.releaseHandle(b)
	return nil
}

// domainsValid mirrors amdgpu_gem_are_domains_valid(): a special domain
// (anything but CPU, GTT and VRAM) must be the only bit set.
func domainsValid(d uint64) bool {
	const normal = uapi.AMDGPU_GEM_DOMAIN_CPU | uapi.AMDGPU_GEM_DOMAIN_GTT | uapi.AMDGPU_GEM_DOMAIN_VRAM
	const special = uapi.AMDGPU_GEM_DOMAIN_MASK &^ normal
	sp := d & special
	if sp == 0 {
		return true
	}
	if d&normal != 0 {
		return false
	}
	return sp&(sp-1) == 0
}

// gemCreate mirrors amdgpu_gem_create_ioctl(). Checks in order: a flag
// outside AMDGPU_GEM_CREATE_SETTABLE_MASK, a domain outside
// AMDGPU_GEM_DOMAIN_MASK, a special domain with any other bit, ENCRYPTED
// without TMZ, and GDS/GWS/OA with VM_ALWAYS_VALID are EINVAL. VRAM_CLEARED
// is always added (and VRAM_WIPE_ON_RELEASE by amdgpu_gem_object_create());
// GDS/GWS/OA get NO_CPU_ACCESS. A VM_ALWAYS_VALID BO shares the VM root's
// reservation, locked for the creation. When creation fails (but for
// ERESTARTSYS) it is retried without CPU_ACCESS_REQUIRED, then a VRAM-only
// request as VRAM|GTT.
func (f *File) gemCreate(s *dispatch.State) error {
	var in uapi.GemCreateIn
	in.UnmarshalBytes(s.Buf)
	flags := in.DomainFlags
	if flags&^uint64(uapi.AMDGPU_GEM_CREATE_SETTABLE_MASK) != 0 {
		return errno.EINVAL
	}
	if in.Domains&^uint64(uapi.AMDGPU_GEM_DOMAIN_MASK) != 0 || !domainsValid(in.Domains) {
		return errno.EINVAL
	}
	if f.dev.prof.IDsFlags&uapi.AMDGPU_IDS_FLAGS_TMZ == 0 && flags&uapi.AMDGPU_GEM_CREATE_ENCRYPTED != 0 {
		return errno.EINVAL
	}
	flags |= uapi.AMDGPU_GEM_CREATE_VRAM_CLEARED
	if in.Domains&(uapi.AMDGPU_GEM_DOMAIN_GDS|uapi.AMDGPU_GEM_DOMAIN_GWS|uapi.AMDGPU_GEM_DOMAIN_OA) != 0 {
		if flags&uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID != 0 {
			return errno.EINVAL // "GDS bo cannot be per-vm-bo"
		}
		flags |= uapi.AMDGPU_GEM_CREATE_NO_CPU_ACCESS
	}
	var e *ww.Exec
	var shared *resv.Resv
	if flags&uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID != 0 {
		e = ww.NewExec(0, 2)
		e.Begin()
		defer func() {
			if e != nil {
				e.Fini()
			}
		}()
		if err := e.Lock(f.vmRoot); err != nil { // amdgpu_bo_reserve(vm->root.bo)
			return err
		}
		shared = f.vmRoot
	}
	initial := bo.Domain(uint32(in.Domains))
	var b *bo.BO
	var err error
	for {
		// amdgpu_gem_object_create()
		b, err = f.dev.mem.Create(bo.CreateParams{
			Size: in.BOSize, Align: in.Alignment, Domain: initial,
			Flags: flags | uapi.AMDGPU_GEM_CREATE_VRAM_WIPE_ON_RELEASE,
			Resv:  shared, Exec: e,
		})
		if err == nil || err == errno.ERESTARTSYS {
			break
		}
		if flags&uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED != 0 {
			flags &^= uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED
			continue
		}
		if initial == bo.VRAM {
			initial |= bo.GTT
			continue
		}
		break
	}
	if err != nil {
		return err
	}
	if e != nil {
		e.Fini() // unlock the root before amdgpu_gem_object_open() takes it
		e = nil
	}
	h, err := f.openHandle(b)
	b.Put() // the handle holds the reference now
	if err != nil {
		return err
	}
	clear(s.Buf[:uapi.SizeOfGemCreate])
	out := uapi.GemCreateOut{Handle: h}
	out.MarshalBytes(s.Buf)
	return nil
}

// gemMmap mirrors amdgpu_gem_mmap_ioctl() with amdgpu_mode_dumb_mmap(): the
// out union is zeroed first; unknown handle → ENOENT; a userptr or
// NO_CPU_ACCESS BO → EPERM; else the BO's fake mmap offset. vmemu has no
// real mmap: in-process clients use File.MapBO.
func (f *File) gemMmap(s *dispatch.State) error {
	var in uapi.GemMmapIn
	in.UnmarshalBytes(s.Buf)
	clear(s.Buf[:uapi.SizeOfGemMmap])
	b := f.gem.lookup(in.Handle)
	if b == nil {
		return errno.ENOENT
	}
	defer b.Put()
	if b.Flags()&uapi.AMDGPU_GEM_CREATE_NO_CPU_ACCESS != 0 {
		return errno.EPERM
	}
	out := uapi.GemMmapOut{AddrPtr: b.MmapOffset()}
	out.MarshalBytes(s.Buf)
	return nil
}

// gemDeadline mirrors amdgpu_gem_timeout() on the device clock: an
// absolute time in ns; negative as s64 → no limit; past → poll.
func (d *Device) gemDeadline(timeout uint64) int64 {
	if int64(timeout) < 0 {
		return sim.Forever
	}
	return int64(timeout)
}

// gemWaitIdle mirrors amdgpu_gem_wait_idle_ioctl(): unknown handle →
// ENOENT; then a wait on the BO's reservation with usage READ (KERNEL,
// WRITE and READ fences, not BOOKKEEP). The out union is zeroed and status
// is 1 when the wait timed out, 0 when idle; domain stays 0. flags is not
// checked.
func (f *File) gemWaitIdle(s *dispatch.State) error {
	var in uapi.GemWaitIdleIn
	in.UnmarshalBytes(s.Buf)
	deadline := f.dev.gemDeadline(in.Timeout)
	b := f.gem.lookup(in.Handle)
	if b == nil {
		return errno.ENOENT
	}
	defer b.Put()
	waited := b.Resv().Fences(resv.READ)
	idle := b.Resv().Wait(f.dev.clock, resv.READ, deadline)
	if idle {
		f.cpuWaited(waited...)
	}
	clear(s.Buf[:uapi.SizeOfGemWaitIdle])
	var out uapi.GemWaitIdleOut
	if !idle {
		out.Status = 1
	}
	out.MarshalBytes(s.Buf)
	return nil
}

// gemOp mirrors amdgpu_gem_op_ioctl(). Checks in order: padding ≠ 0 →
// EINVAL; unknown handle → ENOENT; then per op. GET_GEM_CREATE_INFO copies
// a GemCreateIn (size, page_alignment << PAGE_SHIFT, preferred domains,
// flags) to value (EFAULT on a fault). SET_PLACEMENT sets the preferred
// domains to value & (VRAM|GTT|CPU) and the allowed ones to the same, plus
// GTT for VRAM only (imported and userptr BOs do not exist in vmemu yet).
// GET_MAPPING_INFO refuses num_entries > INT_MAX/32 with EINVAL, a BO
// without a bo_va in this VM with ENOENT, and reports the BO's mappings
// (see the case below). Their flags are the uAPI AMDGPU_VM_PAGE_* bits the
// mapping was created with, as mapping->flags holds them from 6.18 on
// ("rework how PTE flags are generated v3", spec/amdgpu.md §1.3); a kernel
// without that rework would report hardware PTE bits (not modelled: which
// release first has this op is not verified here). Another op → EINVAL. The
// 16-byte legacy struct reads padding as 0 and gets no num_entries back.
func (f *File) gemOp(s *dispatch.State) error {
	var a uapi.GemOp
	a.UnmarshalBytes(s.Buf)
	if a.Padding != 0 {
		return errno.EINVAL
	}
	b := f.gem.lookup(a.Handle)
	if b == nil {
		return errno.ENOENT
	}
	defer b.Put()
	r := b.Resv()
	if err := r.Lock(nil); err != nil {
		return err
	}
	locked := true
	unlock := func() {
		if locked {
			r.Unlock()
			locked = false
		}
	}
	defer unlock()
	switch a.Op {
	case uapi.AMDGPU_GEM_OP_GET_GEM_CREATE_INFO:
		pref, _ := b.Domains()
		info := uapi.GemCreateIn{BOSize: b.Size(), Alignment: b.PageAlignment() << 12,
			Domains: uint64(pref), DomainFlags: b.Flags()}
		unlock()
		buf := make([]byte, info.SizeBytes())
		info.MarshalBytes(buf)
		if err := s.IO.CopyOut(a.ValueP64().Addr(), buf); err != nil {
			return errno.EFAULT
		}
		return nil
	case uapi.AMDGPU_GEM_OP_SET_PLACEMENT:
		pref := bo.Domain(a.Value & (uapi.AMDGPU_GEM_DOMAIN_VRAM | uapi.AMDGPU_GEM_DOMAIN_GTT | uapi.AMDGPU_GEM_DOMAIN_CPU))
		allowed := pref
		if allowed == bo.VRAM {
			allowed |= bo.GTT
		}
		b.SetDomains(pref, allowed)
		return nil
	case uapi.AMDGPU_GEM_OP_GET_MAPPING_INFO:
		// amdgpu_gem_list_mappings(): every mapping is counted; the
		// entries are copied only when they all fit (0 < count ≤
		// num_entries); num_entries returns the count. A copy fault is
		// EFAULT here (the kernel returns copy_to_user()'s byte count).
		if uint64(a.NumEntries) > 0x7fffffff/uapi.SizeOfGemVMEntry {
			return errno.EINVAL
		}
		ms, ok := f.vm.MappingInfo(bo.VMBO{B: b})
		unlock()
		if !ok {
			return errno.ENOENT
		}
		if len(ms) > 0 && len(ms) <= int(a.NumEntries) {
			buf := make([]byte, len(ms)*uapi.SizeOfGemVMEntry)
			for i, m := range ms {
				e := uapi.GemVMEntry{Addr: m.Start * vm.GPUPageSize,
					Size: (m.Last - m.Start + 1) * vm.GPUPageSize, Offset: m.Offset, Flags: uint64(m.Flags)}
				e.MarshalBytes(buf[i*uapi.SizeOfGemVMEntry:])
			}
			if err := s.IO.CopyOut(a.ValueP64().Addr(), buf); err != nil {
				return errno.EFAULT
			}
		}
		a.NumEntries = uint32(len(ms))
		a.MarshalBytes(s.Buf)
		return nil
	}
	return errno.EINVAL
}

// gemMetadata mirrors amdgpu_gem_metadata_ioctl(): unknown handle →
// ENOENT; GET returns tiling flags, metadata flags, size and blob (the rest
// of data is left as the caller passed it); SET with data_size_bytes > 256
// → EINVAL, then the tiling check of amdgpu_bo_set_tiling_flags(), then
// the blob (an empty one clears it and keeps the old flags); any other op
// does nothing and succeeds.
func (f *File) gemMetadata(s *dispatch.State) error {
	var a uapi.GemMetadata
	a.UnmarshalBytes(s.Buf)
	b := f.gem.lookup(a.Handle)
	if b == nil {
		return errno.ENOENT
	}
	defer b.Put()
	r := b.Resv()
	if err := r.Lock(nil); err != nil {
		return err
	}
	defer r.Unlock()
	switch a.Op {
	case uapi.AMDGPU_GEM_METADATA_OP_GET_METADATA:
		tiling, flags, data := b.Metadata()
		a.Data.TilingInfo, a.Data.Flags = tiling, flags
		a.Data.DataSizeBytes = uint32(len(data))
		for i := 0; i+4 <= len(data); i += 4 {
			a.Data.Data[i/4] = binary.LittleEndian.Uint32(data[i:])
		}
		if n := len(data) % 4; n != 0 {
			var w [4]byte
			binary.LittleEndian.PutUint32(w[:], a.Data.Data[len(data)/4])
			copy(w[:], data[len(data)-n:])
			a.Data.Data[len(data)/4] = binary.LittleEndian.Uint32(w[:])
		}
		a.MarshalBytes(s.Buf)
	case uapi.AMDGPU_GEM_METADATA_OP_SET_METADATA:
		if a.Data.DataSizeBytes > bo.MaxMetadata {
			return errno.EINVAL
		}
		if err := b.SetTiling(a.Data.TilingInfo); err != nil {
			return err
		}
		raw := make([]byte, bo.MaxMetadata)
		for i, w := range a.Data.Data {
			binary.LittleEndian.PutUint32(raw[4*i:], w)
		}
		return b.SetMetadata(raw[:a.Data.DataSizeBytes], a.Data.Flags)
	}
	return nil
}

// gemListHandles mirrors amdgpu_gem_list_handles_ioctl(): with fewer
// entries than handles it stores the count and succeeds without copying;
// with no handles it stores 0; otherwise it copies one entry per handle in
// handle order (EFAULT on a fault). alignment is reported as the kernel
// does, in pages (tbo.page_alignment), and alloc_flags masked with
// AMDGPU_GEM_CREATE_SETTABLE_MASK. padding is not checked.
func (f *File) gemListHandles(s *dispatch.State) error {
	var a uapi.GemListHandles
	a.UnmarshalBytes(s.Buf)
	es := f.gem.list()
	n := uint32(len(es))
	if a.NumEntries < n || n == 0 {
		a.NumEntries = n
		a.MarshalBytes(s.Buf)
		return nil
	}
	buf := make([]byte, 0, len(es)*uapi.SizeOfGemListHandlesEntry)
	for _, e := range es {
		pref, _ := e.b.Domains()
		ent := uapi.GemListHandlesEntry{GemHandle: e.h, Size: e.b.Size(),
			PreferredDomains: uint64(pref),
			AllocFlags:       e.b.Flags() & uapi.AMDGPU_GEM_CREATE_SETTABLE_MASK,
			Alignment:        e.b.PageAlignment()}
		b := make([]byte, ent.SizeBytes())
		ent.MarshalBytes(b)
		buf = append(buf, b...)
	}
	a.NumEntries = n
	a.MarshalBytes(s.Buf)
	if err := s.IO.CopyOut(a.Entries.Addr(), buf); err != nil {
		return errno.EFAULT
	}
	return nil
}

// userTaskSizeMax is x86-64's TASK_SIZE_MAX with 4-level paging, the
// bound access_ok() checks.
const userTaskSizeMax = 1<<47 - 4096

// gemUserptr mirrors amdgpu_gem_userptr_ioctl()'s checks in order: addr or
// size not page aligned → EINVAL; a range access_ok() refuses → EFAULT; an
// unknown flag → EINVAL; neither READONLY nor REGISTER → EACCES. It then
// fails with ENODEV, the answer of a kernel built without
// CONFIG_HMM_MIRROR (amdgpu_hmm_register()): vmemu cannot follow changes
// to the client's page tables (no MMU notifier), and the clients of the
// socket server have no memory in vmemu's address space. Mesa and libdrm
// treat a failing userptr as unsupported and fall back to copies.
func (f *File) gemUserptr(s *dispatch.State) error {
	var a uapi.GemUserptr
	a.UnmarshalBytes(s.Buf)
	addr := a.Addr.Addr()
	if (addr|a.Size)%bo.PageSize != 0 {
		return errno.EINVAL
	}
	if a.Size > userTaskSizeMax || addr > userTaskSizeMax-a.Size {
		return errno.EFAULT
	}
	if a.Flags&^uint32(uapi.AMDGPU_GEM_USERPTR_READONLY|uapi.AMDGPU_GEM_USERPTR_ANONONLY|
		uapi.AMDGPU_GEM_USERPTR_VALIDATE|uapi.AMDGPU_GEM_USERPTR_REGISTER) != 0 {
		return errno.EINVAL
	}
	if a.Flags&(uapi.AMDGPU_GEM_USERPTR_READONLY|uapi.AMDGPU_GEM_USERPTR_REGISTER) == 0 {
		return errno.EACCES
	}
	return errno.ENODEV
}
