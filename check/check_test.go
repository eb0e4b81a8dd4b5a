package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// env drives a Checker the way the emulator will: rings with one fence
// context each, jobs submitted by CPU threads, a virtual clock.
type env struct {
	t     *testing.T
	c     *Checker
	now   int64
	rings map[string]*testRing
	ioctl map[uint32]uint64 // per-file ioctl sequence numbers
}

type testRing struct {
	id    RingID
	fctx  uint64
	seqno uint64
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, rings: map[string]*testRing{}, ioctl: map[uint32]uint64{}}
	e.c = New(Options{Now: func() int64 { return e.now }})
	return e
}

func (e *env) ring(name string) *testRing {
	r := e.rings[name]
	if r == nil {
		r = &testRing{id: e.c.Ring(name), fctx: uint64(100 + len(e.rings))}
		e.rings[name] = r
	}
	return r
}

// nextIoctl returns the next ioctl sequence number of file.
func (e *env) nextIoctl(file uint32) uint64 {
	e.ioctl[file]++
	return e.ioctl[file]
}

// jobSpec describes a job for start.
type jobSpec struct {
	ring   string
	file   uint32
	ctx    uint32
	thread *Agent // submitter; nil for none
	deps   []FenceKey
	kdeps  []FenceKey
	label  string
}

// start submits (if thread is set) and starts a job.
func (e *env) start(s jobSpec) *Agent {
	r := e.ring(s.ring)
	r.seqno++
	var snap Snapshot
	if s.thread != nil {
		snap = e.c.Submit(s.thread)
	}
	e.now += 10
	return e.c.JobStart(JobInfo{
		Ring:  r.id,
		Fence: FenceKey{r.fctx, r.seqno},
		Origin: Origin{File: s.file, IoctlSeq: e.nextIoctl(s.file), Ioctl: "CS",
			Context: s.ctx, Label: s.label},
		Submit: snap, Deps: s.deps, KernelDeps: s.kdeps,
	})
}

// run starts a job, performs its accesses and ends it.
func (e *env) run(s jobSpec, accs ...Access) *Agent {
	j := e.start(s)
	for _, a := range accs {
		e.access(j, a)
	}
	e.end(j)
	return j
}

func (e *env) end(j *Agent) {
	e.now += 10
	e.c.JobEnd(j)
}

func (e *env) access(ag *Agent, a Access) {
	e.now++
	a.Agent = ag
	if a.Gen == 0 {
		a.Gen = 1
	}
	e.c.Access(a)
}

func fenceOf(j *Agent) FenceKey { return FenceKey{j.Origin().FenceContext, j.Origin().Seqno} }

func w(alloc AllocID, off, n uint64) Access {
	return Access{Alloc: alloc, Off: off, Len: n, Write: true, Label: fmt.Sprintf("w%d+%d", off, n)}
}

func r(alloc AllocID, off, n uint64) Access {
	return Access{Alloc: alloc, Off: off, Len: n, Label: fmt.Sprintf("r%d+%d", off, n)}
}

// brief is a compact form of a report for comparisons.
type brief struct {
	Kind   Kind
	Hazard Hazard
	Phys   Range
	Count  int
}

func briefs(rs []Report) []brief {
	var out []brief
	for _, r := range rs {
		out = append(out, brief{r.Kind, r.Hazard, r.Phys, r.Count})
	}
	return out
}

func (e *env) expect(want ...brief) {
	e.t.Helper()
	if diff := cmp.Diff(want, briefs(e.c.Reports())); diff != "" {
		e.t.Errorf("reports (-want +got):\n%s", diff)
		for _, r := range e.c.Reports() {
			e.t.Log(r.Text())
		}
	}
	if s := e.c.Stats(); s.UnknownFences != 0 || s.EarlyFences != 0 || s.Misuse != 0 {
		e.t.Errorf("stats: %+v", s)
	}
}

