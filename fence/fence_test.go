package fence

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/vmemu/vmemu/internal/testseed"
	"github.com/vmemu/vmemu/sim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newDomain(start int64) (*sim.Clock, *Domain) {
	c := sim.NewVirtual(start)
	return c, NewDomain(c)
}

// newFence returns an unsignaled fence on a fresh context.
func newFence(d *Domain) *Fence {
	return d.New(d.ContextAlloc(1), 1)
}

func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

// seed returns the test seed (internal/testseed).
func seed(t testing.TB) uint64 { return uint64(testseed.Get(t, 0x5eed)) }

func TestContextAlloc(t *testing.T) {
	_, d := newDomain(0)
	if got := d.ContextAlloc(1); got != 1 {
		t.Errorf("first ContextAlloc(1) = %d, want 1 (0 is the stubs')", got)
	}
	if got := d.ContextAlloc(3); got != 2 {
		t.Errorf("ContextAlloc(3) = %d, want 2", got)
	}
	if got := d.ContextAlloc(1); got != 5 {
		t.Errorf("ContextAlloc(1) after reserving 2..4 = %d, want 5", got)
	}
}

// TestSignal pins the one-shot signal of dma_fence_signal(): a second
// signal fails, callbacks run once each, in registration order.
// Reference: dma_fence_signal_timestamp_locked(); st-dma-fence.c
// test_signaling, test_add_callback.
func TestSignal(t *testing.T) {
	clock, d := newDomain(0)
	f := d.New(d.ContextAlloc(1), 7)
	var order []int
	for i := 0; i < 5; i++ {
		if cb := f.AddCallback(func(got *Fence) {
			if got != f {
				t.Errorf("callback %d got fence %v, want %v", i, got, f)
			}
			order = append(order, i)
		}); cb == nil {
			t.Fatalf("AddCallback %d on a pending fence = nil", i)
		}
	}
	if f.IsSignaled() || f.SignaledFlag() {
		t.Fatal("new fence reports signaled")
	}
	clock.RunUntil(42)
	if !f.Signal() {
		t.Fatal("first Signal() = false")
	}
	if f.Signal() {
		t.Error("second Signal() = true, want false")
	}
	if f.SignalAt(99) {
		t.Error("SignalAt after Signal = true, want false")
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, order); diff != "" {
		t.Errorf("callback order (-want +got):\n%s", diff)
	}
	if !f.IsSignaled() || !f.SignaledFlag() {
		t.Error("signaled fence reports pending")
	}
	if got := f.Timestamp(); got != 42 {
		t.Errorf("Timestamp() = %d, want 42 (not changed by the failed SignalAt)", got)
	}
}

