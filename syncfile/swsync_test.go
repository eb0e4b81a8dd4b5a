package syncfile

import (
	"math"
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
)

// Reference: sync_pt_create(), sync_timeline_signal(), sw_sync_ioctl_inc(),
// sw_sync_debugfs_release() in drivers/dma-buf/sw_sync.c.

func newTL() (*fence.Domain, *Timeline) {
	d := fence.NewDomain(sim.NewVirtual(0))
	return d, NewTimeline(d, "test")
}

func TestTimelineSignalsInOrder(t *testing.T) {
	_, tl := newTL()
	f3 := tl.CreateFence(3)
	f1 := tl.CreateFence(1)
	f2 := tl.CreateFence(2)
	if f1.Context() != tl.Context() || f3.Seqno() != 3 {
		t.Fatal("points must be on the timeline's context at their value")
	}
	tl.Inc(2)
	if !f1.IsSignaled() || !f2.IsSignaled() || f3.IsSignaled() {
		t.Fatal("inc 2 must signal points 1 and 2 only")
	}
	tl.Inc(1)
	if !f3.IsSignaled() || tl.Value() != 3 {
		t.Fatal("inc 1 must signal point 3")
	}
}

func TestTimelinePointDedupAndPast(t *testing.T) {
	_, tl := newTL()
	a := tl.CreateFence(5)
	if b := tl.CreateFence(5); b != a {
		t.Fatal("two unsignaled points at one value must be the same fence")
	}
	tl.Inc(5)
	past := tl.CreateFence(4)
	if !past.IsSignaled() {
		t.Fatal("a point already reached is born signaled")
	}
	if d := tl.CreateFence(5); d == a || !d.IsSignaled() {
		t.Fatal("a reached value gives a new, signaled fence")
	}
}

func TestTimelineWrapAndBigIncrements(t *testing.T) {
	_, tl := newTL()
	tl.Inc(math.MaxUint32 - 1) // applied in INT_MAX steps
	if tl.Value() != math.MaxUint32-1 {
		t.Fatalf("value %d", tl.Value())
	}
	f := tl.CreateFence(1) // 1 is "later" than 2^32-2 with wrap-around
	if f.IsSignaled() {
		t.Fatal("point after wrap-around already signaled")
	}
	tl.Inc(3)
	if !f.IsSignaled() {
		t.Fatal("wrap-around point not signaled")
	}
}

func TestTimelineReleaseSignalsENOENT(t *testing.T) {
	_, tl := newTL()
	f := tl.CreateFence(1)
	tl.Release()
	if !f.IsSignaled() || f.Error() != -int32(errno.ENOENT) {
		t.Fatalf("release: %v", f)
	}
}

func TestDeadline(t *testing.T) {
	d, tl := newTL()
	f := tl.CreateFence(1)
	if _, err := Deadline(f); err != errno.ENOENT {
		t.Fatalf("no deadline: %v", err)
	}
	f.SetDeadline(200)
	f.SetDeadline(100)
	if ns, err := Deadline(f); err != nil || ns != 100 {
		t.Fatalf("deadline %d %v", ns, err)
	}
	if _, err := Deadline(d.New(1, 1)); err != errno.EINVAL {
		t.Fatalf("non-sw_sync fence: %v", err)
	}
}

func TestSyncFileInfoAndMerge(t *testing.T) {
	d, tl := newTL()
	a := New(tl.CreateFence(1))
	b := New(tl.CreateFence(2))
	if a.Name() == "" || len(a.FenceInfo()) != 1 || a.FenceInfo()[0].DriverName != "sw_sync" {
		t.Fatalf("info %q %+v", a.Name(), a.FenceInfo())
	}
	m := Merge(d, "merged", a, b)
	// Same context: merge keeps the later point only.
	if m.Name() != "merged" || len(m.FenceInfo()) != 1 || m.Fence().Seqno() != 2 {
		t.Fatalf("merge %q %+v", m.Name(), m.FenceInfo())
	}
	other := New(NewTimeline(d, "other").CreateFence(1))
	if m2 := Merge(d, "two", a, other); len(m2.FenceInfo()) != 2 {
		t.Fatalf("merge across contexts: %+v", m2.FenceInfo())
	}
	tl.Inc(2)
	if in := a.FenceInfo()[0]; in.Status != 1 {
		t.Fatalf("status after signal %+v", in)
	}
}