// TestRaceAcrossRings: two jobs on two rings touch the same bytes; without
// a dependency they race (RAW, WAR, WAW), with one they are silent.
func TestRaceAcrossRings(t *testing.T) {
	for _, tc := range []struct {
		name         string
		first, later Access
		hazard       Hazard
	}{
		{"RAW", w(1, 0, 64), r(1, 0, 64), RAW},
		{"WAR", r(1, 0, 64), w(1, 0, 64), WAR},
		{"WAW", w(1, 0, 64), w(1, 0, 64), WAW},
		{"RAR", r(1, 0, 64), r(1, 0, 64), HazardNone},
	} {
		for _, synced := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/synced=%v", tc.name, synced), func(t *testing.T) {
				e := newEnv(t)
				e.c.AllocCreate(1, 1, 4096)
				a := e.run(jobSpec{ring: "gfx", file: 1}, tc.first)
				var deps []FenceKey
				if synced {
					deps = []FenceKey{fenceOf(a)}
				}
				e.run(jobSpec{ring: "sdma0", file: 1, deps: deps}, tc.later)
				if synced || tc.hazard == HazardNone {
					e.expect()
					return
				}
				e.expect(brief{KindRace, tc.hazard, Range{0, 64}, 1})
			})
		}
	}
}

// TestRingOrder: consecutive jobs on one ring are ordered without deps.
func TestRingOrder(t *testing.T) {
	e := newEnv(t)
	e.c.AllocCreate(1, 1, 4096)
	e.run(jobSpec{ring: "gfx"}, w(1, 0, 64))
	e.run(jobSpec{ring: "gfx"}, w(1, 0, 64), r(1, 0, 64))
	e.expect()
}

// TestCPUThreads: two CPU threads race unless a fence signal and wait
// order them; a thread and the GPU likewise (through Submit).
func TestCPUThreads(t *testing.T) {
	t.Run("race", func(t *testing.T) {
		e := newEnv(t)
		e.c.AllocCreate(1, 1, 4096)
		e.access(e.c.CPU("t1"), w(1, 0, 8))
		e.access(e.c.CPU("t2"), r(1, 0, 8))
		e.expect(brief{KindRace, RAW, Range{0, 8}, 1})
	})
	t.Run("signal-wait", func(t *testing.T) {
		e := newEnv(t)
		e.c.AllocCreate(1, 1, 4096)
		t1, t2 := e.c.CPU("t1"), e.c.CPU("t2")
		e.access(t1, w(1, 0, 8))
		e.c.FenceSignal(FenceKey{7, 1}, t1, Origin{File: 1, Ioctl: "SYNCOBJ_SIGNAL", IoctlSeq: 3})
		e.c.CPUWait(t2, FenceKey{7, 1})
		e.access(t2, r(1, 0, 8))
		e.access(t2, w(1, 0, 8))
		e.expect()
	})
	t.Run("thread-gpu-thread", func(t *testing.T) {
		// t1 writes, submits a job that reads and writes; t2 waits for the
		// job and reads: ordered transitively.
		e := newEnv(t)
		e.c.AllocCreate(1, 1, 4096)
		t1, t2 := e.c.CPU("t1"), e.c.CPU("t2")
		e.access(t1, w(1, 0, 8))
		j := e.run(jobSpec{ring: "gfx", thread: t1}, r(1, 0, 8), w(1, 0, 8))
		e.c.CPUWait(t2, fenceOf(j))
		e.access(t2, r(1, 0, 8))
		e.expect()
		// t1 did not wait: its read races the job's write.
		e.access(t1, r(1, 0, 8))
		e.expect(brief{KindCPUUnsync, RAW, Range{0, 8}, 1})
	})
}

