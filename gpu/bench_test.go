package gpu

import (
	"fmt"
	"testing"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/internal/heapbase"
	"github.com/vmemu/vmemu/sim"
)

// The engine benchmarks report ns/op per job (push, dependency handling,
// run, completion, three fences signaled, clock events included). The
// heap baseline below is one push+pop of the clock's event type on a
// container/heap, so that the cost per job reads as a ratio to it.

const benchBatch = 1024 // jobs pushed before the clock is drained

func benchEngine(b *testing.B, rings map[IP]int) (*sim.Clock, *Engine) {
	clock := sim.NewVirtual(0)
	e, err := NewEngine(clock, fence.NewDomain(clock), Config{Rings: rings})
	if err != nil {
		b.Fatal(err)
	}
	return clock, e
}

// runBatches pushes b.N jobs through push, draining the clock every
// benchBatch jobs.
func runBatches(b *testing.B, clock *sim.Clock, push func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		push(i)
		if i%benchBatch == benchBatch-1 {
			clock.RunAll()
		}
	}
	clock.RunAll()
}

// BenchmarkDependentNop: each NOP job depends on the previous one.
func BenchmarkDependentNop(b *testing.B) {
	// One entity: the dependency is the entity's own fence, ignored.
	b.Run("same-entity", func(b *testing.B) {
		clock, e := benchEngine(b, map[IP]int{GFX: 1})
		en := e.NewEntity(e.Ring(GFX, 0), EntityConfig{Name: "a", Priority: PriorityNormal})
		var prev *fence.Fence
		runBatches(b, clock, func(int) { prev = en.Push(nil, prev).Finished() })
	})
	// Two entities on one ring: the dependency is pipelined (waits for the
	// previous job's scheduled fence).
	b.Run("same-ring", func(b *testing.B) {
		clock, e := benchEngine(b, map[IP]int{GFX: 1})
		r := e.Ring(GFX, 0)
		ens := [2]*Entity{
			e.NewEntity(r, EntityConfig{Name: "a", Priority: PriorityNormal}),
			e.NewEntity(r, EntityConfig{Name: "b", Priority: PriorityNormal}),
		}
		var prev *fence.Fence
		runBatches(b, clock, func(i int) { prev = ens[i&1].Push(nil, prev).Finished() })
	})
	// Alternating gfx and sdma: every job waits for the previous one to
	// finish on the other ring.
	b.Run("cross-ring", func(b *testing.B) {
		clock, e := benchEngine(b, map[IP]int{GFX: 1, SDMA: 1})
		ens := [2]*Entity{
			e.NewEntity(e.Ring(GFX, 0), EntityConfig{Name: "g", Priority: PriorityNormal}),
			e.NewEntity(e.Ring(SDMA, 0), EntityConfig{Name: "s", Priority: PriorityNormal}),
		}
		var prev *fence.Fence
		runBatches(b, clock, func(i int) { prev = ens[i&1].Push(nil, prev).Finished() })
	})
}

// BenchmarkIndependentNop: NOP jobs without dependencies over 8 entities
// on 4 rings.
func BenchmarkIndependentNop(b *testing.B) {
	clock, e := benchEngine(b, map[IP]int{GFX: 1, COMPUTE: 2, SDMA: 1})
	var ens []*Entity
	for _, r := range e.Rings() {
		for k := 0; k < 2; k++ {
			ens = append(ens, e.NewEntity(r, EntityConfig{Priority: Priority(k + 1)}))
		}
	}
	runBatches(b, clock, func(i int) { ens[i%len(ens)].Push(nil) })
}

// BenchmarkHeapPushPopBaseline: one push and one pop of a freshly
// allocated event (as Clock.Schedule allocated one) on a container/heap
// holding depth others (internal/heapbase, the baseline vmemu bench uses
// too).
func BenchmarkHeapPushPopBaseline(b *testing.B) {
	for _, depth := range []int{0, 4} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) { heapbase.PushPop(b, depth, false) })
	}
}

// BenchmarkFloor does, per op, what any job costs whatever the engine does
// around it with the fence and sim APIs as they are: allocate and signal
// three fences (scheduled, finished, hardware; two with ops, as scheduler
// fences are) and schedule and run one clock event. The engine's own
// overhead per job is the difference with the benchmarks above.
func BenchmarkFloor(b *testing.B) {
	clock := sim.NewVirtual(0)
	d := fence.NewDomain(clock)
	ops := &schedOps{}
	fn := func() {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := d.NewWithOps(1, uint64(i), ops)
		f := d.NewWithOps(2, uint64(i), ops)
		hw := d.New(3, uint64(i))
		clock.Schedule(int64(i), fn)
		clock.Step()
		s.SignalAt(int64(i))
		hw.SignalAt(int64(i))
		f.SignalAt(int64(i))
	}
}

// benchJobs keeps BenchmarkJobAlloc's jobs reachable.
var benchJobs [benchBatch]*Job

// BenchmarkJobAlloc allocates one zero Job per op, keeping the last
// benchBatch reachable as the engine benchmarks' batches do: the part of
// their cost that is the job's memory (allocation and garbage collection)
// rather than the engine's work.
func BenchmarkJobAlloc(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		benchJobs[i%benchBatch] = &Job{id: uint64(i)}
	}
}
