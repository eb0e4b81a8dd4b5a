package gpu

import (
	"errors"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
)

func key(f *fence.Fence) FenceKey { return FenceKey{f.Context(), f.Seqno()} }

func TestNewEngine(t *testing.T) {
	clock := sim.NewVirtual(0)
	d := fence.NewDomain(clock)
	e, err := NewEngine(clock, d, Config{Rings: map[IP]int{SDMA: 2, GFX: 1, COMPUTE: 5}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range e.Rings() {
		got = append(got, r.Name())
	}
	want := []string{"gfx_0.0.0", "comp_1.0.0", "comp_1.1.0", "comp_1.2.0",
		"comp_1.3.0", "comp_1.0.1", "sdma0", "sdma1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ring names (-want +got):\n%s", diff)
	}
	if got, want := e.Ring(COMPUTE, 0).Timeout(), DefaultComputeTimeout; got != want {
		t.Errorf("compute timeout = %d, want %d", got, want)
	}
	if got, want := e.Ring(GFX, 0).Timeout(), DefaultTimeout; got != want {
		t.Errorf("gfx timeout = %d, want %d", got, want)
	}
	// Each ring has its own fence context.
	seen := map[uint64]bool{}
	for _, r := range e.Rings() {
		if seen[r.FenceContext()] {
			t.Errorf("ring %s reuses context %d", r, r.FenceContext())
		}
		seen[r.FenceContext()] = true
	}

	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"no rings", Config{}, ErrNoRings},
		{"zero rings", Config{Rings: map[IP]int{GFX: 0}}, ErrNoRings},
		{"negative", Config{Rings: map[IP]int{GFX: -1}}, ErrBadConfig},
		{"bad ip", Config{Rings: map[IP]int{IP(NumIP): 1}}, ErrBadConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewEngine(clock, d, tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("NewEngine = %v, want %v", err, tc.want)
			}
		})
	}
}

// Reference: amdgpu_fence_emit() / amdgpu_fence_process(): a ring's fences
// signal in seqno order; drm_sched_job_arm(): entity seqnos in push order.
func TestRingFIFOAndFenceOrder(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	r := env.e.Ring(GFX, 0)
	a := env.entity(r, "a", PriorityNormal)
	var jobs []*Job
	for i := 0; i < 4; i++ {
		jobs = append(jobs, a.Push(Busy(100)))
	}
	env.clock.RunAll()
	for i, j := range jobs {
		hw := j.HWFence()
		if hw == nil || !hw.IsSignaled() || !j.Finished().IsSignaled() {
			t.Fatalf("job %d not complete", i)
		}
		if got, want := hw.Seqno(), uint64(i+1); got != want {
			t.Errorf("job %d hw seqno = %d, want %d", i, got, want)
		}
		if got, want := j.Finished().Seqno(), uint64(i+1); got != want {
			t.Errorf("job %d finished seqno = %d, want %d", i, got, want)
		}
		if got, want := j.Finished().Timestamp(), int64(100*(i+1)); got != want {
			t.Errorf("job %d finished at %d, want %d", i, got, want)
		}
		if got, want := j.Scheduled().Timestamp(), int64(100*i); got != want {
			t.Errorf("job %d scheduled at %d, want %d", i, got, want)
		}
		if j.State() != JobDone {
			t.Errorf("job %d state %v", i, j.State())
		}
	}
	sc, fc := a.FenceContexts()
	if fc != sc+1 || jobs[0].Scheduled().Context() != sc || jobs[0].Finished().Context() != fc {
		t.Errorf("entity contexts %d/%d, fences %d/%d", sc, fc,
			jobs[0].Scheduled().Context(), jobs[0].Finished().Context())
	}
	if env.e.Inflight() != 0 {
		t.Errorf("inflight = %d", env.e.Inflight())
	}
}

