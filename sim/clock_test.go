package sim

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"github.com/vmemu/vmemu/internal/testseed"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tracer records "name@now" for every event it wraps.
type tracer struct {
	c     *Clock
	mu    sync.Mutex
	trace []string
}

func (tr *tracer) ev(name string) func() {
	return func() {
		tr.mu.Lock()
		tr.trace = append(tr.trace, fmt.Sprintf("%s@%d", name, tr.c.Now()))
		tr.mu.Unlock()
	}
}

func (tr *tracer) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.trace...)
}

func TestModeString(t *testing.T) {
	for _, tc := range []struct {
		m    Mode
		want string
	}{{Virtual, "virtual"}, {RealTime, "realtime"}, {Mode(7), "Mode(?)"}} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("Mode(%d).String() = %q, want %q", int(tc.m), got, tc.want)
		}
	}
}

// TestEventOrder checks that events run ordered by (time, order of
// scheduling), whatever order they were scheduled in.
func TestEventOrder(t *testing.T) {
	type sched struct {
		name string
		at   int64
	}
	tests := []struct {
		name  string
		start int64
		evs   []sched
		want  []string
	}{
		{
			name: "by time",
			evs:  []sched{{"c", 30}, {"a", 10}, {"b", 20}},
			want: []string{"a@10", "b@20", "c@30"},
		},
		{
			name: "ties in scheduling order",
			evs:  []sched{{"x", 5}, {"y", 5}, {"z", 5}, {"w", 1}},
			want: []string{"w@1", "x@5", "y@5", "z@5"},
		},
		{
			name:  "past runs at now, after earlier-scheduled events at now",
			start: 100,
			evs:   []sched{{"now", 100}, {"past", 3}, {"later", 101}, {"past2", -5}},
			want:  []string{"now@100", "past@100", "past2@100", "later@101"},
		},
		{
			name: "interleaved",
			evs:  []sched{{"b1", 2}, {"a1", 1}, {"b2", 2}, {"a2", 1}, {"c", 3}, {"b3", 2}},
			want: []string{"a1@1", "a2@1", "b1@2", "b2@2", "b3@2", "c@3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewVirtual(tc.start)
			tr := &tracer{c: c}
			for _, e := range tc.evs {
				c.Schedule(e.at, tr.ev(e.name))
			}
			if got, want := c.Pending(), len(tc.evs); got != want {
				t.Fatalf("Pending() = %d, want %d", got, want)
			}
			if got, want := c.RunAll(), len(tc.evs); got != want {
				t.Errorf("RunAll() = %d, want %d", got, want)
			}
			if diff := cmp.Diff(tc.want, tr.get()); diff != "" {
				t.Errorf("trace (-want +got):\n%s", diff)
			}
			if got, want := c.Events(), uint64(len(tc.evs)); got != want {
				t.Errorf("Events() = %d, want %d", got, want)
			}
		})
	}
}

func TestScheduleInPast(t *testing.T) {
	c := NewVirtual(1000)
	var ranAt int64 = -1
	e := c.Schedule(10, func() { ranAt = c.Now() })
	if got, want := e.At(), int64(1000); got != want {
		t.Errorf("At() = %d, want %d (clamped to now)", got, want)
	}
	if !c.Step() {
		t.Fatal("Step() = false, want true")
	}
	if ranAt != 1000 {
		t.Errorf("event ran at %d, want 1000", ranAt)
	}
	if got := c.Now(); got != 1000 {
		t.Errorf("Now() = %d after running a past event, want 1000", got)
	}
}

func TestAfter(t *testing.T) {
	c := NewVirtual(50)
	e := c.After(25, func() {})
	if got, want := e.At(), int64(75); got != want {
		t.Errorf("After(25).At() = %d, want %d", got, want)
	}
}