// TestCallbackReentry has callbacks call back into the fence they were
// registered on, which would deadlock if the fence lock were held.
func TestCallbackReentry(t *testing.T) {
	_, d := newDomain(0)
	f := newFence(d)
	other := f.AddCallback(func(*Fence) { t.Error("removed callback ran") })
	var log []string
	f.AddCallback(func(f *Fence) {
		log = append(log, fmt.Sprintf("status=%d", f.Status()))
		log = append(log, fmt.Sprintf("add=%v", f.AddCallback(func(*Fence) {}) != nil))
		log = append(log, fmt.Sprintf("signal=%v", f.Signal()))
		f.SetDeadline(5)
		log = append(log, fmt.Sprintf("deadline=%d", f.Deadline()))
		log = append(log, fmt.Sprintf("ts=%d", f.Timestamp()))
		_ = f.String()
	})
	var later *Callback
	f.AddCallback(func(f *Fence) {
		// A callback removing a later one, already detached for
		// running, gets false, and the later one still runs.
		log = append(log, fmt.Sprintf("remove-later=%v", f.RemoveCallback(later)))
	})
	later = f.AddCallback(func(*Fence) { log = append(log, "later") })
	if !f.RemoveCallback(other) {
		t.Fatal("RemoveCallback(pending) = false")
	}
	f.SignalAt(3)
	want := []string{"status=1", "add=false", "signal=false", "deadline=5", "ts=3", "remove-later=false", "later"}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Reference: st-dma-fence.c test_late_add_callback.
func TestAddCallbackSignaled(t *testing.T) {
	_, d := newDomain(0)
	f := newFence(d)
	f.Signal()
	called := false
	if cb := f.AddCallback(func(*Fence) { called = true }); cb != nil {
		t.Error("AddCallback on a signaled fence returned a callback")
	}
	f.Signal()
	if called {
		t.Error("callback added after signal was called")
	}
}

// Reference: st-dma-fence.c test_rm_callback, test_late_rm_callback.
func TestRemoveCallback(t *testing.T) {
	tests := []struct {
		name   string
		remove []int // indexes removed before signaling
		want   []int // callbacks that run
	}{
		{"none", nil, []int{0, 1, 2}},
		{"head", []int{0}, []int{1, 2}},
		{"middle", []int{1}, []int{0, 2}},
		{"tail", []int{2}, []int{0, 1}},
		{"all", []int{2, 0, 1}, nil},
		{"tail then head", []int{2, 0}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := newDomain(0)
			f := newFence(d)
			var got []int
			cbs := make([]*Callback, 3)
			for i := range cbs {
				cbs[i] = f.AddCallback(func(*Fence) { got = append(got, i) })
			}
			for _, i := range tc.remove {
				if !f.RemoveCallback(cbs[i]) {
					t.Errorf("RemoveCallback(%d) = false", i)
				}
				if f.RemoveCallback(cbs[i]) {
					t.Errorf("second RemoveCallback(%d) = true", i)
				}
			}
			// Adding after removals appends at the tail.
			f.AddCallback(func(*Fence) { got = append(got, 9) })
			f.Signal()
			if diff := cmp.Diff(append(tc.want, 9), got); diff != "" {
				t.Errorf("callbacks run (-want +got):\n%s", diff)
			}
			for i, cb := range cbs {
				if f.RemoveCallback(cb) {
					t.Errorf("RemoveCallback(%d) after signal = true", i)
				}
			}
		})
	}
	_, d := newDomain(0)
	if newFence(d).RemoveCallback(nil) {
		t.Error("RemoveCallback(nil) = true")
	}
}

// Reference: dma_fence_set_error(), dma_fence_get_status(); st-dma-fence.c
// test_status, test_error.
func TestErrorAndStatus(t *testing.T) {
	tests := []struct {
		name       string
		set        func(f *Fence)
		wantBefore int32
		wantAfter  int32
		wantErr    int32
	}{
		{"no error", func(*Fence) {}, 0, 1, 0},
		{"EIO", func(f *Fence) { f.SetError(-int32(syscall.EIO)) }, 0, -int32(syscall.EIO), -int32(syscall.EIO)},
		{"errno", func(f *Fence) { f.SetErrno(syscall.ECANCELED) }, 0, -int32(syscall.ECANCELED), -int32(syscall.ECANCELED)},
		{"last set wins", func(f *Fence) { f.SetError(-1); f.SetError(-2) }, 0, -2, -2},
		{"MAX_ERRNO", func(f *Fence) { f.SetError(-4095) }, 0, -4095, -4095},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := newDomain(0)
			f := newFence(d)
			tc.set(f)
			if got := f.Status(); got != tc.wantBefore {
				t.Errorf("Status() before signal = %d, want %d", got, tc.wantBefore)
			}
			f.Signal()
			if got := f.Status(); got != tc.wantAfter {
				t.Errorf("Status() after signal = %d, want %d", got, tc.wantAfter)
			}
			if got := f.Error(); got != tc.wantErr {
				t.Errorf("Error() = %d, want %d", got, tc.wantErr)
			}
		})
	}
}

