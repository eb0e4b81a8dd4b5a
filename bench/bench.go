// Package bench holds vmemu's performance workloads with the same-run
// baselines their targets are ratios to, so that `go test -bench` (the
// Benchmark functions in tests/e2e call these) and `vmemu bench` measure
// exactly the same code. A workload is a func(*testing.B); Run measures a
// subject and its baseline alternately, several rounds, and reports the
// median ratio, so both see the same machine load.
//
// Workloads here go through the public faces only (amdgpu.Device,
// client.Client): the CS ioctl with BO lists of n BOs (amdgpu_cs_ioctl())
// and GEM_VA MAP+UNMAP with n live mappings (amdgpu_gem_va_ioctl()); the
// engine's (engine.go) through the public API of gpu, fence and sim.
package bench

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/google/btree"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
)

const (
	page = 4096
	gtt  = uapi.AMDGPU_GEM_DOMAIN_GTT
	ibVA = 0x200000
)

// open returns a default device (FailDeadlocks: a workload that blocks
// forever fails instead of hanging) and a client on one of its files.
func open(b *testing.B) (*amdgpu.Device, *client.Client) {
	b.Helper()
	dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true})
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.New(dev)
	if err != nil {
		dev.Close()
		b.Fatal(err)
	}
	return dev, c
}

// CSBOList is one CS ioctl with a BO list of n 4 KiB GTT BOs plus the IB's
// BO, in an implicit or an EXPLICIT context; the clock is drained every 16
// submissions, outside the timer. It reports ns/BO.
func CSBOList(n int, explicit bool) func(*testing.B) {
	return func(b *testing.B) {
		dev, c := open(b)
		defer dev.Close()
		ctx, err := c.CreateContext(explicit)
		if err != nil {
			b.Fatal(err)
		}
		list := make([]uint32, n, n+1)
		for i := range list {
			if list[i], err = c.CreateBO(page, gtt, 0); err != nil {
				b.Fatal(err)
			}
		}
		var p pkt.PM4
		p.Gfx = pkt.GFX11
		p.Nop(4)
		dw := p.Dwords()
		ib, err := c.CreateBO(page, gtt, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.WriteIB(ib, 0, dw); err != nil {
			b.Fatal(err)
		}
		flags := uint32(0)
		if explicit {
			flags = uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_EXPLICIT_SYNC
		}
		if err := c.Map(ib, ibVA, page, flags); err != nil {
			b.Fatal(err)
		}
		list = append(list, ib)
		s := client.Submission{Ctx: ctx, BOs: list,
			IBs: []client.IBRef{{VA: ibVA, Dwords: uint32(len(dw)), IP: uapi.AMDGPU_HW_IP_GFX}}}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := c.Submit(s); err != nil {
				b.Fatal(err)
			}
			if i%16 == 15 {
				b.StopTimer()
				dev.Clock().RunAll() // keep the fence lists short
				b.StartTimer()
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(n+1)), "ns/BO")
	}
}

// CSBOListBaseline does, per op, only what the CS must do at least for
// n+1 BOs: look each handle up and add one fence to its reservation
// object. It reports ns/BO.
func CSBOListBaseline(n int) func(*testing.B) {
	return func(b *testing.B) {
		dev, c := open(b)
		defer dev.Close()
		hs := make([]uint32, n+1)
		var err error
		for i := range hs {
			if hs[i], err = c.CreateBO(page, gtt, 0); err != nil {
				b.Fatal(err)
			}
		}
		d := dev.Domain()
		ctx := d.ContextAlloc(1)
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			f := d.New(ctx, uint64(i+1))
			for _, h := range hs {
				o := c.F.LookupBO(h)
				r := o.Resv()
				if err := r.Lock(nil); err != nil {
					b.Fatal(err)
				}
				if err := r.ReserveFences(1); err != nil {
					b.Fatal(err)
				}
				r.AddFence(f, resv.WRITE)
				r.Unlock()
				o.Put()
			}
			f.Signal()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(n+1)), "ns/BO")
	}
}

// vaBase is the first mapped address of the GEM_VA workloads (4 GiB).
const vaBase = 1 << 32

// freeSlots returns 64Ki random free one-page slots among n live mappings
// at every other page from vaBase.
func freeSlots(n int) []uint64 {
	rng := rand.New(rand.NewSource(1))
	keys := make([]uint64, 1<<16)
	for i := range keys {
		keys[i] = vaBase + uint64(2*rng.Intn(n)+1)*page
	}
	return keys
}