func TestCancel(t *testing.T) {
	c := NewVirtual(0)
	tr := &tracer{c: c}
	c.Schedule(10, tr.ev("a"))
	b := c.Schedule(20, tr.ev("b"))
	c.Schedule(30, tr.ev("c"))
	d := c.Schedule(40, tr.ev("d"))

	if !c.Cancel(b) {
		t.Error("Cancel(pending b) = false, want true")
	}
	if c.Cancel(b) {
		t.Error("second Cancel(b) = true, want false")
	}
	if got, want := c.Pending(), 3; got != want {
		t.Errorf("Pending() = %d, want %d", got, want)
	}
	c.RunUntil(35)
	if c.Cancel(d) != true {
		t.Error("Cancel(pending d) = false, want true")
	}
	if got, want := c.RunAll(), 0; got != want {
		t.Errorf("RunAll() = %d after cancelling the rest, want %d", got, want)
	}
	if diff := cmp.Diff([]string{"a@10", "c@30"}, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}

	// An event that already ran cannot be cancelled.
	e := c.Schedule(50, func() {})
	c.Step()
	if c.Cancel(e) {
		t.Error("Cancel(ran event) = true, want false")
	}
	// Nor can an event of another clock.
	other := NewVirtual(0)
	oe := other.Schedule(1, func() {})
	c.Schedule(1, func() {})
	if c.Cancel(oe) {
		t.Error("Cancel(event of another clock) = true, want false")
	}
	if other.Pending() != 1 || c.Pending() != 1 {
		t.Errorf("Pending() = %d, %d after a foreign Cancel, want 1, 1", other.Pending(), c.Pending())
	}
}

