package gpu

import (
	"fmt"
	"math/rand"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/fence"
)

// checker is a Sink that checks the engine's invariants after every event:
//
//   - a ring runs at most one job at a time;
//   - no job starts before all its dependencies signaled (pipelined ones
//     included: on one ring the earlier job has completed by then);
//   - the scheduler picks the best ready entity: none with a higher
//     priority, or an equal one and an earlier head job, was ready;
//   - hardware fences of a ring and finished fences of an entity complete
//     in seqno order, without gaps;
//   - a timed-out job ends exactly at start+timeout with -ETIME.
type checker struct {
	t        *testing.T
	running  map[*Ring]*Job
	hwDone   map[*Ring]uint64
	finDone  map[*Entity]uint64
	entities map[*Ring][]*Entity
	log      []string
	failed   bool
	counts   map[EventKind]int
}

func (c *checker) errorf(format string, args ...any) {
	c.t.Helper()
	if !c.failed {
		c.t.Errorf("after %d events:", len(c.log))
		for _, l := range c.log[max(0, len(c.log)-20):] {
			c.t.Log("  ", l)
		}
	}
	c.failed = true
	c.t.Errorf(format, args...)
}

func (c *checker) Event(ev *Event) {
	c.log = append(c.log, ev.String())
	c.counts[ev.Kind]++
	if ev.Kind == EventDone && ev.Error != 0 {
		c.counts[numEventKinds]++
	}
	j, r := ev.Job, ev.Ring
	switch ev.Kind {
	case EventRun:
		if cur := c.running[r]; cur != nil {
			c.errorf("%s: %v runs while %v does", r, j, cur)
		}
		c.running[r] = j
		for _, d := range j.Deps() {
			if !d.IsSignaled() {
				c.errorf("%v starts before its dependency %v", j, d)
			}
		}
		for _, en := range c.entities[r] {
			h := c.head(en)
			if h == nil || h == j || h.State() != JobReady {
				continue
			}
			if en.Priority() < j.entity.Priority() ||
				en.Priority() == j.entity.Priority() && h.ID() < j.ID() {
				c.errorf("%v picked while %v (%s) was ready", j, h, en.Priority())
			}
		}
	case EventTimeout:
		_, start, _ := j.Times()
		if ev.Time != start+r.Timeout() || ev.Error != -int32(syscall.ETIME) {
			c.errorf("%v timed out at %d err %d; started %d, timeout %d",
				j, ev.Time, ev.Error, start, r.Timeout())
		}
	case EventDone:
		if cur := c.running[r]; cur != j {
			c.errorf("%s: %v done while %v runs", r, j, cur)
		}
		c.running[r] = nil
		if !j.Scheduled().IsSignaled() {
			c.errorf("%v done before scheduled", j)
		}
		if hw := j.HWFence(); hw != nil {
			if !hw.IsSignaled() {
				c.errorf("%v done before its hw fence", j)
			}
			if want := c.hwDone[r] + 1; hw.Seqno() != want {
				c.errorf("%s: hw seqno %d completes, want %d", r, hw.Seqno(), want)
			}
			c.hwDone[r] = hw.Seqno()
		}
		en := j.entity
		if want := c.finDone[en] + 1; j.Finished().Seqno() != want {
			c.errorf("%v: finished seqno %d completes, want %d", en, j.Finished().Seqno(), want)
		}
		c.finDone[en] = j.Finished().Seqno()
	}
}

// head returns the first job of en that has not started, from the jobs
// the test pushed.
func (c *checker) head(en *Entity) *Job {
	en.e.mu.Lock()
	defer en.e.mu.Unlock()
	return en.head
}

// randomRun builds and runs one random scenario and returns its event log.
// numEventKinds counts, in checker.counts, Done events with an error.
const numEventKinds = EventTimeout + 1