// TestSharedBO: two files (two VMs, two contexts) share one allocation.
// Reference: DESIGN.md §4 (across contexts, rings, VMs and files).
func TestSharedBO(t *testing.T) {
	for _, synced := range []bool{false, true} {
		t.Run(fmt.Sprintf("synced=%v", synced), func(t *testing.T) {
			e := newEnv(t)
			e.c.AllocCreate(9, 1, 1<<20)
			f1, f2 := e.c.CPU("file1"), e.c.CPU("file2")
			a := e.run(jobSpec{ring: "gfx", file: 1, ctx: 1, thread: f1},
				Access{Alloc: 9, Off: 0x1000, Len: 0x1000, Write: true, VA: 0x40001000})
			if synced {
				// file2 learned the fence (a sync_file export) and waited.
				e.c.CPUWait(f2, fenceOf(a))
			}
			e.run(jobSpec{ring: "comp1", file: 2, ctx: 7, thread: f2},
				Access{Alloc: 9, Off: 0x1800, Len: 0x1000, VA: 0x80000000})
			if synced {
				e.expect()
				return
			}
			e.expect(brief{KindRace, RAW, Range{0x1800, 0x800}, 1})
			got := e.c.Reports()[0]
			if got.Access.VA != (Range{0x80000000, 0x800}) || got.Prior.VA != (Range{0x40001800, 0x800}) {
				t.Errorf("VA ranges: access %v prior %v", got.Access.VA, got.Prior.VA)
			}
			if got.Access.Job.File != 2 || got.Prior.Job.File != 1 || got.Prior.Job.Context != 1 {
				t.Errorf("sides: %+v / %+v", got.Access.Job, got.Prior.Job)
			}
		})
	}
}

// TestTransitive: A → fence → B → fence → C orders A before C, across
// three rings; dropping either edge makes A and C race.
func TestTransitive(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ab, bc     bool
		wantReport bool
	}{
		{"chain", true, true, false},
		{"no-ab", false, true, true},
		{"no-bc", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.c.AllocCreate(1, 1, 64)
			a := e.run(jobSpec{ring: "r0"}, w(1, 0, 64))
			var dep []FenceKey
			if tc.ab {
				dep = []FenceKey{fenceOf(a)}
			}
			b := e.run(jobSpec{ring: "r1", deps: dep})
			dep = nil
			if tc.bc {
				dep = []FenceKey{fenceOf(b)}
			}
			e.run(jobSpec{ring: "r2", deps: dep}, r(1, 0, 64))
			if !tc.wantReport {
				e.expect()
				return
			}
			e.expect(brief{KindRace, RAW, Range{0, 64}, 1})
		})
	}
}

// TestPartialOverlap: only overlapping bytes race; adjacent ranges don't.
func TestPartialOverlap(t *testing.T) {
	e := newEnv(t)
	e.c.AllocCreate(1, 1, 4096)
	e.run(jobSpec{ring: "gfx"}, w(1, 0, 100), r(1, 200, 100))
	// [50,150) overlaps the write on [50,100); [100,200) and [300,310)
	// are adjacent to gfx's accesses; [290,295) is inside its read.
	e.run(jobSpec{ring: "sdma"}, w(1, 50, 100), w(1, 100, 100), w(1, 300, 10), w(1, 290, 5))
	e.expect(
		brief{KindRace, WAW, Range{50, 50}, 1},
		brief{KindRace, WAR, Range{290, 5}, 1},
	)
}

// TestLargeRange: a 256 MiB write is one interval; page-sized accesses
// split it locally and merge back.
func TestLargeRange(t *testing.T) {
	const size = 256 << 20
	e := newEnv(t)
	e.c.AllocCreate(1, 1, size)
	e.run(jobSpec{ring: "gfx"}, w(1, 0, size))
	if s := e.c.Stats(); s.Segments != 1 {
		t.Fatalf("segments = %d, want 1", s.Segments)
	}
	// A racing page in the middle, then a full ordered rewrite.
	e.run(jobSpec{ring: "sdma"}, r(1, 100<<20, 4096))
	if s := e.c.Stats(); s.Segments != 3 {
		t.Fatalf("segments = %d, want 3", s.Segments)
	}
	e.expect(brief{KindRace, RAW, Range{100 << 20, 4096}, 1})
	j := e.run(jobSpec{ring: "sdma"}, w(1, 0, size))
	_ = j
	if s := e.c.Stats(); s.Segments != 1 {
		t.Fatalf("segments = %d, want 1", s.Segments)
	}
	checkShadows(t, e.c)
}