// GemVAIoctl is a GEM_VA MAP+UNMAP pair issued with File.Ioctl at random
// free slots among n live one-page mappings of one BO. With pt false the
// pair passes AMDGPU_VM_DELAY_UPDATE (no page-table job, as Mesa does for
// most maps); with pt true it builds the PT_UPDATE and PT_CLEAR jobs, the
// clock drained every 256 pairs outside the timer. Populating with pt true
// and n = 1M builds a million page-table jobs first: callers keep pt to
// n ≤ 100k.
func GemVAIoctl(n int, pt bool) func(*testing.B) {
	keys := freeSlots(n)
	return func(b *testing.B) {
		dev, c := open(b)
		defer dev.Close()
		h, err := c.CreateBO(page, gtt, 0)
		if err != nil {
			b.Fatal(err)
		}
		rw := uint32(uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE)
		for i := range n {
			if err := c.Map(h, vaBase+uint64(2*i)*page, page, rw|uapi.AMDGPU_VM_DELAY_UPDATE); err != nil {
				b.Fatal(err)
			}
		}
		flags := rw | uapi.AMDGPU_VM_DELAY_UPDATE
		if pt {
			// Write the live mappings once (amdgpu_vm_bo_update() of the
			// whole bo_va), so the timed maps each update only their own.
			flags = rw
			if err := c.Map(h, vaBase+uint64(2*n)*page, page, rw); err != nil {
				b.Fatal(err)
			}
			dev.Clock().RunAll()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			va := keys[i&(len(keys)-1)]
			if err := c.Map(h, va, page, flags); err != nil {
				b.Fatal(err)
			}
			if err := c.Unmap(h, va, page, flags&uapi.AMDGPU_VM_DELAY_UPDATE); err != nil {
				b.Fatal(err)
			}
			if pt && i%256 == 255 {
				b.StopTimer()
				dev.Clock().RunAll()
				b.StartTimer()
			}
		}
	}
}

// OrderedMapBaseline inserts and deletes GemVAIoctl's keys in a B-tree
// (github.com/google/btree, the VA space's degree) of n entries.
func OrderedMapBaseline(n int) func(*testing.B) {
	keys := freeSlots(n)
	return func(b *testing.B) {
		t := btree.NewG(32, func(a, b uint64) bool { return a < b })
		for i := range n {
			t.ReplaceOrInsert(vaBase + uint64(2*i)*page)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			k := keys[i&(len(keys)-1)]
			t.ReplaceOrInsert(k)
			t.Delete(k)
		}
	}
}

// Case is one target: a subject, its baseline and the largest ratio
// allowed (0: report only).
type Case struct {
	Name     string
	Subject  func(*testing.B)
	Baseline func(*testing.B)
	Target   float64
	// Unit names what one op of both is ("pair", "BO"); PerOp divides
	// the ns/op of both to give ns per unit.
	Unit  string
	PerOp float64
}

// Cases returns the targets `vmemu bench` checks. large adds the 1M-mapping
// GEM_VA case (it populates a million mappings: seconds and ~1 GiB).
func Cases(large bool) []Case {
	var cs []Case
	for _, n := range []int{100, 1_000, 10_000} {
		for _, explicit := range []bool{false, true} {
			pol := "implicit"
			if explicit {
				pol = "explicit"
			}
			cs = append(cs, Case{Name: fmt.Sprintf("cs-bo-list/n=%d/%s", n, pol),
				Subject: CSBOList(n, explicit), Baseline: CSBOListBaseline(n),
				Target: 3, Unit: "BO", PerOp: float64(n + 1)})
		}
	}
	cs = append(cs,
		Case{Name: "engine-nop/same-entity", Subject: EngineDependentNop(false),
			Baseline: HeapPushPopBaseline, Target: 3, Unit: "job", PerOp: 1},
		Case{Name: "engine-nop/cross-ring", Subject: EngineDependentNop(true),
			Baseline: HeapPushPopBaseline, Target: 3, Unit: "job", PerOp: 1})
	sizes := []int{1_000, 100_000}
	if large {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		cs = append(cs, Case{Name: fmt.Sprintf("gem-va/n=%d/delay", n),
			Subject: GemVAIoctl(n, false), Baseline: OrderedMapBaseline(n),
			Target: 3, Unit: "pair", PerOp: 1})
	}
	return cs
}

// Result is a Case measured: the median ns per unit of subject and
// baseline over the rounds, and the median of the per-round ratios.
type Result struct {
	Name     string  `json:"name"`
	Unit     string  `json:"unit"`
	Subject  float64 `json:"subject_ns"`
	Baseline float64 `json:"baseline_ns"`
	Ratio    float64 `json:"ratio"`
	Target   float64 `json:"target,omitempty"`
	Met      bool    `json:"met"`
	Rounds   int     `json:"rounds"`
}

// Run measures c: rounds times the baseline then the subject, each with
// testing.Benchmark.
func Run(c Case, rounds int) Result {
	rounds = max(rounds, 1)
	per := max(c.PerOp, 1)
	var subj, base, ratio []float64
	for range rounds {
		bs := testing.Benchmark(c.Baseline)
		ss := testing.Benchmark(c.Subject)
		b := float64(bs.NsPerOp()) / per
		s := float64(ss.NsPerOp()) / per
		base, subj = append(base, b), append(subj, s)
		if b > 0 {
			ratio = append(ratio, s/b)
		}
	}
	r := Result{Name: c.Name, Unit: c.Unit, Subject: median(subj), Baseline: median(base),
		Ratio: median(ratio), Target: c.Target, Rounds: rounds}
	r.Met = c.Target == 0 || (len(ratio) > 0 && r.Ratio <= c.Target)
	return r
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