func TestDurationAdvancesClock(t *testing.T) {
	cost := Cost{Launch: 10, PerPacket: 5, PicosPerByte: 100}
	env := newTestEnv(t, map[IP]int{SDMA: 1}, func(c *Config) {
		c.Cost[SDMA] = cost
	})
	u := Usage{Bytes: 1000, Packets: 2, Busy: 50}
	var ranAt int64 = -1
	j := env.entity(env.e.Ring(SDMA, 0), "k", PriorityKernel).Push(
		WorkFunc(func(rc RunContext) Usage {
			ranAt = rc.Now
			if rc.Job == nil || rc.Ring.Name() != "sdma0" {
				t.Errorf("bad RunContext %+v", rc)
			}
			return u
		}))
	env.clock.RunAll()
	const want = 10 + 2*5 + 100 + 50
	if got := cost.Duration(u); got != want {
		t.Fatalf("Duration = %d, want %d", got, want)
	}
	if got := env.clock.Now(); got != want {
		t.Errorf("clock at %d, want %d", got, want)
	}
	if ranAt != 0 {
		t.Errorf("work ran at %d, want 0", ranAt)
	}
	q, s, e := j.Times()
	if diff := cmp.Diff([3]int64{0, 0, want}, [3]int64{q, s, e}); diff != "" {
		t.Errorf("times (-want +got):\n%s", diff)
	}
	if got := j.Usage(); got != u {
		t.Errorf("usage = %+v", got)
	}
}

// Reference: drm_sched_entity_pop_job(): a job runs only once its
// dependencies signaled, whatever ring they are on.
func TestDependencyAcrossRings(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1, SDMA: 1}, nil)
	copyJob := env.entity(env.e.Ring(SDMA, 0), "move", PriorityKernel).Push(Busy(1000))
	draw := env.entity(env.e.Ring(GFX, 0), "ctx", PriorityNormal).Push(Busy(10), copyJob.Finished())
	env.clock.RunAll()
	if got := draw.Scheduled().Timestamp(); got != 1000 {
		t.Errorf("draw started at %d, want 1000", got)
	}
	if got := draw.Finished().Timestamp(); got != 1010 {
		t.Errorf("draw finished at %d, want 1010", got)
	}
	var waits []FenceKey
	for _, ev := range env.rec.take() {
		if ev.Kind == EventWaitDep {
			waits = append(waits, ev.Dep)
		}
	}
	if diff := cmp.Diff([]FenceKey{key(copyJob.Finished())}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestUserFenceDependency(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	user := env.domain.New(env.domain.ContextAlloc(1), 1)
	j := env.entity(env.e.Ring(GFX, 0), "c", PriorityNormal).Push(Busy(5), user)
	env.clock.Schedule(500, func() { user.Signal() })
	env.clock.RunAll()
	if got := j.Scheduled().Timestamp(); got != 500 {
		t.Errorf("started at %d, want 500", got)
	}
	if got := j.Finished().Timestamp(); got != 505 {
		t.Errorf("finished at %d, want 505", got)
	}
}

// A dependency signaled from another goroutine while a waiter drives the
// clock: the engine reacts through a clock event, never on the signaller.
func TestDependencySignaledConcurrently(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	user := env.domain.New(env.domain.ContextAlloc(1), 1)
	j := env.entity(env.e.Ring(GFX, 0), "c", PriorityNormal).Push(Busy(5), user)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		user.Signal()
	}()
	if !fence.Wait(j.Finished(), sim.Forever) {
		t.Fatal("wait failed")
	}
	wg.Wait()
	if j.State() != JobDone {
		t.Errorf("state %v", j.State())
	}
}