func checkShadows(t *testing.T, c *Checker) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, sh := range c.allocs {
		if err := sh.check(); err != nil {
			t.Fatalf("alloc %d: %v", id, err)
		}
	}
}

// TestUseAfterFree: an access with a released generation is a kernel-model
// bug; the new generation at the same id is fine.
func TestUseAfterFree(t *testing.T) {
	e := newEnv(t)
	e.c.AllocCreate(3, 1, 4096)
	e.run(jobSpec{ring: "gfx"}, w(3, 0, 64))
	free := Origin{File: 1, IoctlSeq: 20, Ioctl: "GEM_CLOSE"}
	e.c.AllocRelease(3, 1, free)
	e.c.AllocCreate(3, 2, 4096)
	// Correct reuse: generation 2, no race with generation 1's write.
	e.run(jobSpec{ring: "sdma"}, Access{Alloc: 3, Gen: 2, Off: 0, Len: 64, Write: true})
	e.expect()
	// A stale TLB entry still points at generation 1.
	e.run(jobSpec{ring: "gfx"}, Access{Alloc: 3, Gen: 1, Off: 0, Len: 64, TLB: true, VA: 0x1000})
	rs := e.c.Reports()
	if len(rs) != 1 {
		t.Fatalf("got %d reports, want 1", len(rs))
	}
	got := rs[0]
	if got.Kind != KindUseAfterFree || !got.ModelBug || got.Cause == nil || *got.Cause != free || !got.Access.TLB {
		t.Errorf("report: %+v", got)
	}
	if !strings.Contains(got.Text(), "vmemu kernel-model bug") {
		t.Errorf("text lacks the model-bug marker:\n%s", got.Text())
	}
	// Unknown allocation and out-of-bounds accesses are model bugs too.
	e.run(jobSpec{ring: "gfx"}, Access{Alloc: 77, Gen: 1, Len: 1}, Access{Alloc: 3, Gen: 2, Off: 4090, Len: 8})
	if n := len(e.c.Reports()); n != 3 {
		t.Errorf("got %d reports, want 3", n)
	}
}

// TestCPUUnsync: CPU access to memory with GPU work it has not waited for,
// versus after CPUWait (GEM_WAIT_IDLE); and a CPU write after the CS ioctl
// of a job that reads the memory, versus before it.
func TestCPUUnsync(t *testing.T) {
	t.Run("read-in-flight", func(t *testing.T) {
		e := newEnv(t)
		e.c.AllocCreate(1, 1, 4096)
		cpu := e.c.CPU("file1")
		j := e.start(jobSpec{ring: "gfx", thread: cpu})
		e.access(j, w(1, 0, 16))
		e.access(cpu, r(1, 0, 16))
		e.end(j)
		e.expect(brief{KindCPUUnsync, RAW, Range{0, 16}, 1})
		if !e.c.Reports()[0].InFlight {
			t.Error("InFlight not set")
		}
	})
	t.Run("read-after-wait-idle", func(t *testing.T) {
		e := newEnv(t)
		e.c.AllocCreate(1, 1, 4096)
		cpu := e.c.CPU("file1")
		j := e.run(jobSpec{ring: "gfx", thread: cpu}, w(1, 0, 16))
		e.c.CPUWait(cpu, fenceOf(j)) // GEM_WAIT_IDLE
		e.access(cpu, r(1, 0, 16))
		e.access(cpu, w(1, 0, 16))
		e.expect()
	})
	t.Run("write-after-submit", func(t *testing.T) {
		e := newEnv(t)
		e.c.AllocCreate(1, 1, 4096)
		cpu := e.c.CPU("file1")
		e.access(cpu, w(1, 0, 16)) // before the CS: fine
		j := e.start(jobSpec{ring: "gfx", thread: cpu})
		e.access(cpu, w(1, 8, 16)) // after the CS, before the job reads
		e.access(j, r(1, 0, 32))
		e.end(j)
		e.expect(brief{KindCPUUnsync, RAW, Range{8, 16}, 1})
		if e.c.Reports()[0].InFlight {
			t.Error("InFlight set for a GPU-side access")
		}
	})
}

