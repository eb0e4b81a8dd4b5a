package check

import (
	"fmt"
	"sync"
)

// Options configure a Checker.
type Options struct {
	// Off makes New return nil: every method of a nil *Checker is a no-op,
	// so a switched-off checker costs one pointer comparison per event.
	Off bool
	// Now returns the emulator's clock in nanoseconds; it stamps reports.
	// It is called with the checker's lock held and must not call the
	// Checker. Nil stamps 0. Never wall time: runs must be reproducible.
	Now func() int64
	// Reporter, if not nil, receives every new unique report (not its
	// duplicates), in order, with the checker's lock held; it must not call
	// the Checker.
	Reporter Reporter
	// MaxReports bounds the unique reports kept (0: no bound). Keys include
	// job identities, so a race repeated every frame is a new report each
	// frame; past the bound new keys are counted in Stats.Dropped only.
	MaxReports int
}

// Reporter receives reports. Implementations: Collector, TextReporter,
// JSONReporter.
type Reporter interface {
	// Report is called once per unique report key, on first occurrence.
	// The Report is a copy the callee may keep.
	Report(r Report)
}

// Stats are the checker's own counters, for tests and diagnostics. A
// correctly wired emulator keeps UnknownFences, EarlyFences and Misuse at 0.
type Stats struct {
	Jobs     int // JobStart calls
	Accesses int // Access calls
	// Segments is the current number of shadow intervals over all live
	// allocations (a measure of the shadow's memory).
	Segments int
	// UnknownFences counts dependencies and waits on fence keys never
	// published (no JobStart, FenceSignal) or already forgotten. They add no
	// ordering, which can cause false races.
	UnknownFences int
	// EarlyFences counts dependencies and waits on a job's fence before its
	// JobEnd: the caller claims an order the GPU has not established yet.
	EarlyFences int
	// Misuse counts calls the checker ignored or repaired: AllocCreate over
	// a live allocation, AllocRelease of a generation that is not live,
	// JobEnd twice, accesses by an ended job.
	Misuse int
	// Dropped counts occurrences of new report keys past
	// Options.MaxReports.
	Dropped int
}

// Checker is the hazard checker. Create it with New. A nil *Checker is the
// switched-off checker: all its methods are no-ops returning zero values.
//
// Concurrency: a Checker is safe for concurrent use; one mutex serialises
// all events. Events must be delivered in the emulator's execution order
// (an access is checked against the state left by the events before it).
type Checker struct {
	now        func() int64
	rep        Reporter
	maxReports int

	mu sync.Mutex
	// comps names each vector-clock component (ring or CPU thread).
	// Protected by mu.
	comps []string
	// rings is indexed by RingID-1. Protected by mu.
	rings     []*ringState
	ringNames map[string]RingID // protected by mu
	threads   map[string]*Agent // protected by mu
	// fences maps a fence key to the clock published on it. Protected by mu.
	fences map[FenceKey]*fenceEntry
	// allocs holds the shadow of each live allocation. Protected by mu.
	allocs map[AllocID]*shadow
	// freed remembers the last release of each allocation id, for UAF
	// reports. Protected by mu.
	freed map[AllocID]release
	// reports in first-occurrence order; byKey indexes them by canonical
	// key. Protected by mu.
	reports []*Report
	byKey   map[string]*Report
	stats   Stats // protected by mu
	// conflicts is scratch space for access. Protected by mu.
	conflicts []conflict
}

// New returns a Checker, or nil if o.Off is set.
func New(o Options) *Checker {
	if o.Off {
		return nil
	}
	return &Checker{
		now:        o.Now,
		rep:        o.Reporter,
		maxReports: o.MaxReports,
		ringNames:  map[string]RingID{},
		threads:    map[string]*Agent{},
		fences:     map[FenceKey]*fenceEntry{},
		allocs:     map[AllocID]*shadow{},
		freed:      map[AllocID]release{},
		byKey:      map[string]*Report{},
	}
}

// Enabled reports whether c checks anything (c is not nil).
func (c *Checker) Enabled() bool { return c != nil }

// Stats returns the checker's counters. Safe for concurrent use.
func (c *Checker) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	for _, sh := range c.allocs {
		s.Segments += len(sh.ivs)
	}
	return s
}

// time returns the emulator's clock.
//
// Preconditions: c.mu held.
func (c *Checker) time() int64 {
	if c.now == nil {
		return 0
	}
	return c.now()
}

// newComponent allocates a vector-clock component.
//
// Preconditions: c.mu held.
func (c *Checker) newComponent(name string) uint32 {
	c.comps = append(c.comps, name)
	return uint32(len(c.comps) - 1)
}

func (c *Checker) misuse() { c.stats.Misuse++ }

// mustAgent panics on a nil agent given to an enabled checker: that is a
// wiring bug in the caller, not a hazard.
func mustAgent(a *Agent, op string) {
	if a == nil {
		panic(fmt.Sprintf("check: %s with a nil *Agent on an enabled Checker", op))
	}
}
