package gpu

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/vmemu/vmemu/fence"
)

// TestScenarios runs the scheduling scripts in testdata. Regenerate the
// expected output with -rewrite and review the diff.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		s := &scenario{}
		datadriven.RunTest(t, path, s.handle)
	})
}

// scenario is the state of one script. Every command prints the engine
// events it caused, one per line, with jobs and fences by name.
type scenario struct {
	env      *testEnv
	entities map[string]*Entity
	jobs     map[string]*Job
	jobOrder []string
	fences   map[string]*fence.Fence
	names    map[FenceKey]string
}

func (s *scenario) handle(t *testing.T, d *datadriven.TestData) string {
	if d.Cmd != "engine" && s.env == nil {
		d.Fatalf(t, "no engine: start with \"engine\"")
	}
	var out strings.Builder
	var trailer func() // prints after the events
	switch d.Cmd {
	case "engine":
		// Example: engine rings=(gfx:1,sdma:2) [timeout=(gfx:1000)] [reset=50]
		//          [launch=5] [keep-after-error]
		s.cmdEngine(t, d)
	case "entity":
		// Example: entity name=A ring=gfx_0.0.0 [prio=high] [kernel]
		var name, ring string
		d.ScanArgs(t, "name", &name)
		d.ScanArgs(t, "ring", &ring)
		r := s.env.e.RingByName(ring)
		if r == nil {
			d.Fatalf(t, "no ring %q", ring)
		}
		prio := PriorityNormal
		if d.HasArg("prio") {
			var p string
			d.ScanArgs(t, "prio", &p)
			var err error
			if prio, err = ParsePriority(p); err != nil {
				d.Fatalf(t, "%v", err)
			}
		}
		en := s.env.e.NewEntity(r, EntityConfig{Name: name, Priority: prio,
			Kernel: d.HasArg("kernel")})
		s.entities[name] = en
		sc, fc := en.FenceContexts()
		s.names[FenceKey{sc, 0}] = name + ".sched"
		s.names[FenceKey{fc, 0}] = name
	case "fence":
		// Example: fence name=U
		var name string
		d.ScanArgs(t, "name", &name)
		f := s.env.domain.New(s.env.domain.ContextAlloc(1), 1)
		s.fences[name] = f
		s.names[key(f)] = name
	case "signal":
		// Example: signal name=U [at=500] [err=-5]
		var name string
		d.ScanArgs(t, "name", &name)
		f := s.fences[name]
		if f == nil {
			d.Fatalf(t, "no fence %q", name)
		}
		var errno int32
		d.MaybeScanArgs(t, "err", &errno)
		sig := func() {
			if errno != 0 {
				f.SetError(errno)
			}
			f.Signal()
		}
		if d.HasArg("at") {
			var at int64
			d.ScanArgs(t, "at", &at)
			s.env.clock.Schedule(at, sig)
		} else {
			sig()
		}
	case "push":
		// Example: push entity=A job=J1 [busy=100] [bytes=64] [hang]
		//          [deps=(J0,U,J2.scheduled)] [dont-pipeline]
		s.cmdPush(t, d)
	case "guilty":
		// Example: guilty entity=A
		var name string
		d.ScanArgs(t, "entity", &name)
		s.entity(t, d, name).SetGuilty()
	case "priority":
		// Example: priority entity=A prio=high
		var name, p string
		d.ScanArgs(t, "entity", &name)
		d.ScanArgs(t, "prio", &p)
		prio, err := ParsePriority(p)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		s.entity(t, d, name).SetPriority(prio)
	case "run":
		// Example: run [until=1000]
		if d.HasArg("until") {
			var until int64
			d.ScanArgs(t, "until", &until)
			s.env.clock.RunUntil(until)
		} else {
			s.env.clock.RunAll()
		}
		trailer = func() { fmt.Fprintf(&out, "now=%d\n", s.env.clock.Now()) }
	case "jobs":
		// Example: jobs
		trailer = func() { s.printJobs(&out) }
	case "_breakpoint":
		// Set a breakpoint here to stop at a script line.
	default:
		d.Fatalf(t, "unknown command %q", d.Cmd)
	}
	for _, ev := range s.env.rec.take() {
		out.WriteString(s.formatEvent(&ev))
		out.WriteByte('\n')
	}
	if trailer != nil {
		trailer()
	}
	if out.Len() == 0 {
		return "ok"
	}
	return out.String()
}