// TestDedup: the same hazard seen again bumps the count.
func TestDedup(t *testing.T) {
	e := newEnv(t)
	e.c.AllocCreate(1, 1, 4096)
	a := e.run(jobSpec{ring: "gfx"}, w(1, 0, 64))
	_ = a
	b := e.start(jobSpec{ring: "sdma"})
	for range 3 {
		e.access(b, r(1, 0, 64))
	}
	e.access(b, r(1, 0, 32)) // a different range: a different key
	e.end(b)
	e.expect(brief{KindRace, RAW, Range{0, 64}, 3}, brief{KindRace, RAW, Range{0, 32}, 1})
	want := Summary{{Kind: KindRace, Unique: 2, Total: 4}}
	if diff := cmp.Diff(want, e.c.Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if got := e.c.Summary().String(); got != "2 race (4 total)" {
		t.Errorf("summary string %q", got)
	}
}

// TestMaxReports: past the bound, new keys are dropped and counted;
// duplicates of kept reports still count.
func TestMaxReports(t *testing.T) {
	c := New(Options{MaxReports: 1})
	c.AllocCreate(1, 1, 16)
	a, b := c.CPU("a"), c.CPU("b")
	c.Access(Access{Agent: a, Alloc: 1, Gen: 1, Len: 4, Write: true})
	c.Access(Access{Agent: b, Alloc: 1, Gen: 1, Len: 4, Write: true}) // kept
	c.Access(Access{Agent: a, Alloc: 1, Gen: 1, Len: 4, Write: true}) // new key: dropped
	c.Access(Access{Agent: b, Alloc: 1, Gen: 1, Len: 4, Write: true}) // duplicate
	if rs, s := c.Reports(), c.Stats(); len(rs) != 1 || rs[0].Count != 2 || s.Dropped != 1 {
		t.Errorf("reports %+v, stats %+v", rs, s)
	}
}

// TestFault: faults are reported as given, deduplicated; a translated
// access (the silent twin) reports nothing.
func TestFault(t *testing.T) {
	e := newEnv(t)
	e.c.AllocCreate(1, 1, 4096)
	m := &Origin{File: 1, IoctlSeq: 4, Ioctl: "GEM_VA"}
	j := e.start(jobSpec{ring: "gfx"})
	e.access(j, Access{Alloc: 1, Len: 64, VA: 0x10000, Mapping: m}) // mapped: silent
	e.expect()
	for range 2 {
		e.c.Fault(FaultEvent{Agent: j, VA: 0x20000, Len: 64, VMID: 3, Reason: FaultPTEPending, Mapping: m})
	}
	e.end(j)
	rs := e.c.Reports()
	if len(rs) != 1 || rs[0].Kind != KindFault || rs[0].Count != 2 || rs[0].Cause == nil || *rs[0].Cause != *m {
		t.Fatalf("reports: %+v", rs)
	}
}

// TestWaits: forced waits and implicit stalls are reported only when the
// job had not asked for the fence and waited for some time.
func TestWaits(t *testing.T) {
	for _, kind := range []Kind{KindForcedWait, KindImplicitStall} {
		for _, tc := range []struct {
			name     string
			declared bool
			ns       int64
			want     bool
		}{
			{"kernel-dep", false, 500, true},
			{"declared", true, 500, false},
			{"no-time", false, 0, false},
		} {
			t.Run(kind.String()+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t)
				unmap := e.run(jobSpec{ring: "sdma", file: 1, label: "unmap"})
				free := &Origin{File: 1, IoctlSeq: 9, Ioctl: "GEM_CLOSE"}
				s := jobSpec{ring: "gfx", file: 1}
				if tc.declared {
					s.deps = []FenceKey{fenceOf(unmap)}
				} else {
					s.kdeps = []FenceKey{fenceOf(unmap)}
				}
				j := e.start(s)
				ev := WaitEvent{Job: j, Fence: fenceOf(unmap), Cause: free, NS: tc.ns}
				if kind == KindForcedWait {
					e.c.ForcedWait(ev)
				} else {
					e.c.ImplicitStall(ev)
				}
				e.end(j)
				rs := e.c.Reports()
				if !tc.want {
					if len(rs) != 0 {
						t.Fatalf("reports: %+v", rs)
					}
					return
				}
				if len(rs) != 1 || rs[0].Kind != kind || rs[0].CostNS != tc.ns ||
					rs[0].FenceOrigin == nil || rs[0].FenceOrigin.Label != "unmap" {
					t.Fatalf("reports: %+v", rs)
				}
			})
		}
	}
}

