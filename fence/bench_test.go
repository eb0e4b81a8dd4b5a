package fence

import (
	"testing"
)

func BenchmarkFenceCreateSignal(b *testing.B) {
	_, d := newDomain(0)
	ctx := d.ContextAlloc(1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f := d.New(ctx, uint64(i))
		f.Signal()
	}
}

func BenchmarkAddCallbackSignal(b *testing.B) {
	_, d := newDomain(0)
	ctx := d.ContextAlloc(1)
	n := 0
	fn := func(*Fence) { n++ }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f := d.New(ctx, uint64(i))
		f.AddCallback(fn)
		f.Signal()
	}
	if n != b.N {
		b.Fatalf("%d callbacks ran, want %d", n, b.N)
	}
}

// BenchmarkChain10000 adds 10,000 points to a timeline and resolves the
// middle one (a walk over half the chain), per op.
func BenchmarkChain10000(b *testing.B) {
	const n = 10_000
	_, d := newDomain(0)
	fences := newFences(d, n)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var head *Fence
		for j, f := range fences {
			head = d.NewChain(head, f, uint64(j)+1).Fence()
		}
		if got, err := FindSeqno(head, n/2); err != nil || got.Seqno() != n/2 {
			b.Fatalf("FindSeqno = %v, %v", got, err)
		}
	}
}

// BenchmarkFindSeqno10000 resolves point 1 of a built 10,000-point
// timeline: a full walk with nothing to collect.
func BenchmarkFindSeqno10000(b *testing.B) {
	const n = 10_000
	_, d := newDomain(0)
	fc := newFenceChains(d, n, seqnoInc)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got, err := FindSeqno(fc.tail(), 1); err != nil || got != fc.chains[0].Fence() {
			b.Fatalf("FindSeqno = %v, %v", got, err)
		}
	}
}

// BenchmarkMerge8 merges 8 unsignaled fences on distinct contexts.
func BenchmarkMerge8(b *testing.B) {
	_, d := newDomain(0)
	fs := newFences(d, 8)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ToArray(d.Merge(fs...)) == nil {
			b.Fatal("Merge did not return an array")
		}
	}
}
