package fence

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vmemu/vmemu/sim"
)

func (f *Fence) callbackCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for cb := f.cbHead; cb != nil; cb = cb.next {
		n++
	}
	return n
}

// TestWait drives a virtual clock from Wait: time advances exactly to the
// signal, or to the deadline on timeout. Reference: dma_fence_wait_timeout();
// st-dma-fence.c test_wait, test_wait_timeout.
func TestWait(t *testing.T) {
	tests := []struct {
		name     string
		signalAt int64 // <0: never
		deadline int64
		want     bool
		wantNow  int64
	}{
		{"signal before deadline", 100, 1000, true, 100},
		{"signal at deadline", 1000, 1000, true, 1000},
		{"forever", 12345, sim.Forever, true, 12345},
		{"timeout", 100, 50, false, 50},
		{"never signaled", -1, 70, false, 70},
		{"timeout 0 (poll)", 100, 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock, d := newDomain(0)
			f := newFence(d)
			clock.Schedule(10, func() {}) // unrelated earlier event
			if tc.signalAt >= 0 {
				clock.Schedule(tc.signalAt, func() { f.Signal() })
				clock.Schedule(tc.signalAt+1, func() { t.Error("event after the signal ran") })
			}
			if got := Wait(f, tc.deadline); got != tc.want {
				t.Errorf("Wait() = %v, want %v", got, tc.want)
			}
			if got := clock.Now(); got != tc.wantNow {
				t.Errorf("clock at %d after Wait, want %d", got, tc.wantNow)
			}
			if tc.want && f.Timestamp() != tc.signalAt {
				t.Errorf("Timestamp() = %d, want %d", f.Timestamp(), tc.signalAt)
			}
			if n := f.callbackCount(); n != 0 {
				t.Errorf("%d callbacks left on the fence after Wait", n)
			}
		})
	}
}

func TestWaitSignaled(t *testing.T) {
	clock, d := newDomain(5)
	f := newFence(d)
	f.Signal()
	clock.Schedule(6, func() { t.Error("event ran") })
	if !Wait(f, 0) || !Wait(d.Stub(), 0) {
		t.Error("Wait on a signaled fence = false")
	}
	if clock.Now() != 5 {
		t.Errorf("clock moved to %d", clock.Now())
	}
}

// TestWaitChain waits on a timeline point: the wait ends when every older
// point has signaled.
func TestWaitChain(t *testing.T) {
	clock, d := newDomain(0)
	fc := newFenceChains(d, 3, seqnoInc)
	for i, at := range []int64{300, 100, 200} {
		f := fc.fences[i]
		clock.Schedule(at, func() { f.Signal() })
	}
	pt, err := FindSeqno(fc.tail(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !Wait(pt, sim.Forever) {
		t.Fatal("Wait() = false")
	}
	if got := clock.Now(); got != 300 {
		t.Errorf("clock at %d, want 300 (point 1 signals last)", got)
	}
	if got := pt.Timestamp(); got != 300 {
		t.Errorf("chain Timestamp() = %d, want 300", got)
	}
}

// TestWaitMany covers all and any modes, the first index, and timeouts.
func TestWaitMany(t *testing.T) {
	tests := []struct {
		name      string
		signalAt  []int64 // per fence; <0: never; -2: nil entry
		all       bool
		deadline  int64
		wantIdx   int
		wantOK    bool
		wantClock int64
	}{
		{"all", []int64{10, 30, 20}, true, sim.Forever, -1, true, 30},
		{"any", []int64{30, 10, 20}, false, sim.Forever, 1, true, 10},
		{"any ties pick the lowest index", []int64{20, 10, 10}, false, sim.Forever, 1, true, 10},
		{"all timeout", []int64{10, -1}, true, 500, -1, false, 500},
		{"any timeout", []int64{600, 700}, false, 500, -1, false, 500},
		{"any nil entry counts as signaled", []int64{100, -2}, false, sim.Forever, 1, true, 0},
		{"all with nil entry", []int64{-2, 40}, true, sim.Forever, -1, true, 40},
		{"all empty", nil, true, 0, -1, true, 0},
		{"any empty", nil, false, 0, -1, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock, d := newDomain(0)
			fences := make([]*Fence, len(tc.signalAt))
			for i, at := range tc.signalAt {
				if at == -2 {
					continue
				}
				f := newFence(d)
				fences[i] = f
				if at >= 0 {
					clock.Schedule(at, func() { f.Signal() })
				}
			}
			idx, ok := WaitMany(clock, fences, tc.all, tc.deadline)
			if idx != tc.wantIdx || ok != tc.wantOK {
				t.Errorf("WaitMany() = %d, %v; want %d, %v", idx, ok, tc.wantIdx, tc.wantOK)
			}
			if got := clock.Now(); got != tc.wantClock {
				t.Errorf("clock at %d, want %d", got, tc.wantClock)
			}
			for i, f := range fences {
				if f != nil && f.callbackCount() != 0 {
					t.Errorf("fence %d: callbacks left after WaitMany", i)
				}
			}
		})
	}
}

// TestWaitCrossGoroutine blocks a virtual-time Wait with nothing scheduled
// and signals from another goroutine; synctest.Wait proves the waiter was
// parked first.
func TestWaitCrossGoroutine(t *testing.T) {
	t.Run("Wait", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, d := newDomain(0)
			f := newFence(d)
			res := make(chan bool)
			go func() { res <- Wait(f, sim.Forever) }()
			synctest.Wait()
			f.Signal()
			if !<-res {
				t.Fatal("Wait() = false")
			}
		})
	})
	t.Run("WaitMany any", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			clock, d := newDomain(0)
			fs := newFences(d, 3)
			type result struct {
				idx int
				ok  bool
			}
			res := make(chan result)
			go func() {
				i, ok := WaitMany(clock, fs, false, sim.Forever)
				res <- result{i, ok}
			}()
			synctest.Wait()
			fs[2].Signal()
			if r := <-res; r.idx != 2 || !r.ok {
				t.Fatalf("WaitMany() = %d, %v; want 2, true", r.idx, r.ok)
			}
		})
	})
	t.Run("chain point", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, d := newDomain(0)
			fc := newFenceChains(d, 3, seqnoInc)
			res := make(chan bool)
			go func() { res <- Wait(fc.tail(), sim.Forever) }()
			for _, i := range []int{2, 0, 1} {
				synctest.Wait()
				fc.fences[i].Signal()
			}
			if !<-res {
				t.Fatal("Wait() = false")
			}
		})
	})
}

