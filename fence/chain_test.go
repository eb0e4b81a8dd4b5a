package fence

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/errno"
)

// fenceChains is a timeline as the kernel selftests build it: fences[i]
// is contained in chains[i], which sits on chains[i-1].
type fenceChains struct {
	fences []*Fence
	chains []*Chain
}

func (fc *fenceChains) tail() *Fence { return fc.chains[len(fc.chains)-1].Fence() }

func newFenceChains(d *Domain, n int, seqno func(i int) uint64) *fenceChains {
	fc := &fenceChains{}
	var prev *Fence
	for i := 0; i < n; i++ {
		f := newFence(d)
		c := d.NewChain(prev, f, seqno(i))
		fc.fences = append(fc.fences, f)
		fc.chains = append(fc.chains, c)
		prev = c.Fence()
	}
	return fc
}

func seqnoInc(i int) uint64 { return uint64(i) + 1 }

// TestChainInit pins dma_fence_chain_init() as drm_syncobj_add_point()
// uses it: spec/uapi.md §4.4 P1–P3, §5.4.
func TestChainInit(t *testing.T) {
	type node struct {
		Seqno, PrevSeqno uint64
		SameCtxAsPrev    bool
	}
	tests := []struct {
		name string
		// prev builds the node's prev; nil for none.
		prev  func(d *Domain) *Fence
		seqno uint64
		want  node
	}{
		{
			name:  "P1 in order reuses context",
			prev:  func(d *Domain) *Fence { return d.NewChain(nil, newFence(d), 5).Fence() },
			seqno: 6,
			want:  node{Seqno: 6, PrevSeqno: 5, SameCtxAsPrev: true},
		},
		{
			name:  "P1 gap",
			prev:  func(d *Domain) *Fence { return d.NewChain(nil, newFence(d), 5).Fence() },
			seqno: 1000,
			want:  node{Seqno: 1000, PrevSeqno: 5, SameCtxAsPrev: true},
		},
		{
			name:  "P2 equal point",
			prev:  func(d *Domain) *Fence { return d.NewChain(nil, newFence(d), 5).Fence() },
			seqno: 5,
			want:  node{Seqno: 5, PrevSeqno: 0},
		},
		{
			name:  "P2 older point keeps the head seqno",
			prev:  func(d *Domain) *Fence { return d.NewChain(nil, newFence(d), 5).Fence() },
			seqno: 3,
			want:  node{Seqno: 5, PrevSeqno: 0},
		},
		{
			name:  "P2 beyond 2^32 compares 64 bits",
			prev:  func(d *Domain) *Fence { return d.NewChain(nil, newFence(d), 1<<32+5).Fence() },
			seqno: 6,
			want:  node{Seqno: 1<<32 + 5, PrevSeqno: 0},
		},
		{
			name:  "P3 plain prev with a higher seqno",
			prev:  func(d *Domain) *Fence { return d.New(d.ContextAlloc(1), 100) },
			seqno: 3,
			want:  node{Seqno: 3, PrevSeqno: 0},
		},
		{
			name:  "P3 no prev",
			prev:  func(d *Domain) *Fence { return nil },
			seqno: 7,
			want:  node{Seqno: 7, PrevSeqno: 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := newDomain(0)
			prev := tc.prev(d)
			before := d.ContextAlloc(1)
			f := newFence(d)
			c := d.NewChain(prev, f, tc.seqno)
			got := node{Seqno: c.Fence().Seqno(), PrevSeqno: c.PrevSeqno()}
			if prev != nil {
				got.SameCtxAsPrev = c.Fence().Context() == prev.Context()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !got.SameCtxAsPrev && c.Fence().Context() <= before {
				t.Errorf("context %d is not freshly allocated (> %d)", c.Fence().Context(), before)
			}
			if c.Prev() != prev || c.Contained() != f || Contained(c.Fence()) != f {
				t.Error("Prev/Contained do not return the init arguments")
			}
			if ToChain(c.Fence()) != c || ToChain(f) != nil || ToChain(nil) != nil {
				t.Error("ToChain mismatch")
			}
			if Contained(f) != f {
				t.Error("Contained(plain) is not the fence itself")
			}
		})
	}
}

// TestChainP3WaitsForPlainPrev: a plain fence below a chain stays part of
// what the chain waits for.
func TestChainP3WaitsForPlainPrev(t *testing.T) {
	_, d := newDomain(0)
	bin := newFence(d)
	f := newFence(d)
	c := d.NewChain(bin, f, 1)
	f.Signal()
	if c.Fence().IsSignaled() {
		t.Fatal("chain signaled while its plain prev is pending")
	}
	bin.Signal()
	if !c.Fence().IsSignaled() {
		t.Fatal("chain pending after its plain prev and fence signaled")
	}
	if c.Prev() != nil {
		t.Error("signaled plain prev not collected")
	}
}

// TestFindSeqno re-expresses st-dma-fence-chain.c find_seqno on 64 links
// with seqnos 1..64. Reference: dma_fence_chain_find_seqno().
func TestFindSeqno(t *testing.T) {
	_, d := newDomain(0)
	fc := newFenceChains(d, 64, seqnoInc)
	tail := fc.tail()
	if got, err := FindSeqno(tail, 0); err != nil || got != tail {
		t.Fatalf("FindSeqno(tail, 0) = %v, %v; want the tail itself", got, err)
	}
	for i := range fc.chains {
		got, err := FindSeqno(tail, uint64(i+1))
		if err != nil || got != fc.chains[i].Fence() {
			t.Fatalf("FindSeqno(tail, %d) = %v, %v; want chains[%d]", i+1, got, err, i)
		}
		// Finding itself.
		if got2, err := FindSeqno(got, uint64(i+1)); err != nil || got2 != got {
			t.Fatalf("FindSeqno(self %d) = %v, %v", i+1, got2, err)
		}
		// A future point is not submitted.
		if _, err := FindSeqno(got, uint64(i+2)); !errors.Is(err, errno.EINVAL) {
			t.Fatalf("FindSeqno(chains[%d], %d) err = %v, want EINVAL", i, i+2, err)
		}
		// The previous point is the previous link.
		got3, err := FindSeqno(got, uint64(i))
		if err != nil {
			t.Fatalf("FindSeqno(chains[%d], %d) err = %v", i, i, err)
		}
		if i > 0 && got3 != fc.chains[i-1].Fence() {
			t.Fatalf("FindSeqno(chains[%d], %d) = %v, want chains[%d]", i, i, got3, i-1)
		}
	}
}

func TestFindSeqnoNotChain(t *testing.T) {
	_, d := newDomain(0)
	f := newFence(d)
	if got, err := FindSeqno(f, 0); err != nil || got != f {
		t.Errorf("FindSeqno(plain, 0) = %v, %v; want itself", got, err)
	}
	if _, err := FindSeqno(f, 1); !errors.Is(err, errno.EINVAL) {
		t.Errorf("FindSeqno(plain, 1) err = %v, want EINVAL", err)
	}
	if _, err := FindSeqno(nil, 1); !errors.Is(err, errno.EINVAL) {
		t.Errorf("FindSeqno(nil, 1) err = %v, want EINVAL", err)
	}
}

// TestFindSeqnoSignaled re-expresses find_signaled: the point's link was
// collected, so the result is nil (a signaled stub for callers) or the
// link itself.
func TestFindSeqnoSignaled(t *testing.T) {
	_, d := newDomain(0)
	fc := newFenceChains(d, 2, seqnoInc)
	fc.fences[0].Signal()
	got, err := FindSeqno(fc.tail(), 1)
	if err != nil {
		t.Fatalf("FindSeqno() err = %v", err)
	}
	if got != nil {
		t.Errorf("FindSeqno(tail, 1) = %v, want nil (collected)", got)
	}
	// Nothing left below the tail.
	if p := fc.chains[1].Prev(); p != nil {
		t.Errorf("tail Prev() = %v after collection, want nil", p)
	}
}

// TestFindSeqnoOutOfOrder re-expresses find_out_of_order: with 1-2-3 and
// only 2 signaled, point 2 resolves to link 1, since waiting for 2 means
// waiting for everything up to it.
func TestFindSeqnoOutOfOrder(t *testing.T) {
	_, d := newDomain(0)
	fc := newFenceChains(d, 3, seqnoInc)
	fc.fences[1].Signal()
	got, err := FindSeqno(fc.tail(), 2)
	if err != nil || got != fc.chains[0].Fence() {
		t.Errorf("FindSeqno(tail, 2) = %v, %v; want chains[0]", got, err)
	}
}

// TestFindSeqnoGap re-expresses find_gap: seqnos 2, 4, 6, ...; an odd
// point resolves to the link that covers it.
func TestFindSeqnoGap(t *testing.T) {
	_, d := newDomain(0)
	fc := newFenceChains(d, 64, func(i int) uint64 { return 2*uint64(i) + 2 })
	for i := range fc.chains {
		got, err := FindSeqno(fc.tail(), 2*uint64(i)+1)
		if err != nil || got != fc.chains[i].Fence() {
			t.Fatalf("FindSeqno(tail, %d) = %v, %v; want chains[%d]", 2*i+1, got, err, i)
		}
		got, err = FindSeqno(got, 2*uint64(i)+2)
		if err != nil || got != fc.chains[i].Fence() {
			t.Fatalf("FindSeqno(self, %d) = %v, %v", 2*i+2, got, err)
		}
	}
}

// TestFindSeqnoContextChange: P4 stops at a context change, so a point
// below an out-of-order node resolves to that node.
func TestFindSeqnoContextChange(t *testing.T) {
	_, d := newDomain(0)
	c1 := d.NewChain(nil, newFence(d), 1)
	c5 := d.NewChain(c1.Fence(), newFence(d), 5)
	c3 := d.NewChain(c5.Fence(), newFence(d), 3) // P2: new context, seqno 5
	c6 := d.NewChain(c3.Fence(), newFence(d), 6)
	for _, tc := range []struct {
		point uint64
		want  *Chain
	}{{6, c6}, {5, c3}, {4, c3}, {1, c3}} {
		got, err := FindSeqno(c6.Fence(), tc.point)
		if err != nil || got != tc.want.Fence() {
			t.Errorf("FindSeqno(head, %d) = %v, %v; want %v", tc.point, got, err, tc.want.Fence())
		}
	}
	if _, err := FindSeqno(c6.Fence(), 7); !errors.Is(err, errno.EINVAL) {
		t.Errorf("FindSeqno(head, 7) err = %v, want EINVAL", err)
	}
}

// TestChain64 pins P7: points across 2^31 and 2^32 stay in one context and
// resolve in 64 bits.
func TestChain64(t *testing.T) {
	_, d := newDomain(0)
	points := []uint64{1<<31 - 1, 1 << 31, 1<<31 + 1, 1<<32 - 1, 1 << 32, 1<<32 + 1, 1<<63 + 5}
	var chains []*Chain
	var prev *Fence
	for _, p := range points {
		c := d.NewChain(prev, newFence(d), p)
		chains = append(chains, c)
		prev = c.Fence()
	}
	ctx := chains[0].Fence().Context()
	for i, c := range chains {
		if c.Fence().Context() != ctx {
			t.Errorf("point %#x got a new context: out of order in 32 bits?", points[i])
		}
		if i > 0 && c.PrevSeqno() != points[i-1] {
			t.Errorf("point %#x: PrevSeqno() = %#x, want %#x", points[i], c.PrevSeqno(), points[i-1])
		}
		got, err := FindSeqno(prev, points[i])
		if err != nil || got != c.Fence() {
			t.Errorf("FindSeqno(head, %#x) = %v, %v", points[i], got, err)
		}
	}
	// A point between two links resolves to the later one.
	got, err := FindSeqno(prev, 1<<32-2)
	if err != nil || got != chains[3].Fence() {
		t.Errorf("FindSeqno(head, 2^32-2) = %v, %v; want the 2^32-1 link", got, err)
	}
	if q := query(prev); q != 0 {
		t.Errorf("query = %d, want 0", q)
	}
	for i := range chains[:4] {
		chains[i].Contained().Signal()
	}
	if q := query(prev); q != 1<<32-1 {
		t.Errorf("query = %#x, want 2^32-1", q)
	}
}

// TestChainSignaled re-expresses signal_forward and signal_backward: a
// link is signaled only when it and every older link are (P5).
func TestChainSignaled(t *testing.T) {
	t.Run("forward", func(t *testing.T) {
		_, d := newDomain(0)
		fc := newFenceChains(d, 64, seqnoInc)
		for i := range fc.fences {
			fc.fences[i].Signal()
			if !fc.chains[i].Fence().IsSignaled() {
				t.Fatalf("chain[%d] not signaled", i)
			}
			if i+1 < len(fc.chains) && fc.chains[i+1].Fence().IsSignaled() {
				t.Fatalf("chain[%d] signaled early", i+1)
			}
		}
	})
	t.Run("backward", func(t *testing.T) {
		_, d := newDomain(0)
		fc := newFenceChains(d, 64, seqnoInc)
		for i := len(fc.fences) - 1; i >= 0; i-- {
			fc.fences[i].Signal()
			if i > 0 && fc.chains[i].Fence().IsSignaled() {
				t.Fatalf("chain[%d] signaled with older links pending", i)
			}
		}
		for i := range fc.chains {
			if !fc.chains[i].Fence().IsSignaled() {
				t.Fatalf("chain[%d] not signaled", i)
			}
		}
	})
	t.Run("no error propagation", func(t *testing.T) {
		_, d := newDomain(0)
		fc := newFenceChains(d, 2, seqnoInc)
		fc.fences[0].SetError(-5)
		fc.fences[0].Signal()
		fc.fences[1].Signal()
		if got := fc.tail().Status(); got != 1 {
			t.Errorf("chain Status() = %d, want 1 (chains carry no error)", got)
		}
	})
}

// TestWalk pins P6: dma_fence_chain_walk() returns the next older link
// after unlinking older links whose fence signaled.
func TestWalk(t *testing.T) {
	_, d := newDomain(0)
	fc := newFenceChains(d, 5, seqnoInc)
	walk := func() []uint64 {
		var seqnos []uint64
		ForEach(fc.tail(), func(it *Fence) bool {
			seqnos = append(seqnos, it.Seqno())
			return true
		})
		return seqnos
	}
	if diff := cmp.Diff([]uint64{5, 4, 3, 2, 1}, walk()); diff != "" {
		t.Errorf("walk (-want +got):\n%s", diff)
	}
	fc.fences[1].Signal()
	fc.fences[2].Signal()
	if diff := cmp.Diff([]uint64{5, 4, 1}, walk()); diff != "" {
		t.Errorf("walk after signaling 2, 3 (-want +got):\n%s", diff)
	}
	if got := fc.chains[3].Prev(); got != fc.chains[0].Fence() {
		t.Errorf("link 4 Prev() = %v, want link 1 (2, 3 unlinked)", got)
	}
	// The head's own fence is never collected by walking from it.
	fc.fences[4].Signal()
	if diff := cmp.Diff([]uint64{5, 4, 1}, walk()); diff != "" {
		t.Errorf("walk after signaling the head (-want +got):\n%s", diff)
	}
	fc.fences[0].Signal()
	fc.fences[3].Signal()
	if diff := cmp.Diff([]uint64{5}, walk()); diff != "" {
		t.Errorf("walk after signaling all (-want +got):\n%s", diff)
	}
	if Walk(fc.fences[0]) != nil {
		t.Error("Walk(plain) != nil")
	}
	// ForEach stops when told.
	n := 0
	fc2 := newFenceChains(d, 5, seqnoInc)
	ForEach(fc2.tail(), func(*Fence) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("ForEach visited %d after stop, want 2", n)
	}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int(nil), p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// TestChainCallbackPermutations arms a callback on a 4-link chain's head
// and signals the contained fences in every order: the head signals exactly
// once, after the last one. Reference: dma_fence_chain_enable_signaling(),
// dma_fence_chain_cb().
func TestChainCallbackPermutations(t *testing.T) {
	perms := permutations(4)
	if len(perms) != 24 {
		t.Fatalf("%d permutations, want 24", len(perms))
	}
	for _, perm := range perms {
		for _, mode := range []string{"callback", "enable"} {
			t.Run(fmt.Sprint(mode, perm), func(t *testing.T) {
				clock, d := newDomain(0)
				fc := newFenceChains(d, 4, seqnoInc)
				head := fc.tail()
				fired := 0
				if mode == "callback" {
					if head.AddCallback(func(*Fence) { fired++ }) == nil {
						t.Fatal("AddCallback on a pending chain = nil")
					}
				} else {
					head.EnableSignaling()
				}
				for k, i := range perm {
					clock.RunUntil(int64(10 * (k + 1)))
					fc.fences[i].Signal()
					last := k == len(perm)-1
					if got := head.SignaledFlag(); got != last {
						t.Fatalf("after signaling %v: head signaled = %v", perm[:k+1], got)
					}
				}
				if mode == "callback" && fired != 1 {
					t.Errorf("head callback ran %d times, want 1", fired)
				}
				if got := head.Timestamp(); got != 40 {
					t.Errorf("head Timestamp() = %d, want 40 (the last signal)", got)
				}
			})
		}
	}
}

// TestLongChain signals a 10,000-link chain in order and in reverse with a
// callback on the head and checks nothing recurses per link.
func TestLongChain(t *testing.T) {
	const n = 10_000
	for _, order := range []string{"forward", "reverse", "random"} {
		t.Run(order, func(t *testing.T) {
			_, d := newDomain(0)
			fc := newFenceChains(d, n, seqnoInc)
			head := fc.tail()
			fired := 0
			head.AddCallback(func(*Fence) { fired++ })
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			switch order {
			case "reverse":
				for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
					idx[i], idx[j] = idx[j], idx[i]
				}
			case "random":
				r := rand.New(rand.NewPCG(seed(t), 1))
				r.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			}
			for k, i := range idx {
				if head.SignaledFlag() {
					t.Fatalf("head signaled after %d of %d", k, n)
				}
				fc.fences[i].Signal()
			}
			if fired != 1 || !head.IsSignaled() {
				t.Fatalf("head callback ran %d times, signaled=%v", fired, head.IsSignaled())
			}
			for i := range fc.chains {
				if !fc.chains[i].Fence().IsSignaled() {
					t.Fatalf("chain[%d] not signaled", i)
				}
			}
			if got, err := FindSeqno(head, n/2); err != nil || got != nil {
				t.Errorf("FindSeqno(head, %d) = %v, %v; want nil (collected)", n/2, got, err)
			}
		})
	}
}

// query mirrors the QUERY loop of drm_syncobj_query_ioctl() without
// LAST_SUBMITTED (spec/uapi.md §4.3 Q2, Q4): walk from the head within the
// head's context; the last link reached gives its seqno if signaled, else
// its prev_seqno.
func query(head *Fence) uint64 {
	if ToChain(head) == nil {
		return 0
	}
	last := head
	for it := head; it != nil; it = Walk(it) {
		if it.Context() != head.Context() {
			break
		}
		last = it
	}
	if last.IsSignaled() {
		return last.Seqno()
	}
	return ToChain(last).PrevSeqno()
}

// swTimeline is a sw_sync timeline: fences at values, signaled in value
// order as the timeline advances.
type swTimeline struct {
	value  uint64
	fences map[uint64][]*Fence
}

func (tl *swTimeline) fence(d *Domain, v uint64) *Fence {
	f := d.New(1, v)
	tl.fences[v] = append(tl.fences[v], f)
	return f
}

func (tl *swTimeline) inc(n uint64) {
	for i := uint64(0); i < n; i++ {
		tl.value++
		for _, f := range tl.fences[tl.value] {
			f.Signal()
		}
	}
}

// TestQueryIGT checks the IGT syncobj_timeline examples of spec/uapi.md
// §4.4 P8 against the QUERY loop.
func TestQueryIGT(t *testing.T) {
	t.Run("host-signal-ordered", func(t *testing.T) {
		_, d := newDomain(0)
		tl := &swTimeline{fences: map[uint64][]*Fence{}}
		var head *Fence
		for i := uint64(1); i <= 5; i++ {
			head = d.NewChain(head, tl.fence(d, i), i).Fence()
		}
		tl.inc(3)
		if got := query(head); got != 3 {
			t.Errorf("after signal 3: query = %d, want 3", got)
		}
		head = d.NewChain(head, d.PrivateStub(0), 8).Fence() // TIMELINE_SIGNAL 8
		if got := query(head); got != 3 {
			t.Errorf("after signaling point 8: query = %d, want 3", got)
		}
		tl.inc(5)
		if got := query(head); got != 8 {
			t.Errorf("after signaling the rest: query = %d, want 8", got)
		}
	})
	t.Run("device-submit-unordered", func(t *testing.T) {
		_, d := newDomain(0)
		tl := &swTimeline{fences: map[uint64][]*Fence{}}
		var head *Fence
		for i, p := range []uint64{1, 5, 3, 6, 7} {
			head = d.NewChain(head, tl.fence(d, uint64(i+1)), p).Fence()
		}
		tl.inc(3)
		if got := query(head); got != 5 {
			t.Errorf("query = %d, want 5", got)
		}
		// Waits for point 5 resolve to a signaled node (or nil).
		f, err := FindSeqno(head, 5)
		if err != nil || (f != nil && !f.IsSignaled()) {
			t.Errorf("FindSeqno(head, 5) = %v, %v; want signaled", f, err)
		}
	})
	t.Run("transfer-timeline-point", func(t *testing.T) {
		_, d := newDomain(0)
		f := newFence(d)
		head := d.NewChain(nil, f, 1).Fence()
		if got := query(head); got != 0 {
			t.Errorf("query = %d, want 0", got)
		}
		f.Signal()
		if got := query(head); got != 1 {
			t.Errorf("query = %d, want 1", got)
		}
	})
}

// TestQueryMonotonic re-expresses IGT device-signal-unordered against a
// naive model: with points 1..n in order and fences signaled in a random
// order, QUERY never decreases and equals the largest j such that 1..j
// have all signaled.
func TestQueryMonotonic(t *testing.T) {
	base := seed(t)
	for run := uint64(0); run < 20; run++ {
		r := rand.New(rand.NewPCG(base, run))
		_, d := newDomain(0)
		n := 1 + r.IntN(40)
		fc := newFenceChains(d, n, seqnoInc)
		signaled := make([]bool, n+1)
		var last uint64
		for _, i := range r.Perm(n) {
			fc.fences[i].Signal()
			signaled[i+1] = true
			want := uint64(0)
			for want < uint64(n) && signaled[want+1] {
				want++
			}
			got := query(fc.tail())
			if got != want || got < last {
				t.Fatalf("seed %d run %d: query = %d, want %d (previous %d)", base, run, got, want, last)
			}
			last = got
		}
	}
}

// TestFindRace re-expresses find_race: goroutines resolve random points
// while signaling random fences. Run with -race.
func TestFindRace(t *testing.T) {
	_, d := newDomain(0)
	const n = 1024
	fc := newFenceChains(d, n, seqnoInc)
	s := seed(t)
	done := make(chan error)
	for g := uint64(0); g < 4; g++ {
		go func() {
			r := rand.New(rand.NewPCG(s, g))
			var err error
			for i := 0; i < 2000 && err == nil; i++ {
				p := uint64(r.IntN(n)) + 1
				f, e := FindSeqno(fc.tail(), p)
				switch {
				case e != nil:
					err = fmt.Errorf("FindSeqno(%d): %v", p, e)
				case f != nil && f.Seqno() == p:
					if _, e := FindSeqno(f, p); e != nil {
						err = fmt.Errorf("find self %d: %v", p, e)
					}
				}
				fc.fences[r.IntN(n-1)].Signal()
			}
			done <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
