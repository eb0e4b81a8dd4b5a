package ww

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testSeed returns TEST_SEED, or a fixed default, and logs it.
func testSeed(t testing.TB) int64 {
	t.Helper()
	seed := int64(20260101)
	if s := os.Getenv("TEST_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("TEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("TEST_SEED=%d", seed)
	return seed
}

// blockWatcher reports Mutexes that a goroutine went to sleep on.
type blockWatcher struct{ ch chan *Mutex }

// watchBlocked installs testWaitHook for the duration of t. Tests that use
// it must not run in parallel.
func watchBlocked(t *testing.T) *blockWatcher {
	t.Helper()
	w := &blockWatcher{ch: make(chan *Mutex, 4096)}
	testWaitHook = func(m *Mutex) {
		select {
		case w.ch <- m:
		default:
		}
	}
	t.Cleanup(func() { testWaitHook = nil })
	return w
}

// wait returns once some goroutine has gone to sleep on m.
func (w *blockWatcher) wait(m *Mutex) {
	for got := range w.ch {
		if got == m {
			return
		}
	}
}

// async runs fn in a goroutine and returns its result channel.
func async(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

func newCtx(c *Class) *AcquireCtx {
	ctx := new(AcquireCtx)
	ctx.Init(c)
	return ctx
}

func newMutexes(c *Class, n int) []*Mutex {
	ms := make([]*Mutex, n)
	for i := range ms {
		ms[i] = new(Mutex)
		ms[i].Init(c)
	}
	return ms
}

// finish unlocks ms and ends ctx.
func finish(ctx *AcquireCtx, ms ...*Mutex) {
	for _, m := range ms {
		m.Unlock()
	}
	ctx.Fini()
}