func (s *scenario) cmdEngine(t *testing.T, d *datadriven.TestData) {
	s.entities = map[string]*Entity{}
	s.jobs = map[string]*Job{}
	s.jobOrder = nil
	s.fences = map[string]*fence.Fence{}
	s.names = map[FenceKey]string{}
	parseIPMap := func(arg string) map[IP]int64 {
		m := map[IP]int64{}
		a, ok := d.Arg(arg)
		if !ok {
			return m
		}
		for _, v := range a.Vals {
			ipName, n, ok := strings.Cut(v, ":")
			if !ok {
				d.Fatalf(t, "%s: want ip:n, got %q", arg, v)
			}
			ip, err := ParseIP(ipName)
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			var x int64
			if _, err := fmt.Sscan(n, &x); err != nil {
				d.Fatalf(t, "%s: %v", arg, err)
			}
			m[ip] = x
		}
		return m
	}
	rings := map[IP]int{}
	for ip, n := range parseIPMap("rings") {
		rings[ip] = int(n)
	}
	var launch int64
	d.MaybeScanArgs(t, "launch", &launch)
	s.env = newTestEnv(t, rings, func(c *Config) {
		for ip := range c.Cost {
			c.Cost[ip] = Cost{Launch: launch, PicosPerByte: 1000}
		}
		c.Timeout = parseIPMap("timeout")
		d.MaybeScanArgs(t, "reset", &c.ResetTime)
		c.KeepEntityAfterError = d.HasArg("keep-after-error")
	})
	for _, r := range s.env.e.Rings() {
		s.names[FenceKey{r.FenceContext(), 0}] = r.Name()
	}
}

func (s *scenario) cmdPush(t *testing.T, d *datadriven.TestData) {
	var enName, name string
	d.ScanArgs(t, "entity", &enName)
	d.ScanArgs(t, "job", &name)
	en := s.entity(t, d, enName)
	var u Usage
	d.MaybeScanArgs(t, "busy", &u.Busy)
	d.MaybeScanArgs(t, "bytes", &u.Bytes)
	u.Hang = d.HasArg("hang")
	var deps []*fence.Fence
	if a, ok := d.Arg("deps"); ok {
		for _, v := range a.Vals {
			deps = append(deps, s.fenceByName(t, d, v))
		}
	}
	j := en.Push(WorkFunc(func(RunContext) Usage { return u }), deps...)
	if d.HasArg("dont-pipeline") {
		j.SetDontPipeline()
	}
	s.jobs[name] = j
	s.jobOrder = append(s.jobOrder, name)
	s.names[key(j.Finished())] = name
	s.names[key(j.Scheduled())] = name + ".scheduled"
}

func (s *scenario) entity(t *testing.T, d *datadriven.TestData, name string) *Entity {
	en := s.entities[name]
	if en == nil {
		d.Fatalf(t, "no entity %q", name)
	}
	return en
}

func (s *scenario) fenceByName(t *testing.T, d *datadriven.TestData, name string) *fence.Fence {
	if f := s.fences[name]; f != nil {
		return f
	}
	base, sched := strings.CutSuffix(name, ".scheduled")
	j := s.jobs[base]
	if j == nil {
		d.Fatalf(t, "no fence or job %q", name)
	}
	if sched {
		return j.Scheduled()
	}
	return j.Finished()
}

// fenceName names a fence key: a job, a job's scheduled fence, a user
// fence, or ring:seqno for hardware fences.
func (s *scenario) fenceName(k FenceKey) string {
	if n, ok := s.names[k]; ok {
		return n
	}
	if n, ok := s.names[FenceKey{k.Context, 0}]; ok {
		return fmt.Sprintf("%s#%d", n, k.Seqno)
	}
	return k.String()
}

func (s *scenario) formatEvent(ev *Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "t=%d %s %s %s", ev.Time, ev.Kind, ev.RingName, s.fenceName(ev.Fence))
	switch ev.Kind {
	case EventQueued:
		fmt.Fprintf(&b, " job_count=%d", ev.JobCount)
	case EventWaitDep:
		fmt.Fprintf(&b, " dep=%s", s.fenceName(ev.Dep))
	case EventRun, EventDone, EventTimeout:
		if ev.HW != (FenceKey{}) {
			fmt.Fprintf(&b, " hw=%s", s.fenceName(ev.HW))
		}
	}
	if ev.Error != 0 {
		fmt.Fprintf(&b, " err=%d", ev.Error)
	}
	return b.String()
}

func (s *scenario) printJobs(out *strings.Builder) {
	names := append([]string(nil), s.jobOrder...)
	sort.SliceStable(names, func(i, k int) bool {
		return s.jobs[names[i]].ID() < s.jobs[names[k]].ID()
	})
	for _, n := range names {
		j := s.jobs[n]
		q, st, end := j.Times()
		fmt.Fprintf(out, "%s: %s entity=%s queued=%d", n, j.State(), j.Entity().Name(), q)
		if j.State() >= JobRunning {
			fmt.Fprintf(out, " start=%d", st)
		}
		if j.State() > JobRunning {
			fmt.Fprintf(out, " end=%d", end)
		}
		if e := j.Finished().Error(); e != 0 {
			fmt.Fprintf(out, " err=%d", e)
		}
		out.WriteByte('\n')
	}
}
