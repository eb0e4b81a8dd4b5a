package syncfile

import (
	"math"
	"sort"
	"sync"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
)

// Timeline is struct sync_timeline of sw_sync: a context whose value only
// moves forward when user space increments it, and whose points (sync_pt
// fences) signal once the value reaches their seqno.
//
// A client obtains one with amdgpu.Device.OpenSwSync (the analogue of
// opening /sys/kernel/debug/sync/sw_sync), creates fences with
// SW_SYNC_IOC_CREATE_FENCE and signals them with SW_SYNC_IOC_INC.
type Timeline struct {
	d       *fence.Domain
	context uint64
	name    string

	mu sync.Mutex
	// value is the timeline's current value. Protected by mu.
	value uint32
	// pending are the unsignaled points in seqno order. Protected by mu.
	pending []*fence.Fence
	// closed is set by Release. Protected by mu.
	closed bool
}

// NewTimeline mirrors sync_timeline_create().
func NewTimeline(d *fence.Domain, name string) *Timeline {
	return &Timeline{d: d, context: d.ContextAlloc(1), name: truncName(name)}
}

// Context returns the timeline's fence context.
func (t *Timeline) Context() uint64 { return t.context }

// Value returns the current value.
func (t *Timeline) Value() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.value
}

type ptOps struct{ t *Timeline }

// Signaled mirrors timeline_fence_signaled(): the value has reached the
// point (32-bit comparison with wrap-around).
func (o ptOps) Signaled(f *fence.Fence) bool {
	o.t.mu.Lock()
	defer o.t.mu.Unlock()
	return !later32(uint32(f.Seqno()), o.t.value)
}

func (o ptOps) EnableSignaling(f *fence.Fence) bool { return !o.Signaled(f) }
func (o ptOps) DriverName() string                  { return "sw_sync" }
func (o ptOps) TimelineName() string                { return o.t.name }

func later32(a, b uint32) bool { return int32(a-b) > 0 }

// CreateFence mirrors sync_pt_create(): a point at value on this timeline; a
// point for a value already reached is born signaled, and an unsignaled
// point with the same value is shared.
func (t *Timeline) CreateFence(value uint32) *fence.Fence {
	t.mu.Lock()
	if !later32(value, t.value) {
		t.mu.Unlock()
		f := t.d.NewWithOps(t.context, uint64(value), ptOps{t})
		f.Signal()
		return f
	}
	i := sort.Search(len(t.pending), func(i int) bool {
		return !later32(value, uint32(t.pending[i].Seqno()))
	})
	if i < len(t.pending) && uint32(t.pending[i].Seqno()) == value {
		f := t.pending[i]
		t.mu.Unlock()
		return f
	}
	f := t.d.NewWithOps(t.context, uint64(value), ptOps{t})
	t.pending = append(t.pending, nil)
	copy(t.pending[i+1:], t.pending[i:])
	t.pending[i] = f
	t.mu.Unlock()
	return f
}

// Inc mirrors sw_sync_ioctl_inc(): increments above INT_MAX are applied in
// INT_MAX steps, each signaling the points it reaches, in order.
func (t *Timeline) Inc(n uint32) {
	for n > math.MaxInt32 {
		t.signal(math.MaxInt32)
		n -= math.MaxInt32
	}
	t.signal(n)
}

// signal mirrors sync_timeline_signal().
func (t *Timeline) signal(inc uint32) {
	t.mu.Lock()
	t.value += inc
	k := 0
	for k < len(t.pending) && !later32(uint32(t.pending[k].Seqno()), t.value) {
		k++
	}
	done := append([]*fence.Fence(nil), t.pending[:k]...)
	t.pending = t.pending[k:]
	t.mu.Unlock()
	for _, f := range done {
		f.Signal()
	}
}

// Release mirrors sw_sync_debugfs_release(): closing the timeline signals
// every pending point with -ENOENT.
func (t *Timeline) Release() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	left := t.pending
	t.pending = nil
	t.mu.Unlock()
	for _, f := range left {
		if !f.SignaledFlag() {
			f.SetErrno(errno.ENOENT)
			f.Signal()
		}
	}
}

// Deadline mirrors sw_sync_ioctl_get_deadline()'s lookup: the earliest
// deadline hint set on a point of this timeline. ok is false (ENOENT) when
// none was set; EINVAL when f is not a sw_sync point.
func Deadline(f *fence.Fence) (ns int64, err error) {
	if _, ok := f.Ops().(ptOps); !ok {
		return 0, errno.EINVAL
	}
	ns, ok := f.DeadlineSet()
	if !ok {
		return 0, errno.ENOENT
	}
	return ns, nil
}
