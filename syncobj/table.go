package syncobj

import (
	"container/heap"
	"math"
	"sync"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/usermem"
)

// Features are the driver feature bits the syncobj ioctls check first
// (drm_core_check_feature()).
type Features uint8

const (
	// DriverSyncobj is DRIVER_SYNCOBJ: every syncobj ioctl needs it.
	DriverSyncobj Features = 1 << iota
	// DriverSyncobjTimeline is DRIVER_SYNCOBJ_TIMELINE: TIMELINE_WAIT,
	// QUERY, TRANSFER, TIMELINE_SIGNAL and EVENTFD check it (and only it;
	// drivers that set it also set DriverSyncobj).
	DriverSyncobjTimeline
)

// String returns the set bits' kernel names.
func (f Features) String() string {
	s := ""
	if f&DriverSyncobj != 0 {
		s = "DRIVER_SYNCOBJ"
	}
	if f&DriverSyncobjTimeline != 0 {
		if s != "" {
			s += "|"
		}
		s += "DRIVER_SYNCOBJ_TIMELINE"
	}
	if s == "" {
		return "0"
	}
	return s
}

// Option configures a Table.
type Option func(*Table)

// WithFeatures sets the driver features (default: both, as amdgpu has).
// A driver without DriverSyncobj gets errno.EOPNOTSUPP from every syncobj
// ioctl, and one without DriverSyncobjTimeline from the timeline ones.
func WithFeatures(f Features) Option { return func(t *Table) { t.features = f } }

// Table is a DRM file's syncobj handle table (drm_file.syncobj_xa) and the
// entry point of its syncobj ioctls. Handles are allocated lowest-free from
// 1, as xa_alloc() on an XA_FLAGS_ALLOC1 xarray does, and reused after
// DESTROY. Each handle holds one reference on its Syncobj.
//
// A Table is safe for concurrent use.
type Table struct {
	d        *fence.Domain
	fds      FDs
	eventfds Eventfds
	features Features

	mu sync.Mutex
	// objs maps handles to objects. Protected by mu.
	objs map[uint32]*Syncobj
	// free holds the released handles below next. Protected by mu.
	free handleHeap
	// next is the lowest handle never allocated. Protected by mu.
	next uint64
}