func TestSetErrorPanics(t *testing.T) {
	_, d := newDomain(0)
	for _, v := range []int32{0, 1, 4096, -4096, -1 << 31} {
		f := newFence(d)
		mustPanic(t, fmt.Sprintf("SetError(%d)", v), func() { f.SetError(v) })
		if got := f.Error(); got != 0 {
			t.Errorf("Error() = %d after a rejected SetError(%d)", got, v)
		}
	}
	f := newFence(d)
	f.Signal()
	mustPanic(t, "SetError after signal", func() { f.SetError(-5) })
	if got := f.Status(); got != 1 {
		t.Errorf("Status() = %d after a rejected late SetError, want 1", got)
	}
}

// TestTimestamp checks that Signal stamps the fence with the clock's time,
// including inside an event, and that SignalAt takes the given time.
func TestTimestamp(t *testing.T) {
	clock, d := newDomain(1000)
	a, b, c := newFence(d), newFence(d), newFence(d)
	a.Signal()
	clock.Schedule(1500, func() { b.Signal() })
	clock.RunAll()
	c.SignalAt(77)
	got := []int64{a.Timestamp(), b.Timestamp(), c.Timestamp()}
	if diff := cmp.Diff([]int64{1000, 1500, 77}, got); diff != "" {
		t.Errorf("timestamps (-want +got):\n%s", diff)
	}
	// A fence with no domain clock signals at 0.
	var z Fence
	if !z.Signal() || z.Timestamp() != 0 {
		t.Errorf("zero Fence: Signal/Timestamp = %v/%d", z.SignaledFlag(), z.Timestamp())
	}
}

