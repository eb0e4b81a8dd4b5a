package fence

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// leaves returns Unwrap's visits of f, as names from the map.
func leaves(t *testing.T, f *Fence, names map[*Fence]string) []string {
	t.Helper()
	var got []string
	Unwrap(f, func(leaf *Fence) {
		n, ok := names[leaf]
		if !ok {
			n = "unexpected " + leaf.String()
		}
		got = append(got, n)
	})
	return got
}

// TestUnwrap re-expresses st-dma-fence-unwrap.c unwrap_array, unwrap_chain
// and unwrap_chain_array, plus a deeper nesting.
// Reference: dma_fence_unwrap_first(), dma_fence_unwrap_next().
func TestUnwrap(t *testing.T) {
	_, d := newDomain(0)
	f1, f2, f3, f4, f5 := newFence(d), newFence(d), newFence(d), newFence(d), newFence(d)
	names := map[*Fence]string{f1: "f1", f2: "f2", f3: "f3", f4: "f4", f5: "f5"}
	arr := func(fs ...*Fence) *Fence { return d.NewArray(fs, d.ContextAlloc(1), 1, false).Fence() }
	chain := func(prev, f *Fence) *Fence { return d.NewChain(prev, f, 1).Fence() }

	tests := []struct {
		name string
		f    *Fence
		want []string
	}{
		{"plain", f1, []string{"f1"}},
		{"array", arr(f1, f2), []string{"f1", "f2"}},
		{"chain", chain(f1, f2), []string{"f2", "f1"}},
		{"chain of array", chain(nil, arr(f1, f2)), []string{"f1", "f2"}},
		{
			// array{f4,f5} <- array{f1,f2} <- f3 (plain bottom)
			name: "nested chain of arrays",
			f:    chain(chain(f3, arr(f1, f2)), arr(f4, f5)),
			want: []string{"f4", "f5", "f1", "f2", "f3"},
		},
		{"nil", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, leaves(t, tc.f, names)); diff != "" {
				t.Errorf("leaves (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMerge re-expresses the unwrap_merge* cases of st-dma-fence-unwrap.c.
// Reference: __dma_fence_unwrap_merge(), fence_cmp().
func TestMerge(t *testing.T) {
	t.Run("two fences", func(t *testing.T) {
		_, d := newDomain(0)
		f1, f2 := newFence(d), newFence(d)
		before := d.ContextAlloc(1)
		m := d.Merge(f1, f2)
		a := ToArray(m)
		if a == nil {
			t.Fatalf("Merge(f1, f2) = %v, want an array", m)
		}
		if a.SignalOnAny() || m.Context() <= before || m.Seqno() != 1 {
			t.Errorf("merged array: any=%v context=%d (> %d?) seqno=%d", a.SignalOnAny(), m.Context(), before, m.Seqno())
		}
		names := map[*Fence]string{f1: "f1", f2: "f2"}
		if diff := cmp.Diff([]string{"f1", "f2"}, leaves(t, m, names)); diff != "" {
			t.Errorf("leaves (-want +got):\n%s", diff)
		}
		f1.Signal()
		if m.IsSignaled() {
			t.Error("merged array signaled with f2 pending")
		}
		f2.Signal()
		if !m.IsSignaled() {
			t.Error("merged array pending after both signaled")
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		_, d := newDomain(0)
		f1 := newFence(d)
		if got := d.Merge(f1, f1); got != f1 {
			t.Errorf("Merge(f1, f1) = %v, want f1 itself", got)
		}
	})
	t.Run("seqno", func(t *testing.T) {
		_, d := newDomain(0)
		ctx0, ctx1 := d.ContextAlloc(1), d.ContextAlloc(1)
		f1, f2, f3 := d.New(ctx1, 1), d.New(ctx1, 2), d.New(ctx0, 1)
		names := map[*Fence]string{f1: "f1", f2: "f2", f3: "f3"}
		// Sorted by context; per context only the later seqno stays.
		if diff := cmp.Diff([]string{"f3", "f2"}, leaves(t, d.Merge(f1, f2, f3), names)); diff != "" {
			t.Errorf("leaves (-want +got):\n%s", diff)
		}
	})
	t.Run("seqno wraps in 32 bits", func(t *testing.T) {
		_, d := newDomain(0)
		ctx := d.ContextAlloc(1)
		old, wrapped := d.New(ctx, 1<<32-1), d.New(ctx, 1<<32)
		if got := d.Merge(wrapped, old); got != wrapped {
			t.Errorf("Merge = %v, want the fence at 2^32 (later in 32 bits)", got)
		}
	})
	t.Run("order", func(t *testing.T) {
		_, d := newDomain(0)
		f1, f2 := newFence(d), newFence(d)
		a1 := d.NewArray([]*Fence{f1, f2}, d.ContextAlloc(1), 1, false).Fence()
		c1 := d.NewChain(nil, f1, 1).Fence()
		c2 := d.NewChain(c1, f2, 1).Fence()
		names := map[*Fence]string{f1: "f1", f2: "f2"}
		if diff := cmp.Diff([]string{"f1", "f2"}, leaves(t, d.Merge(a1, c2), names)); diff != "" {
			t.Errorf("leaves (-want +got):\n%s", diff)
		}
	})
	t.Run("complex", func(t *testing.T) {
		_, d := newDomain(0)
		f1, f2 := newFence(d), newFence(d)
		f3 := d.Merge(f1, f2)
		f4 := d.NewArray([]*Fence{f2, f1}, d.ContextAlloc(1), 1, false).Fence()
		names := map[*Fence]string{f1: "f1", f2: "f2"}
		got := leaves(t, d.Merge(f3, f4, d.Stub()), names)
		if diff := cmp.Diff([]string{"f1", "f2"}, got); diff != "" {
			t.Errorf("leaves (-want +got):\n%s", diff)
		}
	})
	t.Run("complex seqno", func(t *testing.T) {
		_, d := newDomain(0)
		ctx0, ctx1 := d.ContextAlloc(1), d.ContextAlloc(1)
		f1, f2, f3, f4 := d.New(ctx0, 2), d.New(ctx1, 1), d.New(ctx0, 1), d.New(ctx1, 2)
		f5 := d.NewArray([]*Fence{f1, f2}, d.ContextAlloc(1), 1, false).Fence()
		f6 := d.NewArray([]*Fence{f3, f4}, d.ContextAlloc(1), 1, false).Fence()
		names := map[*Fence]string{f1: "f1", f2: "f2", f3: "f3", f4: "f4"}
		if diff := cmp.Diff([]string{"f1", "f4"}, leaves(t, d.Merge(f5, f6), names)); diff != "" {
			t.Errorf("leaves (-want +got):\n%s", diff)
		}
	})
}

// TestMergeSignaled pins the signaled-fence rules of spec/uapi.md §5.5.
func TestMergeSignaled(t *testing.T) {
	t.Run("all signaled: private stub with the latest timestamp", func(t *testing.T) {
		_, d := newDomain(0)
		a, b, c := newFence(d), newFence(d), newFence(d)
		a.SignalAt(50)
		b.SignalAt(90)
		c.SetError(-5)
		c.SignalAt(70)
		ch := d.NewChain(a, b, 1).Fence()
		m := d.Merge(ch, c)
		if m == d.Stub() || m == a || m == b || m == c {
			t.Fatalf("Merge = %v, want a new private stub", m)
		}
		if !m.IsSignaled() || m.Status() != 1 || m.Timestamp() != 90 {
			t.Errorf("stub: signaled=%v status=%d ts=%d, want true, 1 (errors dropped), 90",
				m.IsSignaled(), m.Status(), m.Timestamp())
		}
	})
	t.Run("one survivor is returned as itself", func(t *testing.T) {
		_, d := newDomain(0)
		a, b, live := newFence(d), newFence(d), newFence(d)
		a.SignalAt(5)
		b.SignalAt(9)
		arr := d.NewArray([]*Fence{a, live, b}, d.ContextAlloc(1), 1, false).Fence()
		if got := d.Merge(arr, nil); got != live {
			t.Errorf("Merge = %v, want the one live fence", got)
		}
	})
	t.Run("no arguments", func(t *testing.T) {
		_, d := newDomain(0)
		m := d.Merge()
		if !m.IsSignaled() || m.Timestamp() != 0 {
			t.Errorf("Merge() = %v ts %d, want a signaled stub at 0", m, m.Timestamp())
		}
		if m2 := d.Merge(nil, nil); !m2.IsSignaled() {
			t.Error("Merge(nil, nil) not signaled")
		}
	})
	t.Run("signaled chain links dropped", func(t *testing.T) {
		_, d := newDomain(0)
		fc := newFenceChains(d, 4, seqnoInc)
		fc.fences[0].Signal()
		fc.fences[2].Signal()
		names := map[*Fence]string{fc.fences[1]: "f1", fc.fences[3]: "f3"}
		if diff := cmp.Diff([]string{"f1", "f3"}, leaves(t, d.Merge(fc.tail()), names)); diff != "" {
			t.Errorf("leaves (-want +got):\n%s", diff)
		}
	})
}
