package fence

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newFences(d *Domain, n int) []*Fence {
	fs := make([]*Fence, n)
	for i := range fs {
		fs[i] = newFence(d)
	}
	return fs
}

func (a *Array) pendingCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pending
}

// TestArrayAllAny pins the pending count of dma_fence_array_create() and
// when the array signals, with signaling enabled (a callback armed) and
// with the state only polled.
func TestArrayAllAny(t *testing.T) {
	for _, armed := range []bool{true, false} {
		for _, any := range []bool{false, true} {
			t.Run(fmt.Sprintf("any=%v armed=%v", any, armed), func(t *testing.T) {
				_, d := newDomain(0)
				fs := newFences(d, 4)
				a := d.NewArray(fs, d.ContextAlloc(1), 9, any)
				wantPending := 4
				if any {
					wantPending = 1
				}
				if got := a.pendingCount(); got != wantPending {
					t.Errorf("pending = %d, want %d", got, wantPending)
				}
				if a.SignalOnAny() != any || len(a.Fences()) != 4 || ToArray(a.Fence()) != a || ToArray(fs[0]) != nil || ToArray(nil) != nil {
					t.Error("accessors do not match the create arguments")
				}
				fired := 0
				if armed {
					a.Fence().AddCallback(func(*Fence) { fired++ })
				}
				for k, i := range []int{2, 0, 3, 1} {
					fs[i].Signal()
					want := any || k == 3
					if got := a.Fence().IsSignaled(); got != want {
						t.Fatalf("after %d signals: array signaled = %v, want %v", k+1, got, want)
					}
					if armed && !any {
						if got := a.pendingCount(); got != 3-k {
							t.Errorf("after %d signals: pending = %d, want %d", k+1, got, 3-k)
						}
					}
				}
				if armed && fired != 1 {
					t.Errorf("array callback ran %d times, want 1", fired)
				}
				if got := a.Fence().Status(); got != 1 {
					t.Errorf("Status() = %d, want 1", got)
				}
			})
		}
	}
}

// TestArrayAlreadySignaled: components that signaled before signaling is
// enabled are counted down at once (dma_fence_array_enable_signaling()).
func TestArrayAlreadySignaled(t *testing.T) {
	t.Run("all", func(t *testing.T) {
		_, d := newDomain(0)
		fs := newFences(d, 3)
		fs[0].Signal()
		fs[2].Signal()
		a := d.NewArray(fs, d.ContextAlloc(1), 1, false)
		if a.Fence().AddCallback(func(*Fence) {}) == nil {
			t.Fatal("AddCallback = nil with one component pending")
		}
		if got := a.pendingCount(); got != 1 {
			t.Errorf("pending = %d, want 1", got)
		}
		fs[1].Signal()
		if !a.Fence().SignaledFlag() {
			t.Error("array not signaled")
		}
	})
	t.Run("all done", func(t *testing.T) {
		_, d := newDomain(0)
		fs := newFences(d, 2)
		fs[0].Signal()
		fs[1].Signal()
		a := d.NewArray(fs, d.ContextAlloc(1), 1, false)
		if a.Fence().AddCallback(func(*Fence) { t.Error("callback ran") }) != nil {
			t.Error("AddCallback on a complete array returned a callback")
		}
		if !a.Fence().SignaledFlag() {
			t.Error("array not signaled by enable signaling")
		}
	})
	t.Run("any", func(t *testing.T) {
		_, d := newDomain(0)
		fs := newFences(d, 3)
		fs[1].Signal()
		a := d.NewArray(fs, d.ContextAlloc(1), 1, true)
		a.Fence().EnableSignaling()
		if !a.Fence().SignaledFlag() {
			t.Error("any-array not signaled with one component done")
		}
		fs[0].Signal() // a late component callback must be harmless
		if got := a.pendingCount(); got != 0 {
			t.Errorf("pending = %d, want 0", got)
		}
	})
}