func randomRun(t *testing.T, seed int64, counts map[EventKind]int) []string {
	rng := rand.New(rand.NewSource(seed))
	rings := map[IP]int{GFX: 1 + rng.Intn(2), COMPUTE: 1 + rng.Intn(3), SDMA: 1 + rng.Intn(2)}
	c := &checker{t: t, running: map[*Ring]*Job{}, hwDone: map[*Ring]uint64{},
		finDone: map[*Entity]uint64{}, entities: map[*Ring][]*Entity{},
		counts: counts}
	env := newTestEnv(t, rings, func(cfg *Config) {
		cfg.Sink = c
		cfg.Timeout = map[IP]int64{}
		for _, ip := range []IP{GFX, COMPUTE, SDMA} { // not map order
			cfg.Timeout[ip] = 500 + int64(rng.Intn(1000))
			cfg.Cost[ip] = Cost{Launch: int64(rng.Intn(3)), PicosPerByte: 1000}
		}
		cfg.ResetTime = int64(rng.Intn(3)) * 25
		cfg.KeepEntityAfterError = rng.Intn(2) == 0
	})
	var ents []*Entity
	for _, r := range env.e.Rings() {
		for k := 0; k < 1+rng.Intn(3); k++ {
			en := env.entity(r, fmt.Sprintf("%s/%d", r.Name(), k), Priority(rng.Intn(numPriorities)))
			ents = append(ents, en)
			c.entities[r] = append(c.entities[r], en)
		}
	}
	var users []*fence.Fence
	for k := 0; k < 4; k++ {
		f := env.domain.New(env.domain.ContextAlloc(1), 1)
		users = append(users, f)
		errno := int32(0)
		if rng.Intn(4) == 0 {
			errno = -5
		}
		env.clock.Schedule(int64(rng.Intn(3000)), func() {
			if errno != 0 {
				f.SetError(errno)
			}
			f.Signal()
		})
	}
	var jobs []*Job
	const n = 150
	for k := 0; k < n; k++ {
		at := int64(rng.Intn(4000))
		en := ents[rng.Intn(len(ents))]
		var u Usage
		switch x := rng.Intn(100); {
		case x < 2:
			u.Hang = true
		case x < 4:
			u.Busy = 2000 // past every timeout
		default:
			u.Busy = int64(rng.Intn(200))
			u.Bytes = int64(rng.Intn(100))
		}
		nd := rng.Intn(4)
		depPicks := make([]int, nd)
		for i := range depPicks {
			depPicks[i] = rng.Int()
		}
		guilty := rng.Intn(200) == 0
		env.clock.Schedule(at, func() {
			var deps []*fence.Fence
			for _, p := range depPicks {
				switch {
				case p%5 == 0:
					deps = append(deps, users[p/5%len(users)])
				case len(jobs) > 0:
					dj := jobs[p/5%len(jobs)]
					if p%2 == 0 {
						deps = append(deps, dj.Scheduled())
					} else {
						deps = append(deps, dj.Finished())
					}
				}
			}
			j := en.Push(Busy(0), deps...)
			j.work = WorkFunc(func(RunContext) Usage { return u })
			if p := len(depPicks); p > 0 && depPicks[0]%7 == 0 {
				j.SetDontPipeline()
			}
			if guilty {
				en.SetGuilty()
			}
			jobs = append(jobs, j)
		})
	}
	env.clock.RunAll()
	if len(jobs) != n {
		t.Fatalf("pushed %d jobs, want %d", len(jobs), n)
	}
	for _, j := range jobs {
		switch st, err := j.State(), j.Finished().Error(); {
		case !j.Finished().IsSignaled():
			t.Errorf("%v not finished (%v)", j, st)
		case st == JobDone && err != 0,
			st == JobSkipped && err == 0,
			st == JobTimedOut && err != -int32(syscall.ETIME),
			st < JobDone:
			t.Errorf("%v: state %v with error %d", j, st, err)
		}
	}
	if got := env.e.Inflight(); got != 0 {
		t.Errorf("inflight = %d after drain", got)
	}
	return c.log
}

// TestRandomInvariants runs random scenarios (seeded from TEST_SEED)
// checking the invariants after every event, and replays each to check
// that the event log is reproducible.
func TestRandomInvariants(t *testing.T) {
	base := seed(t)
	iters := 30
	if testing.Short() {
		iters = 5
	}
	counts := map[EventKind]int{}
	for i := 0; i < iters; i++ {
		s := base + int64(i)
		a := randomRun(t, s, counts)
		if t.Failed() {
			t.Fatalf("seed %d failed (TEST_SEED=%d, iteration %d)", s, base, i)
		}
		if diff := cmp.Diff(a, randomRun(t, s, map[EventKind]int{})); diff != "" {
			t.Fatalf("seed %d: replay differs (-first +second):\n%s", s, diff)
		}
	}
	t.Logf("events: %d queued, %d dependency waits, %d runs, %d done "+
		"(%d with an error), %d timeouts", counts[EventQueued],
		counts[EventWaitDep], counts[EventRun], counts[EventDone],
		counts[numEventKinds], counts[EventTimeout])
}
