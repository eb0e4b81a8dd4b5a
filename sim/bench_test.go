package sim

import (
	"fmt"
	"testing"

	"github.com/vmemu/vmemu/internal/heapbase"
)

// The Schedule+Step benchmarks and the container/heap baseline use the same
// queue depths, so that the cost of the Clock's locking and bookkeeping over
// a bare heap can be read as a ratio. The baseline's element is the Clock's
// former one: a freshly allocated event per push.

var benchDepths = []int{0, 1024}

func BenchmarkScheduleStep(b *testing.B) {
	benchStep(b, func(c *Clock, at int64, fn func()) { c.Schedule(at, fn) })
}

// BenchmarkPostStep is BenchmarkScheduleStep with Post (no handle).
func BenchmarkPostStep(b *testing.B) { benchStep(b, (*Clock).Post) }

// benchStep schedules an event with add and runs it, on a queue of each
// benchDepths depth.
func benchStep(b *testing.B, add func(c *Clock, at int64, fn func())) {
	for _, depth := range benchDepths {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			c := NewVirtual(0)
			fn := func() {}
			for i := 0; i < depth; i++ {
				add(c, 1<<40+int64(i), fn) // stays queued
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				add(c, int64(i), fn)
				c.Step()
			}
		})
	}
}

// BenchmarkHeapPushPopBaseline: a push and a pop of a freshly allocated
// event on a container/heap of the same depth, the popped event run as a
// step runs it (internal/heapbase).
func BenchmarkHeapPushPopBaseline(b *testing.B) {
	for _, depth := range benchDepths {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) { heapbase.PushPop(b, depth, true) })
	}
}