// Reference: drm_sched_rq_select_entity_fifo() and the priority run queues
// of drm_sched_select_entity().
func TestPriority(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	r := env.e.Ring(GFX, 0)
	blocker := env.entity(r, "blocker", PriorityNormal)
	blocker.Push(Busy(100)) // occupies the ring while the others queue
	env.clock.Step()        // run the wake: blocker starts
	var order []string
	mk := func(name string, p Priority) *Entity {
		return env.entity(r, name, p)
	}
	low, n1, n2 := mk("low", PriorityLow), mk("n1", PriorityNormal), mk("n2", PriorityNormal)
	high, kern := mk("high", PriorityHigh), mk("kernel", PriorityKernel)
	push := func(en *Entity) {
		name := en.Name()
		en.Push(WorkFunc(func(RunContext) Usage {
			order = append(order, name)
			return Usage{Busy: 10}
		}))
	}
	// Push order: low, n2, n1, high, kernel, n2, n1.
	for _, en := range []*Entity{low, n2, n1, high, kern, n2, n1} {
		push(en)
	}
	env.clock.RunAll()
	want := []string{"kernel", "high", "n2", "n1", "n2", "n1", "low"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("run order (-want +got):\n%s", diff)
	}
}

func TestSetPriority(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	r := env.e.Ring(GFX, 0)
	env.entity(r, "blocker", PriorityNormal).Push(Busy(100))
	env.clock.Step()
	a, b := env.entity(r, "a", PriorityNormal), env.entity(r, "b", PriorityNormal)
	ja, jb := a.Push(Busy(10)), b.Push(Busy(10))
	b.SetPriority(PriorityHigh)
	env.clock.RunAll()
	if jb.Scheduled().Timestamp() != 100 || ja.Scheduled().Timestamp() != 110 {
		t.Errorf("a at %d, b at %d; want b first", ja.Scheduled().Timestamp(),
			jb.Scheduled().Timestamp())
	}
	if b.Priority() != PriorityHigh {
		t.Errorf("priority %v", b.Priority())
	}
}

// Reference: drm_sched_entity_add_dependency_cb(): a finished fence of a job
// on the same scheduler only needs its scheduled fence, unless
// DRM_SCHED_FENCE_DONT_PIPELINE.
func TestScheduledVsFinishedDependency(t *testing.T) {
	for _, tc := range []struct {
		name         string
		dontPipeline bool
	}{{"pipelined", false}, {"dont-pipeline", true}} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
			r := env.e.Ring(GFX, 0)
			a := env.entity(r, "a", PriorityNormal).Push(Busy(100))
			if tc.dontPipeline {
				a.SetDontPipeline()
			}
			b := env.entity(r, "b", PriorityNormal).Push(Busy(10), a.Finished())
			env.clock.RunAll()
			var dep FenceKey
			for _, ev := range env.rec.take() {
				if ev.Kind == EventWaitDep && ev.Job == b {
					dep = ev.Dep
				}
			}
			want := key(a.Scheduled())
			if tc.dontPipeline {
				want = key(a.Finished())
			}
			if dep != want {
				t.Errorf("waited for %v, want %v", dep, want)
			}
			// Either way the ring runs b after a.
			if got := b.Scheduled().Timestamp(); got != 100 {
				t.Errorf("b started at %d, want 100", got)
			}
		})
	}
}

// An explicit scheduled-fence dependency on another ring is satisfied when
// the job starts (gang submit waits on the leader's scheduled fence).
func TestScheduledFenceDependencyAcrossRings(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1, COMPUTE: 1}, nil)
	gfxE := env.entity(env.e.Ring(GFX, 0), "g", PriorityNormal)
	gfxE.Push(Busy(50))
	leader := gfxE.Push(Busy(1000))
	member := env.entity(env.e.Ring(COMPUTE, 0), "c", PriorityNormal).Push(Busy(10), leader.Scheduled())
	env.clock.RunAll()
	if got := member.Scheduled().Timestamp(); got != 50 {
		t.Errorf("member started at %d, want 50 (leader's start)", got)
	}
}

// Reference: drm_sched_entity_add_dependency_cb() ignores fences of the
// entity itself.
func TestSameEntityDependencyIgnored(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	en := env.entity(env.e.Ring(GFX, 0), "a", PriorityNormal)
	j1 := en.Push(Busy(10))
	j2 := en.Push(Busy(10), j1.Finished(), j1.Scheduled())
	env.clock.RunAll()
	for _, ev := range env.rec.take() {
		if ev.Kind == EventWaitDep {
			t.Errorf("unexpected wait %v", &ev)
		}
	}
	if got := j2.Finished().Timestamp(); got != 20 {
		t.Errorf("j2 finished at %d", got)
	}
}

