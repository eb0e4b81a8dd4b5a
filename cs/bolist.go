package cs

import (
	"cmp"
	"slices"
	"sync"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/internal/slicepool"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// MaxBOListPriority is AMDGPU_BO_LIST_MAX_PRIORITY.
const MaxBOListPriority = 32

// BOListEntry is struct amdgpu_bo_list_entry.
type BOListEntry struct {
	BO       *bo.BO
	Priority uint32
}

// BOList is struct amdgpu_bo_list: BOs sorted by priority, holding a
// reference on each, plus the GDS/GWS/OA objects a job uses.
type BOList struct {
	Entries      []BOListEntry
	GDS, GWS, OA *bo.BO
	mu           sync.Mutex
	refs         int
	released     bool
}

// CopyInBOListEntries mirrors amdgpu_bo_create_list_entry_array(): the
// kernel array is sized for bo_number entries of 8 bytes; a caller stride
// of 8 is copied in one go, any other stride entry by entry, each entry
// taking min(stride, 8) bytes and the rest zero. The array comes from a
// pool: give it back with PutBOListEntries once done with it.
func CopyInBOListEntries(io usermem.IO, in uapi.BOListIn) ([]uapi.BOListEntry, error) {
	if err := usermem.CheckArray(uint64(in.BONumber), uapi.SizeOfBOListEntry, 0); err != nil {
		return nil, err
	}
	out := infoPool.Get(int(in.BONumber))[:in.BONumber]
	if in.BONumber == 0 {
		return out, nil
	}
	addr := in.BOInfoPtr.Addr()
	if in.BOInfoSize == uapi.SizeOfBOListEntry {
		// One copy in the kernel; here in 4 KiB pieces through a pooled
		// buffer (a fault anywhere is EFAULT either way). A stack array
		// would escape through io.CopyIn, an interface call.
		bp := copyBufPool.Get().(*[4096]byte)
		defer copyBufPool.Put(bp)
		buf := bp[:]
		for i := 0; i < len(out); {
			k := min(len(out)-i, len(buf)/uapi.SizeOfBOListEntry)
			b := buf[:k*uapi.SizeOfBOListEntry]
			if err := io.CopyIn(addr, b); err != nil {
				return nil, errno.EFAULT
			}
			for j := range k {
				out[i+j].UnmarshalBytes(b[j*uapi.SizeOfBOListEntry:])
			}
			i += k
			addr += uint64(len(b))
		}
		return out, nil
	}
	n := min(uint64(in.BOInfoSize), uapi.SizeOfBOListEntry)
	one := make([]byte, uapi.SizeOfBOListEntry)
	for i := range out {
		clear(one)
		if err := io.CopyIn(addr, one[:n]); err != nil {
			return nil, errno.EFAULT
		}
		out[i].UnmarshalBytes(one)
		addr += uint64(in.BOInfoSize)
	}
	return out, nil
}

// NewBOList mirrors amdgpu_bo_list_create(): every handle must name a BO
// of the file (ENOENT; lookup returns the BO with a reference the list
// keeps), priorities are capped, entries are sorted by
// priority (stably: the kernel's heap sort may reorder equal priorities,
// which only changes lock order), and GDS/GWS/OA BOs are remembered.
func NewBOList(lookup func(handle uint32) *bo.BO, info []uapi.BOListEntry) (*BOList, error) {
	l := &BOList{refs: 1, Entries: entriesPool.Get(len(info))}
	for _, in := range info {
		b := lookup(in.BOHandle) // drm_gem_object_lookup(): a reference
		if b == nil {
			l.drop()
			return nil, errno.ENOENT
		}
		l.Entries = append(l.Entries, BOListEntry{BO: b, Priority: min(in.BOPriority, MaxBOListPriority)})
		switch pref, _ := b.Domains(); pref {
		case bo.GDS:
			l.GDS = b
		case bo.GWS:
			l.GWS = b
		case bo.OA:
			l.OA = b
		}
	}
	slices.SortStableFunc(l.Entries, func(a, b BOListEntry) int { return cmp.Compare(a.Priority, b.Priority) })
	return l, nil
}

func (l *BOList) drop() {
	for _, e := range l.Entries {
		e.BO.Put()
	}
	entriesPool.Put(l.Entries)
	l.Entries = nil
}

// PutBOListEntries returns an array from CopyInBOListEntries to its pool.
func PutBOListEntries(info []uapi.BOListEntry) { infoPool.Put(info) }

// infoPool and copyBufPool recycle CopyInBOListEntries' arrays and copy
// buffers: a CS with an inline BO_HANDLES chunk copies one list in per
// submission.
var (
	infoPool    = slicepool.Pool[uapi.BOListEntry]{Min: 64}
	copyBufPool = sync.Pool{New: func() any { return new([4096]byte) }}
)

// entriesPool recycles the entry arrays of large BO lists: a CS with an
// inline BO_HANDLES chunk creates and frees one per submission.
var entriesPool = slicepool.Pool[BOListEntry]{Min: 64}

// Get takes a reference (amdgpu_bo_list_get()).
func (l *BOList) Get() {
	l.mu.Lock()
	l.refs++
	l.mu.Unlock()
}

// Put drops a reference; the last one releases the BO references
// (amdgpu_bo_list_free()).
func (l *BOList) Put() {
	l.mu.Lock()
	l.refs--
	last := l.refs == 0 && !l.released
	if last {
		l.released = true
	}
	l.mu.Unlock()
	if last {
		l.drop()
	}
}

// BOLists is a file's BO list handle table (fpriv->bo_list_handles).
type BOLists struct {
	mu sync.Mutex
	// lists by handle, allocated from 1. Protected by mu.
	lists map[uint32]*BOList
}

// NewBOLists returns an empty table.
func NewBOLists() *BOLists { return &BOLists{lists: map[uint32]*BOList{}} }

// Ioctl is DRM_IOCTL_AMDGPU_BO_LIST (amdgpu_bo_list_ioctl()): the entry
// array is copied in first, for every operation; CREATE returns a new
// handle; DESTROY of any handle succeeds (an unknown one is ignored);
// UPDATE of an unknown handle → ENOENT; an unknown operation → EINVAL.
func (t *BOLists) Ioctl(io usermem.IO, in uapi.BOListIn, lookup func(uint32) *bo.BO) (uint32, error) {
	info, err := CopyInBOListEntries(io, in)
	if err != nil {
		return 0, err
	}
	defer PutBOListEntries(info)
	switch in.Operation {
	case uapi.AMDGPU_BO_LIST_OP_CREATE:
		l, err := NewBOList(lookup, info)
		if err != nil {
			return 0, err
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		h := uint32(1)
		for ; ; h++ {
			if _, used := t.lists[h]; !used {
				break
			}
		}
		t.lists[h] = l
		return h, nil
	case uapi.AMDGPU_BO_LIST_OP_DESTROY:
		t.mu.Lock()
		l := t.lists[in.ListHandle]
		delete(t.lists, in.ListHandle)
		t.mu.Unlock()
		if l != nil {
			l.Put()
		}
		return 0, nil
	case uapi.AMDGPU_BO_LIST_OP_UPDATE:
		l, err := NewBOList(lookup, info)
		if err != nil {
			return 0, err
		}
		t.mu.Lock()
		old, ok := t.lists[in.ListHandle]
		if ok {
			t.lists[in.ListHandle] = l
		}
		t.mu.Unlock()
		if !ok {
			l.Put()
			return 0, errno.ENOENT
		}
		old.Put()
		return in.ListHandle, nil
	}
	return 0, errno.EINVAL
}

// Get returns the list with handle h with a reference taken, or ENOENT
// (amdgpu_bo_list_get()).
func (t *BOLists) Get(h uint32) (*BOList, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.lists[h]
	if l == nil {
		return nil, errno.ENOENT
	}
	l.Get()
	return l, nil
}

// Close drops every list (file close).
func (t *BOLists) Close() {
	t.mu.Lock()
	ls := t.lists
	t.lists = map[uint32]*BOList{}
	t.mu.Unlock()
	for _, l := range ls {
		l.Put()
	}
}
