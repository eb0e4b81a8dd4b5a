package syncobj

import (
	"testing"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/usermem"
)

// BenchmarkCreateSignalWaitDestroy is one binary syncobj's life through the
// ioctl methods: CREATE, SIGNAL, WAIT (already signaled), DESTROY.
func BenchmarkCreateSignalWaitDestroy(b *testing.B) {
	e := newEnv(b)
	io := e.mem.io()
	addr := e.mem.u32s(0)
	var one [1]uint32
	b.ReportAllocs()
	for b.Loop() {
		h, err := e.tab.Create(0)
		if err != nil {
			b.Fatal(err)
		}
		one[0] = h
		usermem.CopyOutU32s(io, addr, one[:])
		if err := e.tab.Signal(io, addr, 1, 0); err != nil {
			b.Fatal(err)
		}
		a := WaitArgs{Handles: addr, CountHandles: 1}
		if err := e.tab.Wait(io, &a); err != nil {
			b.Fatal(err)
		}
		if err := e.tab.Destroy(h, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddPointQuery adds one point to a timeline of 10,000 points and
// QUERYs it. With pending points the query walks the whole chain, as the
// kernel's does; with signaled points the walk has collected them. After
// each op the head is put back, so the chain stays at 10,000 points.
func BenchmarkAddPointQuery(b *testing.B) {
	const n = 10_000
	for _, pending := range []bool{true, false} {
		name := map[bool]string{true: "pending-10k", false: "signaled-10k"}[pending]
		b.Run(name, func(b *testing.B) {
			e := newEnv(b)
			tl := newSWTimeline(e.d)
			h := e.create(0)
			s := e.obj(h)
			for p := uint64(1); p <= n; p++ {
				s.AddPoint(tl.fence(p), p)
			}
			if !pending {
				tl.inc(n)
				s.AddPoint(e.d.Stub(), n+1) // collect
			}
			base := s.Fence()
			io := e.mem.io()
			handles, out := e.mem.u32s(h), e.mem.u64s(0)
			var f *fence.Fence
			if pending {
				f = tl.fence(n + 100)
			} else {
				f = e.d.Stub()
			}
			b.ReportAllocs()
			for b.Loop() {
				s.AddPoint(f, n+2)
				if err := e.tab.Query(io, handles, out, 1, 0); err != nil {
					b.Fatal(err)
				}
				s.ReplaceFence(base)
			}
			b.StopTimer()
			want := uint64(0)
			if !pending {
				want = n + 2
			}
			s.AddPoint(f, n+2)
			if got := e.query(h); got != want {
				b.Fatalf("query = %d, want %d", got, want)
			}
			tl.inc(1000)
		})
	}
}