// TestCancelFromEvent cancels a later event from inside an earlier one.
func TestCancelFromEvent(t *testing.T) {
	c := NewVirtual(0)
	tr := &tracer{c: c}
	var victim *Event
	c.Schedule(1, func() {
		if !c.Cancel(victim) {
			t.Error("Cancel from event = false, want true")
		}
	})
	victim = c.Schedule(2, tr.ev("victim"))
	c.Schedule(3, tr.ev("survivor"))
	c.RunAll()
	if diff := cmp.Diff([]string{"survivor@3"}, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestRunUntil(t *testing.T) {
	c := NewVirtual(0)
	tr := &tracer{c: c}
	c.Schedule(10, tr.ev("a"))
	c.Schedule(20, tr.ev("b"))
	c.Schedule(30, tr.ev("c"))

	c.RunUntil(20)
	if diff := cmp.Diff([]string{"a@10", "b@20"}, tr.get()); diff != "" {
		t.Errorf("after RunUntil(20) (-want +got):\n%s", diff)
	}
	if got := c.Now(); got != 20 {
		t.Errorf("Now() = %d, want 20", got)
	}
	c.RunUntil(25)
	if got := c.Now(); got != 25 {
		t.Errorf("Now() = %d after RunUntil(25) with nothing due, want 25", got)
	}
	// RunUntil never moves time backwards.
	c.RunUntil(5)
	if got := c.Now(); got != 25 {
		t.Errorf("Now() = %d after RunUntil(5), want 25", got)
	}
	if got := c.Pending(); got != 1 {
		t.Errorf("Pending() = %d, want 1", got)
	}
}

// TestNestedSchedule schedules events from inside events: due ones run in
// the same RunUntil, later ones stay pending, past ones run at now.
func TestNestedSchedule(t *testing.T) {
	c := NewVirtual(0)
	tr := &tracer{c: c}
	c.Schedule(10, func() {
		tr.ev("parent")()
		c.Schedule(5, tr.ev("past-child"))       // runs at 10
		c.Schedule(10, tr.ev("same-time-child")) // after past-child
		c.Schedule(15, tr.ev("child"))
		c.Schedule(40, tr.ev("late-child"))
	})
	c.Schedule(15, tr.ev("sibling")) // scheduled before child, same time
	c.RunUntil(20)
	want := []string{"parent@10", "past-child@10", "same-time-child@10", "sibling@15", "child@15"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if got := c.Pending(); got != 1 {
		t.Errorf("Pending() = %d, want 1 (late-child)", got)
	}
	if got := c.RunAll(); got != 1 {
		t.Errorf("RunAll() = %d, want 1", got)
	}
}

func TestStep(t *testing.T) {
	c := NewVirtual(0)
	if c.Step() {
		t.Fatal("Step() on an empty queue = true")
	}
	tr := &tracer{c: c}
	c.Schedule(1_000_000, tr.ev("far"))
	c.Schedule(7, tr.ev("near"))
	if !c.Step() {
		t.Fatal("Step() = false")
	}
	if !c.Step() {
		t.Fatal("Step() = false")
	}
	if c.Step() {
		t.Fatal("third Step() = true")
	}
	if diff := cmp.Diff([]string{"near@7", "far@1000000"}, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestWaitVirtual(t *testing.T) {
	t.Run("runs events until ready", func(t *testing.T) {
		c := NewVirtual(0)
		tr := &tracer{c: c}
		var done bool
		c.Schedule(10, tr.ev("a"))
		c.Schedule(20, func() { tr.ev("signal")(); done = true })
		c.Schedule(30, tr.ev("after"))
		if !c.Wait(Forever, func() bool { return done }, nil) {
			t.Fatal("Wait() = false, want true")
		}
		if got := c.Now(); got != 20 {
			t.Errorf("Now() = %d, want exactly the signal time 20", got)
		}
		if diff := cmp.Diff([]string{"a@10", "signal@20"}, tr.get()); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
		if got := c.Pending(); got != 1 {
			t.Errorf("Pending() = %d, want 1 (events after ready stay queued)", got)
		}
	})
	t.Run("ready at once runs nothing", func(t *testing.T) {
		c := NewVirtual(5)
		c.Schedule(6, func() { t.Error("event ran") })
		if !c.Wait(100, func() bool { return true }, nil) {
			t.Fatal("Wait() = false")
		}
		if got := c.Now(); got != 5 {
			t.Errorf("Now() = %d, want 5", got)
		}
	})
	t.Run("timeout advances to deadline", func(t *testing.T) {
		c := NewVirtual(0)
		tr := &tracer{c: c}
		c.Schedule(10, tr.ev("early"))
		c.Schedule(100, tr.ev("late"))
		if c.Wait(50, func() bool { return false }, nil) {
			t.Fatal("Wait() = true, want false")
		}
		if got := c.Now(); got != 50 {
			t.Errorf("Now() = %d, want the deadline 50", got)
		}
		if diff := cmp.Diff([]string{"early@10"}, tr.get()); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
		if got := c.Pending(); got != 1 {
			t.Errorf("Pending() = %d, want 1", got)
		}
	})
	t.Run("event at deadline runs", func(t *testing.T) {
		c := NewVirtual(0)
		var done bool
		c.Schedule(50, func() { done = true })
		if !c.Wait(50, func() bool { return done }, nil) {
			t.Fatal("Wait() = false for an event due exactly at the deadline")
		}
	})
	t.Run("deadline in the past", func(t *testing.T) {
		c := NewVirtual(100)
		if c.Wait(10, func() bool { return false }, nil) {
			t.Fatal("Wait() = true")
		}
		if got := c.Now(); got != 100 {
			t.Errorf("Now() = %d, want 100 (never backwards)", got)
		}
	})
	t.Run("ready turns true at the deadline check", func(t *testing.T) {
		// The final answer is ready's last answer, not a bare false.
		c := NewVirtual(0)
		calls := 0
		ready := func() bool { calls++; return c.Now() >= 40 }
		if !c.Wait(40, ready, nil) {
			t.Error("Wait() = false, want ready's last answer (true)")
		}
	})
}

// TestWaitForeverWake blocks a virtual Wait with no deadline and nothing
// scheduled, and wakes it from another goroutine. synctest.Wait proves the
// waiter is parked before the wake, so the blocking path is exercised; the
// test takes no wall time and has no sleeps.
func TestWaitForeverWake(t *testing.T) {
	tests := []struct {
		name string
		// wake makes the condition true (or not) and wakes the waiter.
		wake func(c *Clock, flag *atomic.Bool, ch chan struct{})
	}{
		{
			name: "wake channel",
			wake: func(c *Clock, flag *atomic.Bool, ch chan struct{}) {
				flag.Store(true)
				ch <- struct{}{}
			},
		},
		{
			name: "schedule",
			wake: func(c *Clock, flag *atomic.Bool, ch chan struct{}) {
				c.Schedule(c.Now()+7, func() { flag.Store(true) })
			},
		},
		{
			name: "kick",
			wake: func(c *Clock, flag *atomic.Bool, ch chan struct{}) {
				flag.Store(true)
				c.Kick()
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := NewVirtual(0)
				var flag atomic.Bool
				ch := make(chan struct{}, 1)
				res := make(chan bool)
				go func() { res <- c.Wait(Forever, flag.Load, ch) }()
				synctest.Wait() // the waiter is parked in select
				tc.wake(c, &flag, ch)
				if !<-res {
					t.Fatal("Wait() = false")
				}
			})
		})
	}

	t.Run("spurious wake", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := NewVirtual(0)
			var flag atomic.Bool
			ch := make(chan struct{}, 1)
			res := make(chan bool)
			go func() { res <- c.Wait(Forever, flag.Load, ch) }()
			synctest.Wait()
			c.Kick() // nothing changed: the waiter must park again
			ch <- struct{}{}
			synctest.Wait()
			select {
			case <-res:
				t.Fatal("Wait returned on a spurious wake")
			default:
			}
			flag.Store(true)
			c.Kick()
			if !<-res {
				t.Fatal("Wait() = false")
			}
		})
	})
}

