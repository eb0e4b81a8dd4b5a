// Package heapbase is the baseline the engine and clock benchmarks are
// measured against: one push and one pop of a freshly allocated event on a
// container/heap, the event having the layout the clock's queue element
// had (time, sequence, function, heap index). Package bench (vmemu bench)
// and the go test benchmarks of gpu and sim share it, so that every
// ratio they report has the same denominator.
package heapbase

import (
	"container/heap"
	"testing"
)

type event struct {
	at    int64
	seq   uint64
	fn    func()
	index int
}

type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *events) Push(x any) {
	e := x.(*event)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *events) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*h = old[:n-1]
	return e
}

// PushPop measures b.N rounds of one push of a freshly allocated event and
// one pop, on a heap holding depth other events that stay queued. With run
// the popped event's function is called, as a clock step runs it.
func PushPop(b *testing.B, depth int, run bool) {
	var h events
	fn := func() {}
	for i := 0; i < depth; i++ {
		heap.Push(&h, &event{at: 1<<40 + int64(i), seq: uint64(i), fn: fn})
	}
	seq := uint64(depth)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		heap.Push(&h, &event{at: int64(i), seq: seq, fn: fn})
		seq++
		e := heap.Pop(&h).(*event)
		if run {
			e.fn()
		}
	}
}
