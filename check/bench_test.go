package check

import (
	"math/rand"
	"testing"
	"time"
)

// frameOp is one event of the frame workload.
type frameOp struct {
	kind   byte // 's' start, 'e' end, 'a' access, 'w' CPU wait, 'c' CPU access
	ring   int
	thread int
	job    int // job index (its fence is job+1 on its ring's context)
	deps   []int
	alloc  int
	off, n uint64
	write  bool
}

const (
	frameAllocs    = 50
	frameAllocSize = 256 << 10
)

// frameWorkload is a frame-like program: 300 jobs over 3 rings (gfx,
// compute, sdma) submitted by 2 client threads, each job depending on the
// latest job of the other rings 90% of the time, 16 accesses per job (64 B
// to 16 KiB) over 50 allocations, 200 CPU accesses, and a CPU wait every 30
// jobs. 5,000 accesses in all.
func frameWorkload() (ops []frameOp, accesses int) {
	rnd := rand.New(rand.NewSource(42))
	last := []int{-1, -1, -1}
	rangeOf := func() (int, uint64, uint64) {
		n := uint64(64 << rnd.Intn(9)) // 64 B .. 16 KiB
		off := uint64(rnd.Intn(int(frameAllocSize-n)/64)) * 64
		return rnd.Intn(frameAllocs), off, n
	}
	for j := range 300 {
		ring := j % 3
		var deps []int
		for r, l := range last {
			if r != ring && l >= 0 && rnd.Intn(10) > 0 {
				deps = append(deps, l)
			}
		}
		ops = append(ops, frameOp{kind: 's', ring: ring, thread: j % 2, job: j, deps: deps})
		for range 16 {
			a, off, n := rangeOf()
			ops = append(ops, frameOp{kind: 'a', job: j, alloc: a, off: off, n: n, write: rnd.Intn(3) == 0})
			accesses++
		}
		ops = append(ops, frameOp{kind: 'e', job: j})
		last[ring] = j
		if j%30 == 29 {
			ops = append(ops, frameOp{kind: 'w', thread: j % 2, deps: append([]int(nil), last...)})
			for range 20 {
				a, off, n := rangeOf()
				ops = append(ops, frameOp{kind: 'c', thread: j % 2, alloc: a, off: off, n: n, write: rnd.Intn(2) == 0})
				accesses++
			}
		}
	}
	return ops, accesses
}

// runFrame executes frame number frame of the workload against c (nil =
// checker off). The emulator's own work is modelled by touching the
// accessed bytes of real backing stores (a fill for writes, a sum for
// reads), as vmemu's packet execution does; mem nil skips it.
func runFrame(c *Checker, frame int, ops []frameOp, mem [][]byte) (sum byte) {
	rings := [3]RingID{c.Ring("gfx"), c.Ring("comp"), c.Ring("sdma")}
	threads := [2]*Agent{c.CPU("file1"), c.CPU("file2")}
	if frame == 0 {
		for a := range frameAllocs {
			c.AllocCreate(AllocID(a), 1, frameAllocSize)
		}
	}
	jobs := make([]*Agent, 300)
	fence := func(j int) FenceKey { return FenceKey{uint64(j%3 + 1), uint64(frame*300 + j + 1)} }
	// The emulator drops its references to old fences; so does the
	// checker.
	for j := range 300 {
		if frame >= 2 {
			c.ForgetFence(FenceKey{uint64(j%3 + 1), uint64((frame-2)*300 + j + 1)})
		}
	}
	var deps [3]FenceKey
	for i := range ops {
		op := &ops[i]
		switch op.kind {
		case 's':
			ds := deps[:0]
			for _, d := range op.deps {
				ds = append(ds, fence(d))
			}
			jobs[op.job] = c.JobStart(JobInfo{Ring: rings[op.ring], Fence: fence(op.job),
				Submit: c.Submit(threads[op.thread]), Deps: ds,
				Origin: Origin{File: uint32(op.thread + 1), IoctlSeq: uint64(op.job + 1), Ioctl: "CS"}})
		case 'e':
			c.JobEnd(jobs[op.job])
		case 'w':
			ds := deps[:0]
			for _, d := range op.deps {
				ds = append(ds, fence(d))
			}
			c.CPUWait(threads[op.thread], ds...)
		case 'a', 'c':
			ag := jobs[op.job]
			if op.kind == 'c' {
				ag = threads[op.thread]
			}
			c.Access(Access{Agent: ag, Alloc: AllocID(op.alloc), Gen: 1, Off: op.off, Len: op.n,
				Write: op.write, Label: "frame"})
			if mem == nil {
				continue
			}
			b := mem[op.alloc][op.off : op.off+op.n]
			if op.write {
				for k := range b {
					b[k] = byte(i)
				}
			} else {
				for _, x := range b {
					sum += x
				}
			}
		}
	}
	return sum
}