// TestArrayError pins the first-error rule of dma-fence-array.c: with
// callbacks armed, the first component to signal with an error wins; an
// error that arrives after the array signaled is not taken.
func TestArrayError(t *testing.T) {
	type step struct {
		i   int
		err int32
	}
	tests := []struct {
		name  string
		any   bool
		armed bool
		steps []step
		want  int32 // the array's Status() at the end
	}{
		{
			name: "all: first by signal order", armed: true,
			steps: []step{{2, -5}, {0, -22}, {1, 0}},
			want:  -5,
		},
		{
			name: "all: an OK signal does not clear an error", armed: true,
			steps: []step{{1, -5}, {0, 0}, {2, 0}},
			want:  -5,
		},
		{
			name: "all: no error", armed: true,
			steps: []step{{1, 0}, {0, 0}, {2, 0}},
			want:  1,
		},
		{
			name: "any: error of the first signal", any: true, armed: true,
			steps: []step{{1, -5}, {0, 0}},
			want:  -5,
		},
		{
			name: "any: later error not taken", any: true, armed: true,
			steps: []step{{1, 0}, {0, -5}, {2, -22}},
			want:  1,
		},
		{
			// Polled (no callback armed), the components are scanned in
			// index order when the array is found complete.
			name:  "all polled: first by index",
			steps: []step{{2, -5}, {0, -22}, {1, 0}},
			want:  -22,
		},
		{
			name: "any polled: later error not taken", any: true,
			steps: []step{{1, 0}, {0, -5}},
			want:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := newDomain(0)
			fs := newFences(d, 3)
			a := d.NewArray(fs, d.ContextAlloc(1), 1, tc.any)
			if tc.armed {
				a.Fence().EnableSignaling()
			}
			for _, s := range tc.steps {
				if s.err != 0 {
					fs[s.i].SetError(s.err)
				}
				fs[s.i].Signal()
				if !tc.armed {
					a.Fence().IsSignaled() // poll after each signal
				}
			}
			if got := a.Fence().Status(); got != tc.want {
				t.Errorf("array Status() = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestArrayErrorPreSignaled: errors of components that signaled before
// enabling are taken in index order, as the kernel's enable loop does.
func TestArrayErrorPreSignaled(t *testing.T) {
	_, d := newDomain(0)
	fs := newFences(d, 3)
	fs[2].SetError(-5)
	fs[2].Signal()
	fs[1].SetError(-22)
	fs[1].Signal()
	a := d.NewArray(fs, d.ContextAlloc(1), 1, false)
	a.Fence().EnableSignaling()
	fs[0].Signal()
	if got := a.Fence().Status(); got != -22 {
		t.Errorf("Status() = %d, want -22 (index 1 before 2)", got)
	}
}

// TestArrayEmpty: an array of no fences has nothing pending and is
// signaled as soon as anyone looks.
func TestArrayEmpty(t *testing.T) {
	for _, any := range []bool{false, true} {
		t.Run(fmt.Sprint("any=", any), func(t *testing.T) {
			_, d := newDomain(0)
			a := d.NewArray(nil, d.ContextAlloc(1), 1, any)
			if got := a.pendingCount(); got != 0 {
				t.Errorf("pending = %d, want 0", got)
			}
			if a.Fence().AddCallback(func(*Fence) { t.Error("callback ran") }) != nil {
				t.Error("AddCallback on an empty array returned a callback")
			}
			if !a.Fence().SignaledFlag() || a.Fence().Status() != 1 {
				t.Errorf("empty array: signaled=%v status=%d", a.Fence().SignaledFlag(), a.Fence().Status())
			}
		})
	}
	_, d := newDomain(0)
	if !d.NewArray(nil, 1, 1, false).Fence().IsSignaled() {
		t.Error("polled empty array not signaled")
	}
}

func TestArrayRejectsContainers(t *testing.T) {
	_, d := newDomain(0)
	chain := d.NewChain(nil, newFence(d), 1).Fence()
	arr := d.NewArray(newFences(d, 1), 1, 1, false).Fence()
	mustPanic(t, "NewArray with a chain", func() { d.NewArray([]*Fence{newFence(d), chain}, 2, 1, false) })
	mustPanic(t, "NewArray with an array", func() { d.NewArray([]*Fence{arr}, 2, 1, true) })
}

// TestArrayContext: the array fence takes the given context and seqno and
// compares in 32 bits.
func TestArrayContext(t *testing.T) {
	_, d := newDomain(0)
	a := d.NewArray(newFences(d, 1), 77, 1<<32|1, false)
	b := d.NewArray(newFences(d, 1), 77, 2, false)
	got := []uint64{a.Fence().Context(), a.Fence().Seqno()}
	if diff := cmp.Diff([]uint64{77, 1<<32 | 1}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if IsLater(a.Fence(), b.Fence()) {
		t.Error("array seqno compared in 64 bits, want the low 32")
	}
}