// TestWaitRealTime runs Wait on a real-time clock in a synctest bubble.
func TestWaitRealTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		clock := sim.NewRealTime(0, 1)
		defer clock.Close()
		d := NewDomain(clock)
		f := newFence(d)
		clock.Schedule(3_000_000, func() { f.Signal() })
		if Wait(f, 1_000_000) {
			t.Fatal("Wait(1ms) = true")
		}
		if got := time.Since(start); got != time.Millisecond {
			t.Errorf("timed out after %v, want 1ms", got)
		}
		if !Wait(f, sim.Forever) {
			t.Fatal("Wait() = false")
		}
		if got := time.Since(start); got != 3*time.Millisecond {
			t.Errorf("signaled after %v, want 3ms", got)
		}
		if got := f.Timestamp(); got != 3_000_000 {
			t.Errorf("Timestamp() = %d, want 3ms", got)
		}
	})
}

// TestConcurrentCallbacks adds and removes callbacks from many goroutines
// while another signals: every callback that was added runs exactly once,
// none that was removed or refused does. Reference: st-dma-fence.c
// race_signal_callback. Run with -race.
func TestConcurrentCallbacks(t *testing.T) {
	for iter := 0; iter < 50; iter++ {
		_, d := newDomain(0)
		f := newFence(d)
		const goroutines, per = 8, 50
		var added, ran, removed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < per; i++ {
					var once atomic.Int32
					cb := f.AddCallback(func(*Fence) {
						if once.Add(1) != 1 {
							t.Error("callback ran twice")
						}
						ran.Add(1)
					})
					if cb == nil {
						continue
					}
					added.Add(1)
					if i%3 == 0 && f.RemoveCallback(cb) {
						removed.Add(1)
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f.Signal()
		}()
		close(start)
		wg.Wait()
		if got, want := ran.Load(), added.Load()-removed.Load(); got != want {
			t.Fatalf("iteration %d: %d callbacks ran, want %d (added %d, removed %d)",
				iter, got, want, added.Load(), removed.Load())
		}
	}
}

// TestRaceSignalCallback re-expresses race_signal_callback: two goroutines
// each publish a fence, add a callback to the other's and signal their own,
// before or after adding. A callback that was added must run.
func TestRaceSignalCallback(t *testing.T) {
	for _, before := range []bool{false, true} {
		_, d := newDomain(0)
		for pass := 0; pass < 200; pass++ {
			var slots [2]chan *Fence
			slots[0], slots[1] = make(chan *Fence, 1), make(chan *Fence, 1)
			var wg sync.WaitGroup
			for id := 0; id < 2; id++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f1 := newFence(d)
					slots[id] <- f1
					f2 := <-slots[1-id]
					if before {
						f1.Signal()
					}
					seen := make(chan struct{})
					cb := f2.AddCallback(func(*Fence) { close(seen) })
					if !before {
						f1.Signal()
					}
					if cb != nil {
						<-seen // the other goroutine signals f2
					}
				}()
			}
			wg.Wait()
		}
	}
}

// TestConcurrentChain adds callbacks to a chain head from several
// goroutines while links signal concurrently.
func TestConcurrentChain(t *testing.T) {
	_, d := newDomain(0)
	fc := newFenceChains(d, 256, seqnoInc)
	head := fc.tail()
	var fired atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(fc.fences); i += 4 {
				fc.fences[i].Signal()
				if head.AddCallback(func(*Fence) { fired.Add(1) }) == nil && !head.IsSignaled() {
					t.Error("AddCallback = nil on a pending head")
				}
				head.IsSignaled()
			}
		}()
	}
	wg.Wait()
	if !head.IsSignaled() {
		t.Fatal("head not signaled after all links")
	}
	if fired.Load() == 0 {
		t.Error("no head callback ran")
	}
}