// TestWaitForeverWakeNoSynctest is the same without synctest: the wake may
// come before or after the waiter parks; both must work.
func TestWaitForeverWakeNoSynctest(t *testing.T) {
	for i := 0; i < 200; i++ {
		c := NewVirtual(0)
		var flag atomic.Bool
		var wg sync.WaitGroup
		wg.Add(1)
		var got bool
		go func() {
			defer wg.Done()
			got = c.Wait(Forever, flag.Load, nil)
		}()
		switch i % 2 {
		case 0:
			flag.Store(true)
			c.Kick()
		case 1:
			c.Schedule(int64(i), func() { flag.Store(true) })
		}
		wg.Wait()
		if !got {
			t.Fatalf("iteration %d: Wait() = false", i)
		}
	}
}

// TestConcurrentWaiters has several goroutines drive one virtual clock:
// events still run one at a time, in order, and each exactly once.
func TestConcurrentWaiters(t *testing.T) {
	c := NewVirtual(0)
	const n = 200
	var running atomic.Int32
	var mu sync.Mutex
	var order []int64
	done := make([]atomic.Bool, n)
	for i := 0; i < n; i++ {
		c.Schedule(int64(i), func() {
			if running.Add(1) != 1 {
				t.Error("two events ran at once")
			}
			mu.Lock()
			order = append(order, c.Now())
			mu.Unlock()
			done[i].Store(true)
			running.Add(-1)
		})
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := n - 1 - w*10
			c.Wait(Forever, done[target].Load, nil)
		}()
	}
	wg.Wait()
	c.RunAll()
	if got := len(order); got != n {
		t.Fatalf("%d events ran, want %d", got, n)
	}
	for i, at := range order {
		if at != int64(i) {
			t.Fatalf("event %d ran at %d: out of order", i, at)
		}
	}
}