func TestDedupDeps(t *testing.T) {
	clock := sim.NewVirtual(0)
	d := fence.NewDomain(clock)
	c1, c2 := d.ContextAlloc(1), d.ContextAlloc(1)
	a1, a3, a2 := d.New(c1, 1), d.New(c1, 3), d.New(c1, 2)
	b := d.New(c2, 7)
	got := dedupDeps(nil, []*fence.Fence{a1, nil, a3, d.Stub(), b, a2})
	want := []*fence.Fence{a3, b}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("dedupDeps = %v, want %v", got, want)
	}
}

// Reference: amdgpu_job_timedout(): dma_fence_set_error(finished, -ETIME),
// per-ring reset, scheduler restarted.
func TestTimeout(t *testing.T) {
	for _, keep := range []bool{false, true} {
		name := "cancel-entity"
		if keep {
			name = "keep-entity"
		}
		t.Run(name, func(t *testing.T) {
			var reports []TimeoutReport
			env := newTestEnv(t, map[IP]int{GFX: 1}, func(c *Config) {
				c.Timeout = map[IP]int64{GFX: 1000}
				c.ResetTime = 50
				c.KeepEntityAfterError = keep
				c.OnTimeout = func(r TimeoutReport) { reports = append(reports, r) }
			})
			r := env.e.Ring(GFX, 0)
			bad, good := env.entity(r, "bad", PriorityNormal), env.entity(r, "good", PriorityNormal)
			hung := bad.Push(Busy(5000))
			other := good.Push(Busy(10))
			ran := false
			next := bad.Push(WorkFunc(func(RunContext) Usage { ran = true; return Usage{Busy: 10} }))
			env.clock.RunAll()

			etime := -int32(syscall.ETIME)
			if got := hung.Finished().Error(); got != etime {
				t.Errorf("hung finished error %d, want %d", got, etime)
			}
			if got := hung.HWFence().Error(); got != etime {
				t.Errorf("hung hw error %d, want %d", got, etime)
			}
			if got := hung.Finished().Timestamp(); got != 1000 {
				t.Errorf("hang detected at %d, want 1000", got)
			}
			if hung.State() != JobTimedOut {
				t.Errorf("state %v", hung.State())
			}
			if len(reports) != 1 || reports[0].Entity != bad || reports[0].Job != hung ||
				reports[0].Time != 1000 || reports[0].Ring != r {
				t.Errorf("reports %+v", reports)
			}
			if r.Resets() != 1 {
				t.Errorf("resets %d", r.Resets())
			}
			// The innocent job runs after the reset.
			if got := other.Scheduled().Timestamp(); got != 1050 {
				t.Errorf("other started at %d, want 1050", got)
			}
			if other.Finished().Error() != 0 || other.State() != JobDone {
				t.Errorf("other: %v %v", other.Finished(), other.State())
			}
			if keep {
				if !ran || next.Finished().Error() != 0 {
					t.Errorf("next: ran=%v %v", ran, next.Finished())
				}
			} else {
				if ran || next.Finished().Error() != etime || next.State() != JobSkipped ||
					next.HWFence() != nil {
					t.Errorf("next: ran=%v %v %v", ran, next.Finished(), next.State())
				}
			}
			var kinds []EventKind
			for _, ev := range env.rec.take() {
				if ev.Job == hung {
					kinds = append(kinds, ev.Kind)
				}
			}
			want := []EventKind{EventQueued, EventRun, EventTimeout, EventDone}
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("hung events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHangFlagAndNoTimeout(t *testing.T) {
	env := newTestEnv(t, map[IP]int{SDMA: 1}, func(c *Config) {
		c.Timeout = map[IP]int64{SDMA: 300}
	})
	j := env.entity(env.e.Ring(SDMA, 0), "a", PriorityNormal).Push(
		WorkFunc(func(RunContext) Usage { return Usage{Hang: true} }))
	env.clock.RunAll()
	if j.Finished().Timestamp() != 300 || j.Finished().Error() != -int32(syscall.ETIME) {
		t.Errorf("finished %v at %d", j.Finished(), j.Finished().Timestamp())
	}

	// Exactly the timeout is not a hang.
	env = newTestEnv(t, map[IP]int{SDMA: 1}, func(c *Config) {
		c.Timeout = map[IP]int64{SDMA: 300}
	})
	j = env.entity(env.e.Ring(SDMA, 0), "a", PriorityNormal).Push(Busy(300))
	env.clock.RunAll()
	if j.Finished().Error() != 0 || j.Finished().Timestamp() != 300 {
		t.Errorf("finished %v at %d", j.Finished(), j.Finished().Timestamp())
	}

	// NoTimeout: long jobs complete.
	env = newTestEnv(t, map[IP]int{SDMA: 1}, func(c *Config) {
		c.Timeout = map[IP]int64{SDMA: NoTimeout}
	})
	j = env.entity(env.e.Ring(SDMA, 0), "a", PriorityNormal).Push(Busy(DefaultComputeTimeout * 2))
	env.clock.RunAll()
	if j.Finished().Error() != 0 {
		t.Errorf("finished %v", j.Finished())
	}
}

// Reference: drm_sched_entity_pop_job() sets -ECANCELED on jobs of a guilty
// entity; amdgpu_job_run() skips their IBs.
func TestGuiltyEntity(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	en := env.entity(env.e.Ring(GFX, 0), "a", PriorityNormal)
	en.SetGuilty()
	ran := false
	j := en.Push(WorkFunc(func(RunContext) Usage { ran = true; return Usage{} }))
	env.clock.RunAll()
	if ran || j.State() != JobSkipped || j.HWFence() != nil {
		t.Errorf("ran=%v state=%v hw=%v", ran, j.State(), j.HWFence())
	}
	if got, want := j.Finished().Error(), -int32(syscall.ECANCELED); got != want {
		t.Errorf("error %d, want %d", got, want)
	}
	if !j.Scheduled().IsSignaled() || !en.Guilty() || en.Error() != -int32(syscall.ECANCELED) {
		t.Errorf("scheduled %v guilty %v err %d", j.Scheduled(), en.Guilty(), en.Error())
	}
}

func TestEvents(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1, SDMA: 1}, nil)
	mv := env.entity(env.e.Ring(SDMA, 0), "mv", PriorityKernel)
	cx := env.entity(env.e.Ring(GFX, 0), "cx", PriorityNormal)
	a := mv.Push(Busy(100))
	b := cx.Push(Busy(20), a.Finished())
	env.clock.RunAll()
	type row struct {
		Kind       EventKind
		Time       int64
		Ring       string
		Fence, Dep FenceKey
		HW         FenceKey
		JobCount   int
		HWJobCount int
	}
	var got []row
	for _, ev := range env.rec.take() {
		got = append(got, row{ev.Kind, ev.Time, ev.RingName, ev.Fence, ev.Dep, ev.HW,
			ev.JobCount, ev.HWJobCount})
	}
	sdma, gfx := env.e.Ring(SDMA, 0).FenceContext(), env.e.Ring(GFX, 0).FenceContext()
	want := []row{
		{EventQueued, 0, "sdma0", key(a.Finished()), FenceKey{}, FenceKey{}, 1, 0},
		{EventQueued, 0, "gfx_0.0.0", key(b.Finished()), FenceKey{}, FenceKey{}, 1, 0},
		{EventWaitDep, 0, "gfx_0.0.0", key(b.Finished()), key(a.Finished()), FenceKey{}, 1, 0},
		{EventRun, 0, "sdma0", key(a.Finished()), FenceKey{}, FenceKey{sdma, 1}, 0, 1},
		{EventDone, 100, "sdma0", key(a.Finished()), FenceKey{}, FenceKey{sdma, 1}, 0, 1},
		{EventRun, 100, "gfx_0.0.0", key(b.Finished()), FenceKey{}, FenceKey{gfx, 1}, 0, 1},
		{EventDone, 120, "gfx_0.0.0", key(b.Finished()), FenceKey{}, FenceKey{gfx, 1}, 0, 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if EventRun.String() != "drm_run_job" || EventRun.Tracepoint617() != "drm_sched_job_run" {
		t.Errorf("names %s %s", EventRun, EventRun.Tracepoint617())
	}
}

// With no sink the engine still runs (and the nil check is the only cost).
func TestNilSink(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, func(c *Config) { c.Sink = nil })
	en := env.entity(env.e.Ring(GFX, 0), "a", PriorityNormal)
	var last *Job
	for i := 0; i < 10; i++ {
		last = en.Push(nil)
	}
	env.clock.RunAll()
	if last.State() != JobDone {
		t.Errorf("state %v", last.State())
	}
}

func TestJobOf(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1}, nil)
	j := env.entity(env.e.Ring(GFX, 0), "a", PriorityNormal).Push(nil)
	if JobOf(j.Finished()) != j || JobOf(j.Scheduled()) != j {
		t.Error("JobOf does not find the job")
	}
	if JobOf(env.domain.Stub()) != nil || JobOf(nil) != nil {
		t.Error("JobOf of a plain fence")
	}
	env.clock.RunAll()
	if JobOf(j.HWFence()) != nil {
		t.Error("JobOf of a hardware fence")
	}
}

// Two runs of the same scenario produce identical event logs.
func TestDeterministic(t *testing.T) {
	run := func() []string {
		env := newTestEnv(t, map[IP]int{GFX: 1, COMPUTE: 2, SDMA: 1}, nil)
		var ens []*Entity
		for _, r := range env.e.Rings() {
			ens = append(ens, env.entity(r, r.Name()+"/a", PriorityNormal),
				env.entity(r, r.Name()+"/b", PriorityHigh))
		}
		var prev *Job
		for i := 0; i < 40; i++ {
			en := ens[(i*7)%len(ens)]
			var deps []*fence.Fence
			if prev != nil && i%3 == 0 {
				deps = append(deps, prev.Finished())
			}
			prev = en.Push(Busy(int64(10+i%5)), deps...)
		}
		env.clock.RunAll()
		var out []string
		for _, ev := range env.rec.take() {
			out = append(out, ev.String())
		}
		return out
	}
	a, b := run(), run()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("runs differ (-first +second):\n%s", diff)
	}
}

