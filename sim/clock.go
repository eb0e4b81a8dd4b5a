package sim

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Forever is a deadline that never passes.
const Forever int64 = math.MaxInt64

// Mode selects how a Clock's time passes.
type Mode int

const (
	// Virtual time passes only when a waiter runs events or times out.
	Virtual Mode = iota
	// RealTime follows the wall clock, scaled.
	RealTime
)

func (m Mode) String() string {
	switch m {
	case Virtual:
		return "virtual"
	case RealTime:
		return "realtime"
	}
	return "Mode(?)"
}

// Event is the handle of a function scheduled with Schedule, by which it
// can be cancelled.
type Event struct {
	at    int64
	index int // in the heap; -1 once popped or cancelled
}

// At returns the time the event is scheduled for.
func (e *Event) At() int64 { return e.at }

// item is a queued event, held by value so that Post allocates nothing.
type item struct {
	at  int64
	seq uint64
	fn  func()
	ev  *Event // Schedule's handle, nil for Post
}

// eventHeap is a binary min-heap of items ordered by (at, seq). It is
// container/heap's algorithm on values, without the interface boxing.
type eventHeap []item

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h eventHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	if e := h[i].ev; e != nil {
		e.index = i
	}
	if e := h[j].ev; e != nil {
		e.index = j
	}
}

func (h eventHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2 // parent
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		j = i
	}
}

