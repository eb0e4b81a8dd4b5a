package bench

import (
	"testing"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/internal/heapbase"
	"github.com/vmemu/vmemu/sim"
)

// The engine workloads go through the public API of packages gpu, fence and
// sim, as gpu's BenchmarkDependentNop does: the cost per job of the
// emulated drm_sched (push, dependency handling, run, completion, three
// fences signaled, clock events), against one push+pop of an event on a
// container/heap, gpu's BenchmarkHeapPushPopBaseline at depth 0.

// engineBatch is the number of jobs pushed before the clock is drained.
const engineBatch = 1024

// EngineDependentNop pushes NOP jobs, each depending on the previous job's
// finished fence, engineBatch at a time, each batch drained by
// Clock.RunAll. With crossRing false one entity on a gfx ring pushes them
// all (the dependency is the entity's own fence, ignored); with crossRing
// true they alternate between an entity on gfx and one on sdma, each
// waiting for the other ring's previous job to finish. ns/op is per job.
func EngineDependentNop(crossRing bool) func(*testing.B) {
	return func(b *testing.B) {
		clock := sim.NewVirtual(0)
		rings := map[gpu.IP]int{gpu.GFX: 1}
		if crossRing {
			rings[gpu.SDMA] = 1
		}
		e, err := gpu.NewEngine(clock, fence.NewDomain(clock), gpu.Config{Rings: rings})
		if err != nil {
			b.Fatal(err)
		}
		ens := []*gpu.Entity{e.NewEntity(e.Ring(gpu.GFX, 0),
			gpu.EntityConfig{Name: "g", Priority: gpu.PriorityNormal})}
		if crossRing {
			ens = append(ens, e.NewEntity(e.Ring(gpu.SDMA, 0),
				gpu.EntityConfig{Name: "s", Priority: gpu.PriorityNormal}))
		}
		var prev *fence.Fence
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			prev = ens[i%len(ens)].Push(nil, prev).Finished()
			if i%engineBatch == engineBatch-1 {
				clock.RunAll()
			}
		}
		clock.RunAll()
	}
}

// HeapPushPopBaseline is one push and one pop of a freshly allocated
// 32-byte event on an empty container/heap: gpu's
// BenchmarkHeapPushPopBaseline/depth=0.
func HeapPushPopBaseline(b *testing.B) { heapbase.PushPop(b, 0, false) }
