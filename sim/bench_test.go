package sim

import (
	"container/heap"
	"fmt"
	"testing"
)

// The Schedule+Step benchmarks and the container/heap baseline use the same
// element type (*Event) and the same queue depths, so that the cost of the
// Clock's locking and bookkeeping over a bare heap can be read as a ratio.

var benchDepths = []int{0, 1024}

func BenchmarkScheduleStep(b *testing.B) {
	for _, depth := range benchDepths {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			c := NewVirtual(0)
			fn := func() {}
			for i := 0; i < depth; i++ {
				c.Schedule(1<<40+int64(i), fn) // stays queued
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Schedule(int64(i), fn)
				c.Step()
			}
		})
	}
}

func BenchmarkHeapPushPopBaseline(b *testing.B) {
	for _, depth := range benchDepths {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			var h eventHeap
			fn := func() {}
			for i := 0; i < depth; i++ {
				heap.Push(&h, &Event{at: 1<<40 + int64(i), seq: uint64(i), fn: fn})
			}
			seq := uint64(depth)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				heap.Push(&h, &Event{at: int64(i), seq: seq, fn: fn})
				seq++
				e := heap.Pop(&h).(*Event)
				e.fn()
			}
		})
	}
}