// TestKernelDepsNotAsked: a kernel dependency of the previous job on the
// ring does not count as asked for by the next one.
func TestKernelDepsNotAsked(t *testing.T) {
	e := newEnv(t)
	u := e.run(jobSpec{ring: "sdma"})
	e.run(jobSpec{ring: "gfx", kdeps: []FenceKey{fenceOf(u)}})
	j := e.start(jobSpec{ring: "gfx", kdeps: []FenceKey{fenceOf(u)}})
	e.c.ImplicitStall(WaitEvent{Job: j, Fence: fenceOf(u), NS: 1})
	e.end(j)
	if n := len(e.c.Reports()); n != 1 {
		t.Fatalf("got %d reports, want 1", n)
	}
}

// allKinds produces one report of every kind.
func allKinds(t *testing.T) *env {
	e := newEnv(t)
	e.c.AllocCreate(1, 1, 4096)
	cpu := e.c.CPU("file1")
	m := &Origin{File: 1, IoctlSeq: 2, Ioctl: "GEM_VA"}
	a := e.run(jobSpec{ring: "gfx", file: 1, ctx: 1, thread: cpu, label: "draw"},
		Access{Alloc: 1, Off: 0, Len: 256, Write: true, VA: 0x100000, Mapping: m, Label: "color write"})
	e.run(jobSpec{ring: "sdma0", file: 1, ctx: 1, thread: cpu},
		Access{Alloc: 1, Off: 128, Len: 256, VA: 0x100080, Mapping: m, Label: "copy src"})
	e.access(cpu, Access{Alloc: 1, Off: 0, Len: 4, Write: true, VA: 0x7f0000, Label: "memcpy"})
	e.c.AllocRelease(1, 1, Origin{File: 1, IoctlSeq: 7, Ioctl: "GEM_CLOSE"})
	j := e.start(jobSpec{ring: "comp", file: 1, ctx: 1, kdeps: []FenceKey{fenceOf(a)}})
	e.access(j, Access{Alloc: 1, Gen: 1, Off: 0, Len: 8, VA: 0x100000, TLB: true, Label: "stale"})
	e.c.Fault(FaultEvent{Agent: j, VA: 0x200000, Len: 4096, VMID: 2, Reason: FaultUnmapped,
		Mapping: &Origin{File: 1, IoctlSeq: 6, Ioctl: "GEM_VA", Label: "UNMAP"}})
	e.c.ForcedWait(WaitEvent{Job: j, Fence: fenceOf(a), Cause: &Origin{File: 1, IoctlSeq: 7, Ioctl: "GEM_CLOSE"}, NS: 1200})
	e.c.ImplicitStall(WaitEvent{Job: j, Fence: fenceOf(a), NS: 300})
	e.end(j)
	return e
}

