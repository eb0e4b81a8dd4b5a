package sim

import (
	"container/heap"
	"fmt"
	"testing"
)

// The Schedule+Step benchmarks and the container/heap baseline use the same
// queue depths, so that the cost of the Clock's locking and bookkeeping over
// a bare heap can be read as a ratio. The baseline's element is the Clock's
// former one: a freshly allocated event per push.

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

// BenchmarkPostStep is BenchmarkScheduleStep with Post (no handle).
func BenchmarkPostStep(b *testing.B) {
	for _, depth := range benchDepths {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			c := NewVirtual(0)
			fn := func() {}
			for i := 0; i < depth; i++ {
				c.Post(1<<40+int64(i), fn) // stays queued
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Post(int64(i), fn)
				c.Step()
			}
		})
	}
}

type benchEvent struct {
	at    int64
	seq   uint64
	fn    func()
	index int
}

type benchHeap []*benchEvent

func (h benchHeap) Len() int { return len(h) }
func (h benchHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h benchHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *benchHeap) Push(x any) {
	e := x.(*benchEvent)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *benchHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*h = old[:n-1]
	return e
}

func BenchmarkHeapPushPopBaseline(b *testing.B) {
	for _, depth := range benchDepths {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			var h benchHeap
			fn := func() {}
			for i := 0; i < depth; i++ {
				heap.Push(&h, &benchEvent{at: 1<<40 + int64(i), seq: uint64(i), fn: fn})
			}
			seq := uint64(depth)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				heap.Push(&h, &benchEvent{at: int64(i), seq: seq, fn: fn})
				seq++
				e := heap.Pop(&h).(*benchEvent)
				e.fn()
			}
		})
	}
}
