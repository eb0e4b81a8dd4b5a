package ww

import (
	"sync"
	"testing"
)

// TestFastPathHandoff hammers one Mutex from several goroutines, half
// locking without a context and half in one-lock transactions, so that the
// compare-and-swap fast path, the waiters flag and the wake-up on Unlock
// race with each other. A lost wake-up hangs the test (go test's timeout
// reports it); a broken exclusion shows as a wrong count, or as a data race
// on the counter under -race.
func TestFastPathHandoff(t *testing.T) {
	const goroutines, rounds = 8, 5000
	var m Mutex
	count := 0
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ctx AcquireCtx
			for range rounds {
				if g%2 == 0 {
					m.Lock(nil)
				} else {
					ctx.Init(ReservationClass)
					if err := m.Lock(&ctx); err != nil {
						t.Errorf("one-lock transaction: %v", err)
						return
					}
					if m.Owner() != &ctx {
						t.Errorf("Owner() is not the holder's context")
					}
				}
				count++
				m.Unlock()
				if g%2 == 1 {
					ctx.Fini()
				}
			}
		}()
	}
	wg.Wait()
	if count != goroutines*rounds {
		t.Fatalf("count %d, want %d: two holders at once", count, goroutines*rounds)
	}
	if m.IsLocked() || m.waiting.Load() || len(m.waiters) != 0 {
		t.Fatalf("after the run: locked %v, waiting flag %v, %d waiters", m.IsLocked(), m.waiting.Load(), len(m.waiters))
	}
}