// TestJSONRoundTrip: JSON lines parse back with encoding/json into equal
// reports, one object per line.
func TestJSONRoundTrip(t *testing.T) {
	e := allKinds(t)
	rs := e.c.Reports()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(rs) {
		t.Fatalf("%d lines for %d reports", len(lines), len(rs))
	}
	var got []Report
	for _, l := range lines {
		var r Report
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		got = append(got, r)
	}
	if diff := cmp.Diff(rs, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	kinds := map[Kind]bool{}
	for _, r := range rs {
		kinds[r.Kind] = true
	}
	if len(kinds) != int(numKinds)-1 {
		t.Errorf("kinds covered: %v", kinds)
	}
}

// TestReporters: the streaming reporters see each unique report once.
func TestReporters(t *testing.T) {
	var text, js bytes.Buffer
	var col Collector
	tr, jr := &TextReporter{W: &text}, &JSONReporter{W: &js}
	c := New(Options{Reporter: multi{tr, jr, &col}})
	c.AllocCreate(1, 1, 16)
	a, b := c.CPU("a"), c.CPU("b")
	for range 2 {
		c.Access(Access{Agent: a, Alloc: 1, Gen: 1, Len: 4, Write: true})
		c.Access(Access{Agent: b, Alloc: 1, Gen: 1, Len: 4, Write: true})
	}
	if len(col.Reports) != 2 || strings.Count(js.String(), "\n") != 2 ||
		strings.Count(text.String(), Prefix) != 2 || tr.Err != nil || jr.Err != nil {
		t.Errorf("collector %d, json:\n%s\ntext:\n%s", len(col.Reports), js.String(), text.String())
	}
	if s := c.Summary(); s.Total() != 2 || s[0].Total != 3 {
		t.Errorf("summary %v", s)
	}
}

type multi []Reporter

func (m multi) Report(r Report) {
	for _, x := range m {
		x.Report(r)
	}
}

// TestNil: a nil (switched-off) Checker accepts every call and allocates
// nothing.
func TestNil(t *testing.T) {
	c := New(Options{Off: true})
	if c != nil || c.Enabled() {
		t.Fatal("Off did not give a nil checker")
	}
	allocs := testing.AllocsPerRun(100, func() {
		cpu := c.CPU("x")
		j := c.JobStart(JobInfo{Ring: c.Ring("gfx"), Submit: c.Submit(cpu)})
		c.AllocCreate(1, 1, 10)
		c.Access(Access{Agent: j, Alloc: 1, Len: 1, Label: "x"})
		c.CPUWait(cpu, FenceKey{1, 1})
		c.FenceSignal(FenceKey{1, 1}, j, Origin{})
		c.Fault(FaultEvent{Agent: j})
		c.ForcedWait(WaitEvent{Job: j})
		c.ImplicitStall(WaitEvent{Job: j})
		c.JobEnd(j)
		c.AllocRelease(1, 1, Origin{})
		c.ForgetFence(FenceKey{})
		_ = c.Ordered(cpu, j)
		_, _, _ = c.Reports(), c.Summary(), c.Stats()
	})
	if allocs != 0 {
		t.Errorf("nil checker allocates %v per run", allocs)
	}
}

// TestConcurrent: threads of several files access disjoint and shared
// memory concurrently; -race checks the locking.
func TestConcurrent(t *testing.T) {
	c := New(Options{})
	gfx := c.Ring("gfx")
	c.AllocCreate(1, 1, 1<<20)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			cpu := c.CPU(fmt.Sprint("t", i))
			for k := range 100 {
				off := uint64(i*4096 + k%64)
				c.Access(Access{Agent: cpu, Alloc: 1, Gen: 1, Off: off, Len: 8, Write: k%2 == 0})
				j := c.JobStart(JobInfo{Ring: gfx, Submit: c.Submit(cpu), Fence: FenceKey{uint64(1 + i), uint64(k + 1)}})
				c.Access(Access{Agent: j, Alloc: 1, Gen: 1, Off: off, Len: 8})
				c.JobEnd(j)
				c.CPUWait(cpu, FenceKey{uint64(1 + i), uint64(k + 1)})
			}
		})
	}
	wg.Wait()
	if s := c.Stats(); s.Accesses != 1600 || s.UnknownFences != 0 {
		t.Errorf("stats %+v", s)
	}
}