func (h eventHeap) down(i0, n int) bool {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 { // j1 < 0 after int overflow
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && h.less(j2, j1) {
			j = j2 // right child
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

func (h *eventHeap) push(it item) {
	if it.ev != nil {
		it.ev.index = len(*h)
	}
	*h = append(*h, it)
	h.up(len(*h) - 1)
}

// remove removes and returns the item at i (0: the earliest).
func (h *eventHeap) remove(i int) item {
	old := *h
	n := len(old) - 1
	if n != i {
		old.swap(i, n)
		if !old.down(i, n) {
			old.up(i)
		}
	}
	it := old[n]
	old[n] = item{} // drop the references
	*h = old[:n]
	if it.ev != nil {
		it.ev.index = -1
	}
	return it
}

// Clock is the emulator's time source and event queue.
type Clock struct {
	mode  Mode
	scale float64

	// runMu serialises event execution; taken before mu. RunAll and
	// RunUntil hold it for their whole run.
	runMu sync.Mutex

	mu sync.Mutex
	// now is virtual time in ns (virtual mode), or the time of the last
	// event run (real-time mode). Written with mu held; read atomically, so
	// that Now takes no lock.
	now atomic.Int64
	// q holds the pending events. Protected by mu.
	q eventHeap
	// seq orders events scheduled for the same time. Protected by mu.
	seq uint64
	// changed is closed and replaced whenever an event is scheduled or Kick
	// is called while somebody waits on it, to wake blocked waiters.
	// Protected by mu.
	changed chan struct{}
	// watchers counts goroutines about to block on changed. Protected by mu.
	watchers int
	// events counts executed events. Protected by mu.
	events uint64
	// failDeadlock makes an endless virtual wait give up; deadlocks counts
	// them. Protected by mu.
	failDeadlock bool
	deadlocks    uint64

	// Real-time mode only.
	wallBase time.Time
	virtBase int64
	stop     chan struct{}
	done     chan struct{}
	// closeOnce guards close(stop) against concurrent Close calls.
	closeOnce sync.Once
}

// NewVirtual returns a virtual clock that starts at start ns.
func NewVirtual(start int64) *Clock {
	c := &Clock{mode: Virtual, changed: make(chan struct{})}
	c.now.Store(start)
	return c
}

// NewRealTime returns a clock that starts at start ns and then follows the
// wall clock multiplied by scale (1 = real time, 0.5 = half speed). A runner
// goroutine executes events as they fall due; Close stops it.
func NewRealTime(start int64, scale float64) *Clock {
	if scale <= 0 {
		scale = 1
	}
	c := &Clock{
		mode: RealTime, scale: scale, virtBase: start,
		wallBase: time.Now(), changed: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	c.now.Store(start)
	go c.runner()
	return c
}

// Mode returns the clock's mode.
func (c *Clock) Mode() Mode { return c.mode }

// Close stops a real-time clock's runner. It is a no-op for virtual clocks.
func (c *Clock) Close() {
	if c.mode != RealTime {
		return
	}
	c.closeOnce.Do(func() { close(c.stop) })
	<-c.done
}

// Now returns the current time in ns. It takes no lock.
func (c *Clock) Now() int64 {
	now := c.now.Load()
	if c.mode == Virtual {
		return now
	}
	wall := c.virtBase + int64(float64(time.Since(c.wallBase))*c.scale)
	if wall < now { // never go back behind an event already run
		return now
	}
	return wall
}

// nowLocked is Now for callers holding mu, under which now does not change.
func (c *Clock) nowLocked() int64 { return c.Now() }

// SetFailDeadlocks chooses what a virtual-mode wait with no deadline does
// when no event is pending: block until another goroutine wakes it (false,
// the default), or give up at once and count a deadlock (true). Single-client
// runs (scenarios, fuzzing, replay) use true: with one client nothing else can
// ever end such a wait, so it is a deadlock to report, not to hang on.
func (c *Clock) SetFailDeadlocks(on bool) {
	c.mu.Lock()
	c.failDeadlock = on
	c.mu.Unlock()
}

// Deadlocks returns how many waits gave up under SetFailDeadlocks(true).
func (c *Clock) Deadlocks() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadlocks
}

// Events returns how many events have run.
func (c *Clock) Events() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events
}

// Pending returns the number of scheduled events.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.q)
}

// Schedule arranges for fn to run at time at (or as soon as possible, if at
// is in the past). fn must not block. The returned Event can be cancelled.
func (c *Clock) Schedule(at int64, fn func()) *Event {
	e := &Event{}
	c.schedule(at, fn, e)
	return e
}

// Post is Schedule without a handle: the event cannot be cancelled, and
// scheduling it allocates nothing (beyond the queue's occasional growth).
// Events of both kinds share one order.
func (c *Clock) Post(at int64, fn func()) { c.schedule(at, fn, nil) }

func (c *Clock) schedule(at int64, fn func(), e *Event) {
	c.mu.Lock()
	if now := c.nowLocked(); at < now {
		at = now
	}
	if e != nil {
		e.at = at
	}
	c.q.push(item{at: at, seq: c.seq, fn: fn, ev: e})
	c.seq++
	c.kickLocked()
	c.mu.Unlock()
}

// After schedules fn d ns from now.
func (c *Clock) After(d int64, fn func()) *Event {
	return c.Schedule(c.Now()+d, fn)
}

// Cancel removes a pending event. It reports whether the event was pending.
func (c *Clock) Cancel(e *Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.index < 0 || e.index >= len(c.q) || c.q[e.index].ev != e {
		return false
	}
	c.q.remove(e.index)
	return true
}

// Kick wakes every blocked waiter so that it re-checks its condition. Call it
// after a state change that a waiter's condition reads but that did not come
// through an event or a wake channel.
func (c *Clock) Kick() {
	c.mu.Lock()
	c.kickLocked()
	c.mu.Unlock()
}

func (c *Clock) kickLocked() {
	if c.watchers == 0 {
		return // nobody holds the current channel: nothing to wake
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.watchers = 0
}

// watchLocked returns the channel to block on; the caller must be counted
// so that the next kick replaces it.
func (c *Clock) watchLocked() chan struct{} {
	c.watchers++
	return c.changed
}

// step runs the earliest event if it is due at or before limit. It reports
// whether an event ran.
func (c *Clock) step(limit int64) bool {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	return c.stepLocked(limit)
}

// stepLocked is step for a caller holding runMu.
func (c *Clock) stepLocked(limit int64) bool {
	c.mu.Lock()
	if len(c.q) == 0 || c.q[0].at > limit {
		c.mu.Unlock()
		return false
	}
	it := c.q.remove(0)
	if it.at > c.now.Load() {
		c.now.Store(it.at)
	}
	c.events++
	c.mu.Unlock()
	it.fn()
	return true
}

// RunUntil runs every event due at or before t, in order, and then advances
// a virtual clock to t. Events scheduled while running are run too if due.
// Other goroutines' steps wait until it returns.
func (c *Clock) RunUntil(t int64) {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	for c.stepLocked(t) {
	}
	if c.mode == Virtual {
		c.mu.Lock()
		if t > c.now.Load() {
			c.now.Store(t)
		}
		c.mu.Unlock()
	}
}

// RunAll runs events until none is pending (virtual mode). It returns the
// number of events run. Use it to let the emulated GPU drain. Other
// goroutines' steps wait until it returns.
func (c *Clock) RunAll() int {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	n := 0
	for c.stepLocked(Forever) {
		n++
	}
	return n
}

// Step runs the next pending event, whatever its time. It reports whether
// one ran.
func (c *Clock) Step() bool { return c.step(Forever) }

// Wait blocks until ready reports true or the deadline passes, and returns
// ready's last answer. ready is re-evaluated after every event and whenever
// wake receives or the clock is kicked; it must be cheap and must not block.
//
// In virtual mode Wait drives the clock: it runs pending events due before
// the deadline one by one, and when none is left it advances the clock to
// the deadline (a finite one) and gives up. In real-time mode it sleeps until
// the next event or the deadline.
func (c *Clock) Wait(deadline int64, ready func() bool, wake <-chan struct{}) bool {
	var rt *time.Timer // real-time mode: one timer for the whole wait
	for {
		if ready() {
			return true
		}
		if c.mode == Virtual {
			if c.step(deadline) {
				continue
			}
			c.mu.Lock()
			if len(c.q) > 0 && c.q[0].at <= deadline {
				c.mu.Unlock() // an event arrived meanwhile
				continue
			}
			if deadline != Forever {
				if deadline > c.now.Load() {
					c.now.Store(deadline)
				}
				c.mu.Unlock()
				return ready()
			}
			if c.failDeadlock {
				c.deadlocks++
				c.mu.Unlock()
				return ready()
			}
			ch := c.watchLocked()
			c.mu.Unlock()
			if ready() { // a signal between the check and the snapshot
				return true
			}
			select {
			case <-wake:
			case <-ch:
			}
			continue
		}
		// Real-time mode: the runner executes events; we sleep.
		c.mu.Lock()
		now := c.nowLocked()
		if now >= deadline {
			c.mu.Unlock()
			return ready()
		}
		ch := c.watchLocked()
		c.mu.Unlock()
		var timer <-chan time.Time
		if deadline != Forever {
			if rt == nil {
				rt = time.NewTimer(c.wallDuration(deadline - now))
				defer rt.Stop()
			} else {
				rt.Reset(c.wallDuration(deadline - now))
			}
			timer = rt.C
		}
		if ready() {
			return true
		}
		select {
		case <-wake:
		case <-ch:
		case <-timer:
		}
	}
}

// wallDuration converts ns of clock time to wall time, rounding up: a
// truncated timer can fire before the clock reaches its target, and with
// less than one wall ns left it would be re-armed at 0 and spin.
func (c *Clock) wallDuration(ns int64) time.Duration {
	d := time.Duration(math.Ceil(float64(ns) / c.scale))
	if d < 0 {
		return 0
	}
	return d
}

// runner executes due events in real-time mode.
func (c *Clock) runner() {
	defer close(c.done)
	for {
		c.mu.Lock()
		now := c.nowLocked()
		var timer *time.Timer
		var tc <-chan time.Time
		if len(c.q) > 0 {
			if c.q[0].at <= now {
				c.mu.Unlock()
				c.stepRealtime(now)
				continue
			}
			timer = time.NewTimer(c.wallDuration(c.q[0].at - now))
			tc = timer.C
		}
		ch := c.watchLocked()
		c.mu.Unlock()
		select {
		case <-c.stop:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-ch:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

func (c *Clock) stepRealtime(now int64) {
	c.step(now)
	c.Kick() // let waiters re-check after the event
}