var sink byte

// BenchmarkFrame runs the frame workload with the checker off (nil) and
// on, in the same run, in a steady state: one checker for the whole run,
// each iteration one frame with new jobs over the same allocations.
// ns/access is the whole frame's time per access.
func BenchmarkFrame(b *testing.B) {
	ops, accesses := frameWorkload()
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			mem := make([][]byte, frameAllocs)
			for i := range mem {
				mem[i] = make([]byte, frameAllocSize)
			}
			var c *Checker
			if mode == "on" {
				c = New(Options{})
			}
			frame := 0
			for b.Loop() {
				sink += runFrame(c, frame, ops, mem)
				frame++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(accesses), "ns/access")
			if c != nil {
				b.ReportMetric(float64(c.Summary().Total())/float64(frame), "reports/frame")
				b.ReportMetric(float64(c.Stats().Segments), "intervals")
			}
		})
	}
}

// BenchmarkFrameRatio alternates one frame with the checker off and one
// with it on, so that both see the same machine load, and reports the
// ratio of their total times (on/off) and the checker's cost per access.
func BenchmarkFrameRatio(b *testing.B) {
	ops, accesses := frameWorkload()
	mem := make([][]byte, frameAllocs)
	for i := range mem {
		mem[i] = make([]byte, frameAllocSize)
	}
	c := New(Options{})
	var off, on time.Duration
	frame := 0
	for b.Loop() {
		t0 := time.Now()
		sink += runFrame(nil, frame, ops, mem)
		t1 := time.Now()
		sink += runFrame(c, frame, ops, mem)
		on += time.Since(t1)
		off += t1.Sub(t0)
		frame++
	}
	b.ReportMetric(float64(on)/float64(off), "on/off")
	b.ReportMetric(float64(off.Nanoseconds())/float64(frame), "off-ns/frame")
	b.ReportMetric(float64(on.Nanoseconds())/float64(frame), "on-ns/frame")
	b.ReportMetric(float64((on-off).Nanoseconds())/float64(frame)/float64(accesses), "checker-ns/access")
}

// BenchmarkFrameCheckerOnly is the frame workload without the modelled
// memory work: the checker's absolute cost (on) against bare event
// delivery to a nil checker (off). "cold" builds a new checker per frame.
func BenchmarkFrameCheckerOnly(b *testing.B) {
	ops, accesses := frameWorkload()
	for _, mode := range []string{"off", "on", "on-cold"} {
		b.Run(mode, func(b *testing.B) {
			var c *Checker
			if mode == "on" {
				c = New(Options{})
			}
			frame := 0
			for b.Loop() {
				if mode == "on-cold" {
					c, frame = New(Options{}), 0
				}
				sink += runFrame(c, frame, ops, nil)
				frame++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(accesses), "ns/access")
		})
	}
}

// BenchmarkAccess is the steady-state hot path: one job reading and
// writing ranges of one allocation, no races.
func BenchmarkAccess(b *testing.B) {
	for _, tc := range []struct {
		name string
		c    *Checker
	}{{"off", nil}, {"on", New(Options{})}} {
		b.Run(tc.name, func(b *testing.B) {
			c := tc.c
			c.AllocCreate(1, 1, 1<<20)
			j := c.JobStart(JobInfo{Ring: c.Ring("gfx"), Fence: FenceKey{1, 1}})
			i := uint64(0)
			for b.Loop() {
				i++
				c.Access(Access{Agent: j, Alloc: 1, Gen: 1, Off: (i * 4096) % (1 << 20), Len: 4096, Write: i%2 == 0, Label: "x"})
			}
		})
	}
	// The same loop without the call: what "off" adds is the difference.
	b.Run("no-call", func(b *testing.B) {
		i := uint64(0)
		for b.Loop() {
			i++
			sink += byte((i * 4096) % (1 << 20))
		}
	})
}
