package gpu

import (
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/internal/testseed"
	"github.com/vmemu/vmemu/sim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seed returns the test seed (internal/testseed).
func seed(t testing.TB) int64 { return testseed.Get(t, 20240601) }

// recorder is a Sink keeping copies of the events.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) Event(ev *Event) {
	r.mu.Lock()
	r.evs = append(r.evs, *ev)
	r.mu.Unlock()
}

func (r *recorder) take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.evs
	r.evs = nil
	return evs
}

// flatCost is a cost model with no launch overhead and 1 ns per byte, so
// that durations in tests are readable.
var flatCost = Cost{PicosPerByte: 1000}

type testEnv struct {
	clock  *sim.Clock
	domain *fence.Domain
	e      *Engine
	rec    *recorder
}

// newTestEnv returns an engine on a virtual clock at 0 with flatCost on
// every IP and a recorder sink. mod may adjust the config.
func newTestEnv(t testing.TB, rings map[IP]int, mod func(*Config)) *testEnv {
	t.Helper()
	clock := sim.NewVirtual(0)
	domain := fence.NewDomain(clock)
	rec := &recorder{}
	cfg := Config{Rings: rings, Cost: map[IP]Cost{}, Sink: rec}
	for ip := range rings {
		cfg.Cost[ip] = flatCost
	}
	if mod != nil {
		mod(&cfg)
	}
	e, err := NewEngine(clock, domain, cfg)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return &testEnv{clock: clock, domain: domain, e: e, rec: rec}
}

func (env *testEnv) entity(r *Ring, name string, p Priority) *Entity {
	return env.e.NewEntity(r, EntityConfig{Name: name, Priority: p})
}