// Pushers on several goroutines while another goroutine drives the clock:
// run under -race, it checks the locking; the per-entity order must hold.
func TestConcurrentPush(t *testing.T) {
	env := newTestEnv(t, map[IP]int{GFX: 1, SDMA: 2}, func(c *Config) { c.Sink = nil })
	const pushers, perPusher = 4, 100
	ens := make([]*Entity, pushers)
	for i := range ens {
		ens[i] = env.entity(env.e.Rings()[i%len(env.e.Rings())], "p", PriorityNormal)
	}
	shared := env.entity(env.e.Ring(SDMA, 1), "shared", PriorityHigh).Push(Busy(50))
	jobs := make([][]*Job, pushers)
	// A driver runs events while the pushers push.
	stop, driverDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(driverDone)
		for {
			select {
			case <-stop:
				return
			default:
				env.clock.Step()
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < pushers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < perPusher; k++ {
				jobs[i] = append(jobs[i], ens[i].Push(Busy(int64(k%7)), shared.Finished()))
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-driverDone
	var all []*fence.Fence
	for _, js := range jobs {
		for _, j := range js {
			all = append(all, j.Finished())
		}
	}
	if _, ok := fence.WaitMany(env.clock, all, true, sim.Forever); !ok {
		t.Fatal("WaitMany failed")
	}
	for i, js := range jobs {
		for k := 1; k < len(js); k++ {
			if js[k].Finished().Timestamp() < js[k-1].Finished().Timestamp() ||
				js[k].Finished().Seqno() != js[k-1].Finished().Seqno()+1 {
				t.Fatalf("pusher %d: job %d out of order", i, k)
			}
		}
	}
}