// NewTable returns an empty handle table (drm_syncobj_open()). d provides
// the clock, stubs and fence contexts. fds and eventfds may be nil; the
// ioctls that need them then fail with an *errno.Internal error.
func NewTable(d *fence.Domain, fds FDs, eventfds Eventfds, opts ...Option) *Table {
	t := &Table{
		d: d, fds: fds, eventfds: eventfds,
		features: DriverSyncobj | DriverSyncobjTimeline,
		objs:     make(map[uint32]*Syncobj),
		next:     1,
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Domain returns the table's fence domain.
func (t *Table) Domain() *fence.Domain { return t.d }

// Features returns the driver features the table was built with.
func (t *Table) Features() Features { return t.features }

// Close drops every handle's reference (drm_syncobj_release(), at file
// close). The table is empty afterwards and may be reused.
func (t *Table) Close() {
	t.mu.Lock()
	objs := t.objs
	t.objs = make(map[uint32]*Syncobj)
	t.free = nil
	t.next = 1
	t.mu.Unlock()
	for _, s := range objs {
		s.Put()
	}
}

// Len returns the number of handles.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.objs)
}

// Install gives s a new handle holding its own reference, mirroring
// drm_syncobj_get_handle(). It returns errno.EBUSY when all 2^32-1 handles
// are in use (xa_alloc() with xa_limit_32b).
func (t *Table) Install(s *Syncobj) (uint32, error) {
	s.Get()
	t.mu.Lock()
	var h uint32
	switch {
	case len(t.free) > 0:
		h = heap.Pop(&t.free).(uint32)
	case t.next <= math.MaxUint32:
		h = uint32(t.next)
		t.next++
	default:
		t.mu.Unlock()
		s.Put()
		return 0, errno.EBUSY
	}
	t.objs[h] = s
	t.mu.Unlock()
	return h, nil
}

// Lookup returns the object behind handle with a new reference, which the
// caller must Put (drm_syncobj_find()). It returns errno.ENOENT for an
// unknown handle.
func (t *Table) Lookup(handle uint32) (*Syncobj, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.objs[handle]
	if !ok {
		return nil, errno.ENOENT
	}
	s.Get()
	return s, nil
}

// remove erases handle and returns its object, whose reference passes to
// the caller.
func (t *Table) remove(handle uint32) (*Syncobj, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.objs[handle]
	if !ok {
		return nil, false
	}
	delete(t.objs, handle)
	heap.Push(&t.free, handle)
	return s, true
}

// FindFence mirrors drm_syncobj_find_fence(), which drivers (amdgpu CS
// dependencies, GEM_VA input syncobjs) and TRANSFER use: errno.ENOENT for
// an unknown handle, then Syncobj.FindFence with the kernel's 5 s
// WAIT_FOR_SUBMIT limit.
func (t *Table) FindFence(handle uint32, point uint64, flags uint32) (*fence.Fence, error) {
	s, err := t.Lookup(handle)
	if err != nil {
		return nil, err
	}
	defer s.Put()
	return s.FindFence(point, flags, 0)
}

// Kernel allocation limits the array ioctls hit before any lookup or copy.
// drm_syncobj.c sizes its temporary arrays with kmalloc_array() and
// kzalloc_objs(), which fail (-ENOMEM) above KMALLOC_MAX_SIZE: 4 MiB, that
// is 1 << (MAX_PAGE_ORDER + PAGE_SHIFT) with x86-64's defaults of 10 and
// 12. The element sizes are those of x86-64.
const (
	kmallocMaxSize = 1 << 22
	// sizeofWaitEntry is sizeof(struct syncobj_wait_entry): node 16, task
	// 8, fence 8, fence_cb 24, point 8.
	sizeofWaitEntry = 64
	sizeofPtr       = 8
)

// kmallocArray fails with errno.ENOMEM as kmalloc_array(n, size) does.
func kmallocArray(n uint32, size uint64) error {
	if uint64(n)*size > kmallocMaxSize {
		return errno.ENOMEM
	}
	return nil
}

// arrayFind mirrors drm_syncobj_array_find(): copy count handles in from
// addr and look each up, taking a reference on each. The caller puts them
// with putAll. Errors: errno.ENOMEM (array too large), errno.EFAULT, then
// errno.ENOENT for the first unknown handle.
func (t *Table) arrayFind(io usermem.IO, addr uint64, count uint32) ([]*Syncobj, error) {
	if err := kmallocArray(count, 4); err != nil {
		return nil, err
	}
	handles := make([]uint32, count)
	if err := usermem.CopyInU32s(io, addr, handles); err != nil {
		return nil, err
	}
	if err := kmallocArray(count, sizeofPtr); err != nil {
		return nil, err
	}
	objs := make([]*Syncobj, 0, count)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range handles {
		s, ok := t.objs[h]
		if !ok {
			for _, s := range objs {
				s.Put()
			}
			return nil, errno.ENOENT
		}
		s.Get()
		objs = append(objs, s)
	}
	return objs, nil
}

// copyInPoints reads count points from addr, or returns zeros for a NULL
// pointer, as the wait, signal and query handlers do.
func copyInPoints(io usermem.IO, addr uint64, count uint32) ([]uint64, error) {
	if err := kmallocArray(count, 8); err != nil {
		return nil, err
	}
	points := make([]uint64, count)
	if addr == 0 {
		return points, nil
	}
	if err := usermem.CopyInU64s(io, addr, points); err != nil {
		return nil, err
	}
	return points, nil
}

func putAll(objs []*Syncobj) {
	for _, s := range objs {
		s.Put()
	}
}

// handleHeap is a min-heap of free handles.
type handleHeap []uint32

func (h handleHeap) Len() int           { return len(h) }
func (h handleHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h handleHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *handleHeap) Push(x any)        { *h = append(*h, x.(uint32)) }
func (h *handleHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