// TestConcurrentSchedule schedules from many goroutines while one drains.
func TestConcurrentSchedule(t *testing.T) {
	c := NewVirtual(0)
	const goroutines, per = 8, 250
	var ran atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				e := c.Schedule(int64(i), func() { ran.Add(1) })
				if i%10 == 9 && c.Cancel(e) {
					ran.Add(1) // count it as handled
				}
			}
		}()
	}
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case <-stop:
				return
			default:
				c.Step()
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-drained
	c.RunAll()
	if got, want := ran.Load(), int64(goroutines*per); got != want {
		t.Errorf("handled %d events, want %d", got, want)
	}
}

// seed returns the test seed (internal/testseed).
func seed(t testing.TB) uint64 { return uint64(testseed.Get(t, 20250601)) }

// randomRun runs a seeded scenario in which events schedule and cancel
// other events and waiters drive the clock, and returns the event trace.
func randomRun(s uint64) []string {
	r := rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
	c := NewVirtual(int64(r.IntN(1000)))
	var trace []string
	var pending []*Event
	var spawn func(depth int) func()
	id := 0
	spawn = func(depth int) func() {
		id++
		name := id
		return func() {
			trace = append(trace, fmt.Sprintf("%d@%d", name, c.Now()))
			if depth > 4 {
				return
			}
			for k := r.IntN(3); k > 0; k-- {
				pending = append(pending, c.Schedule(c.Now()+int64(r.IntN(50))-10, spawn(depth+1)))
			}
			if len(pending) > 0 && r.IntN(4) == 0 {
				c.Cancel(pending[r.IntN(len(pending))])
			}
		}
	}
	for i := 0; i < 50; i++ {
		pending = append(pending, c.Schedule(int64(r.IntN(500)), spawn(0)))
	}
	for c.Pending() > 0 {
		switch r.IntN(3) {
		case 0:
			c.Step()
		case 1:
			c.RunUntil(c.Now() + int64(r.IntN(40)))
		case 2:
			c.Wait(c.Now()+int64(r.IntN(40)), func() bool { return false }, nil)
		}
	}
	trace = append(trace, fmt.Sprintf("end@%d events=%d", c.Now(), c.Events()))
	return trace
}

// TestDeterminism runs identical seeded scenarios twice and compares the
// traces event by event.
func TestDeterminism(t *testing.T) {
	base := seed(t)
	for i := uint64(0); i < 20; i++ {
		a, b := randomRun(base+i), randomRun(base+i)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("seed %d: runs differ (-first +second):\n%s", base+i, diff)
		}
		// The trace is ordered by time.
		var last int64 = -1 << 62
		for _, ev := range a[:len(a)-1] {
			var n int
			var at int64
			if _, err := fmt.Sscanf(ev, "%d@%d", &n, &at); err != nil {
				t.Fatalf("parse %q: %v", ev, err)
			}
			if at < last {
				t.Fatalf("seed %d: event %q ran before %d: time went backwards", base+i, ev, last)
			}
			last = at
		}
	}
}

func TestCloseVirtualNoop(t *testing.T) {
	c := NewVirtual(0)
	c.Close()
	c.Close()
	if got := c.Mode(); got != Virtual {
		t.Errorf("Mode() = %v, want virtual", got)
	}
}

func TestFailDeadlocks(t *testing.T) {
	c := NewVirtual(0)
	c.SetFailDeadlocks(true)
	fired := false
	c.After(5, func() { fired = true })
	// The pending event ends the wait normally.
	if !c.Wait(Forever, func() bool { return fired }, nil) {
		t.Fatal("wait with a pending event did not succeed")
	}
	if c.Deadlocks() != 0 {
		t.Fatalf("deadlocks = %d, want 0", c.Deadlocks())
	}
	// Nothing pending and no deadline: gives up at once, clock unchanged.
	if c.Wait(Forever, func() bool { return false }, nil) {
		t.Fatal("endless wait reported success")
	}
	if c.Deadlocks() != 1 || c.Now() != 5 {
		t.Fatalf("deadlocks = %d, now = %d; want 1, 5", c.Deadlocks(), c.Now())
	}
}