// TestIsLater pins __dma_fence_is_later(): plain fences compare the low 32
// bits as a signed difference; 64-bit (chain) fences compare all 64 bits.
// Reference: dma_fence_is_later(), commit b312d8ca3a7c.
func TestIsLater(t *testing.T) {
	tests := []struct {
		name string
		a, b uint64
		is64 bool
		want bool
	}{
		{"greater", 2, 1, false, true},
		{"less", 1, 2, false, false},
		{"equal", 5, 5, false, false},
		{"wrap 2^32 after 2^32-1", 1 << 32, 1<<32 - 1, false, true},
		{"wrap small after max32", 3, 0xffff_fff0, false, true},
		{"half range later", 0x7fff_ffff, 0, false, true},
		{"half range not later", 0x8000_0000, 0, false, false},
		{"high bits ignored", 1<<32 | 1, 2, false, false},
		{"high bits only", 5 << 32, 1 << 32, false, false},
		{"64 greater across 2^32", 1 << 32, 1<<32 - 1, true, true},
		{"64 high bits count", 1<<32 | 1, 2, true, true},
		{"64 no wrap", 0x8000_0000, 0, true, true},
		{"64 huge", 1 << 63, 1, true, true},
		{"64 less", 1, 1 << 63, true, false},
		{"64 equal", 1 << 40, 1 << 40, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := newDomain(0)
			a, b := d.New(1, tc.a), d.New(1, tc.b)
			a.is64, b.is64 = tc.is64, tc.is64
			if got := IsLater(a, b); got != tc.want {
				t.Errorf("IsLater(%#x, %#x) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if got := IsLaterOrSame(a, b); got != tc.want {
				t.Errorf("IsLaterOrSame(%#x, %#x) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if !IsLaterOrSame(a, a) {
				t.Error("IsLaterOrSame(a, a) = false")
			}
		})
	}
	// Chains are flagged 64-bit by construction.
	_, d := newDomain(0)
	c1 := d.NewChain(nil, newFence(d), 1<<32-1)
	c2 := d.NewChain(c1.Fence(), newFence(d), 1<<32)
	if !IsLater(c2.Fence(), c1.Fence()) {
		t.Error("chain 2^32 not later than 2^32-1")
	}
	c3 := d.NewChain(c2.Fence(), newFence(d), 1<<32|0x8000_0001)
	if !IsLater(c3.Fence(), c2.Fence()) {
		t.Error("chain seqno 2^32+2^31+1 not later than 2^32")
	}
}

// TestDeadline checks dma_fence_set_deadline(): the earliest hint is kept,
// and containers pass it to every contained fence.
// Reference: dma_fence_chain_set_deadline(), dma_fence_array_set_deadline().
func TestDeadline(t *testing.T) {
	_, d := newDomain(0)
	f := newFence(d)
	if got := f.Deadline(); got != 0 {
		t.Errorf("Deadline() = %d, want 0", got)
	}
	for _, ns := range []int64{100, 50, 70} {
		f.SetDeadline(ns)
	}
	if got := f.Deadline(); got != 50 {
		t.Errorf("Deadline() = %d, want the earliest 50", got)
	}
	// Time 0 (and a negative time) is a valid hint, told apart from none.
	g := newFence(d)
	if ns, ok := g.DeadlineSet(); ok || ns != 0 {
		t.Errorf("DeadlineSet() = %d, %v on a new fence, want 0, false", ns, ok)
	}
	g.SetDeadline(0)
	g.SetDeadline(10)
	if ns, ok := g.DeadlineSet(); !ok || ns != 0 {
		t.Errorf("DeadlineSet() = %d, %v after hints 0, 10; want 0, true", ns, ok)
	}
	g.SetDeadline(-3)
	if ns, ok := g.DeadlineSet(); !ok || ns != -3 {
		t.Errorf("DeadlineSet() = %d, %v after hint -3; want -3, true", ns, ok)
	}

	// A chain of: plain bottom fence <- link(array{a1, a2}) <- link(l2)
	// <- link(l3). l3's deadline reaches every leaf.
	bottom := newFence(d)
	a1, a2 := newFence(d), newFence(d)
	arr := d.NewArray([]*Fence{a1, a2}, d.ContextAlloc(1), 1, false)
	l2, l3 := newFence(d), newFence(d)
	c1 := d.NewChain(bottom, arr.Fence(), 1)
	c2 := d.NewChain(c1.Fence(), l2, 2)
	c3 := d.NewChain(c2.Fence(), l3, 3)
	c3.Fence().SetDeadline(1234)
	for name, g := range map[string]*Fence{
		"head": c3.Fence(), "l3": l3, "l2": l2, "array": arr.Fence(),
		"a1": a1, "a2": a2, "bottom": bottom,
	} {
		if got := g.Deadline(); got != 1234 {
			t.Errorf("%s: Deadline() = %d, want 1234", name, got)
		}
	}
	// A deadline on an older link does not reach newer ones.
	c1.Fence().SetDeadline(10)
	if got := l3.Deadline(); got != 1234 {
		t.Errorf("l3 Deadline() = %d after an older link's hint, want 1234", got)
	}
	if got := a1.Deadline(); got != 10 {
		t.Errorf("a1 Deadline() = %d, want 10", got)
	}
	// The hint does not signal anything.
	if c3.Fence().IsSignaled() || arr.Fence().IsSignaled() {
		t.Error("deadline hint signaled a fence")
	}
}

// Reference: dma_fence_get_stub(), dma_fence_allocate_private_stub();
// st-dma-fence.c test_stub.
func TestStub(t *testing.T) {
	_, d := newDomain(500)
	s := d.Stub()
	for i := 0; i < 64; i++ {
		if got := d.Stub(); got != s {
			t.Fatal("Stub() returned a different fence")
		}
	}
	if !s.IsSignaled() || s.Status() != 1 || s.Context() != 0 {
		t.Errorf("stub: signaled=%v status=%d context=%d", s.IsSignaled(), s.Status(), s.Context())
	}
	if s.AddCallback(func(*Fence) { t.Error("stub callback ran") }) != nil {
		t.Error("AddCallback on the stub returned a callback")
	}
	if s.Signal() {
		t.Error("Signal() on the stub = true")
	}
	if s.Domain() != d {
		t.Error("stub Domain() is not its domain")
	}

	p1, p2 := d.PrivateStub(123), d.PrivateStub(456)
	if p1 == p2 || p1 == s {
		t.Error("PrivateStub() did not return a new fence")
	}
	if !p1.IsSignaled() || p1.Status() != 1 {
		t.Errorf("private stub: signaled=%v status=%d", p1.IsSignaled(), p1.Status())
	}
	if p1.Timestamp() != 123 || p2.Timestamp() != 456 {
		t.Errorf("private stub timestamps = %d, %d, want 123, 456", p1.Timestamp(), p2.Timestamp())
	}
}

// testOps is a dma_fence_ops with .signaled and .enable_signaling.
type testOps struct {
	done        bool
	enableCalls int
	enableRet   bool
}

func (o *testOps) Signaled(*Fence) bool { return o.done }
func (o *testOps) EnableSignaling(*Fence) bool {
	o.enableCalls++
	return o.enableRet
}

// TestOps checks fences whose state is computed: IsSignaled consults
// Ops.Signaled and signals the fence (dma_fence_is_signaled()), and
// EnableSignaling runs once (dma_fence_enable_sw_signaling()).
func TestOps(t *testing.T) {
	t.Run("signaled", func(t *testing.T) {
		clock, d := newDomain(9)
		ops := &testOps{enableRet: true}
		f := d.NewWithOps(d.ContextAlloc(1), 1, ops)
		if f.Ops() != Ops(ops) || newFence(d).Ops() != nil {
			t.Error("Ops() does not return the fence's ops")
		}
		if d.Clock() != clock {
			t.Error("Domain.Clock() is not the domain's clock")
		}
		ran := 0
		f.AddCallback(func(*Fence) { ran++ })
		if f.IsSignaled() || f.Status() != 0 {
			t.Fatal("pending ops fence reports signaled")
		}
		ops.done = true
		if f.SignaledFlag() {
			t.Error("SignaledFlag() before anyone asked ops")
		}
		clock.RunUntil(20)
		if !f.IsSignaled() {
			t.Fatal("IsSignaled() = false with ops done")
		}
		if !f.SignaledFlag() || ran != 1 || f.Timestamp() != 20 {
			t.Errorf("flag=%v callbacks=%d ts=%d, want true, 1, 20", f.SignaledFlag(), ran, f.Timestamp())
		}
		if ops.enableCalls != 1 {
			t.Errorf("EnableSignaling called %d times, want 1", ops.enableCalls)
		}
	})
	t.Run("enable once", func(t *testing.T) {
		_, d := newDomain(0)
		ops := &testOps{enableRet: true}
		f := d.NewWithOps(1, 1, ops)
		f.EnableSignaling()
		f.EnableSignaling()
		f.AddCallback(func(*Fence) {})
		if ops.enableCalls != 1 {
			t.Errorf("EnableSignaling called %d times, want 1", ops.enableCalls)
		}
	})
	t.Run("enable reports done", func(t *testing.T) {
		_, d := newDomain(0)
		ops := &testOps{enableRet: false}
		f := d.NewWithOps(1, 1, ops)
		if cb := f.AddCallback(func(*Fence) { t.Error("callback ran") }); cb != nil {
			t.Error("AddCallback = non-nil when enable signaling found the fence done")
		}
		if !f.SignaledFlag() {
			t.Error("fence not signaled after EnableSignaling returned false")
		}
	})
	t.Run("plain fence enable is a no-op", func(t *testing.T) {
		_, d := newDomain(0)
		f := newFence(d)
		f.EnableSignaling()
		if f.IsSignaled() {
			t.Error("EnableSignaling signaled a plain fence")
		}
	})
}

func TestString(t *testing.T) {
	_, d := newDomain(0)
	f := d.New(3, 4)
	e := d.New(3, 5)
	e.SetError(-5)
	e.Signal()
	c := d.NewChain(nil, newFence(d), 9)
	a := d.NewArray(nil, 99, 1, false)
	var nilf *Fence
	for _, tc := range []struct {
		f    *Fence
		want string
	}{
		{f, "3:4 pending"},
		{e, "3:5 signaled(-5)"},
		{c.Fence(), "chain "},
		{a.Fence(), "array 99:1"},
		{nilf, "fence(nil)"},
	} {
		if got := tc.f.String(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("String() = %q, want prefix %q", got, tc.want)
		}
	}
}
