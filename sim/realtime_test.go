package sim

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Real-time mode reads the wall clock and runs a timer-driven goroutine, so
// every test here runs in a synctest bubble: time is fake, advances only
// when all goroutines are blocked, and a runner left behind by a missing
// Close fails the test (the bubble cannot exit).

func TestRealTimeNow(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
		start int64
		sleep time.Duration
		want  int64
	}{
		{"scale 1", 1, 1000, 5 * time.Millisecond, 1000 + 5_000_000},
		{"scale 2", 2, 0, 5 * time.Millisecond, 10_000_000},
		{"half speed", 0.5, 0, 5 * time.Millisecond, 2_500_000},
		{"zero scale means 1", 0, 7, time.Second, 7 + 1_000_000_000},
		{"negative scale means 1", -3, 0, time.Microsecond, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := NewRealTime(tc.start, tc.scale)
				defer c.Close()
				if got := c.Mode(); got != RealTime {
					t.Errorf("Mode() = %v", got)
				}
				if got := c.Now(); got != tc.start {
					t.Errorf("Now() at start = %d, want %d", got, tc.start)
				}
				time.Sleep(tc.sleep)
				if got := c.Now(); got != tc.want {
					t.Errorf("Now() after %v = %d, want %d", tc.sleep, got, tc.want)
				}
			})
		})
	}
}

// TestRealTimeEvents checks that the runner executes an event when the
// scaled wall clock reaches its time, and never earlier.
func TestRealTimeEvents(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
		at    int64
		// wall is the fake wall time at which the event must run.
		wall time.Duration
	}{
		{"scale 1", 1, 3_000_000, 3 * time.Millisecond},
		{"scale 2", 2, 3_000_000, 1500 * time.Microsecond},
		{"half speed", 0.5, 3_000_000, 6 * time.Millisecond},
		{"scale 4", 4, 1_000_000_000, 250 * time.Millisecond},
		// Scales whose conversions do not divide evenly: the event runs
		// within a nanosecond of the exact wall time, not before its
		// virtual time, and the runner does not spin.
		{"scale 3", 3, 10, 4},
		{"scale 1/7", 1.0 / 7, 10, 70},
		{"scale 0.3", 0.3, 1_000_001, 3_333_337},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				c := NewRealTime(0, tc.scale)
				defer c.Close()
				var wall time.Duration
				var virt int64
				done := make(chan struct{})
				c.Schedule(tc.at, func() {
					wall = time.Since(start)
					virt = c.Now()
					close(done)
				})
				<-done
				if virt < tc.at {
					t.Errorf("event ran at virtual %d, before its time %d", virt, tc.at)
				}
				if wall < tc.wall-1 || wall > tc.wall+1 {
					t.Errorf("event ran at wall %v, want %v (±1ns)", wall, tc.wall)
				}
			})
		})
	}
}

func TestRealTimeOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRealTime(0, 1)
		defer c.Close()
		var mu sync.Mutex
		var got []string
		rec := func(s string) func() {
			return func() { mu.Lock(); got = append(got, s); mu.Unlock() }
		}
		done := make(chan struct{})
		c.Schedule(2_000, rec("b1"))
		c.Schedule(1_000, rec("a"))
		c.Schedule(2_000, rec("b2"))
		c.Schedule(-5, rec("past")) // runs at once
		c.Schedule(3_000, func() { close(done) })
		<-done
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff([]string{"past", "a", "b1", "b2"}, got); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if got := c.Events(); got != 5 {
			t.Errorf("Events() = %d, want 5", got)
		}
	})
}

func TestRealTimeCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRealTime(0, 1)
		defer c.Close()
		var ran atomic.Bool
		e := c.Schedule(1_000_000, func() { ran.Store(true) })
		if !c.Cancel(e) {
			t.Fatal("Cancel() = false")
		}
		time.Sleep(2 * time.Millisecond)
		if ran.Load() {
			t.Error("cancelled event ran")
		}
	})
}

func TestRealTimeWait(t *testing.T) {
	t.Run("event makes ready", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			c := NewRealTime(0, 2)
			defer c.Close()
			var flag atomic.Bool
			c.Schedule(4_000_000, func() { flag.Store(true) })
			if !c.Wait(Forever, flag.Load, nil) {
				t.Fatal("Wait() = false")
			}
			if got, want := time.Since(start), 2*time.Millisecond; got != want {
				t.Errorf("Wait returned after %v of wall time, want %v", got, want)
			}
		})
	})
	t.Run("timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			c := NewRealTime(100, 0.5)
			defer c.Close()
			c.Schedule(1_000_000_000, func() { t.Error("late event ran") })
			if c.Wait(100+1_000_000, func() bool { return false }, nil) {
				t.Fatal("Wait() = true")
			}
			if got, want := time.Since(start), 2*time.Millisecond; got != want {
				t.Errorf("Wait timed out after %v of wall time, want %v", got, want)
			}
			if got := c.Now(); got < 100+1_000_000 {
				t.Errorf("Now() = %d after the timeout, before the deadline", got)
			}
		})
	})
	t.Run("timeout odd scale", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := NewRealTime(0, 3)
			defer c.Close()
			if c.Wait(10, func() bool { return false }, nil) {
				t.Fatal("Wait() = true")
			}
			if got := c.Now(); got < 10 {
				t.Errorf("Now() = %d, before the deadline", got)
			}
		})
	})
	t.Run("deadline already passed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := NewRealTime(500, 1)
			defer c.Close()
			start := time.Now()
			if c.Wait(10, func() bool { return false }, nil) {
				t.Fatal("Wait() = true")
			}
			if d := time.Since(start); d != 0 {
				t.Errorf("Wait blocked for %v", d)
			}
		})
	})
	t.Run("wake channel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			c := NewRealTime(0, 1)
			defer c.Close()
			var flag atomic.Bool
			wake := make(chan struct{}, 1)
			go func() {
				time.Sleep(time.Millisecond)
				flag.Store(true)
				wake <- struct{}{}
			}()
			if !c.Wait(Forever, flag.Load, wake) {
				t.Fatal("Wait() = false")
			}
			if got := time.Since(start); got != time.Millisecond {
				t.Errorf("woken after %v, want 1ms", got)
			}
		})
	})
	t.Run("kick with many re-checks", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := NewRealTime(0, 1)
			defer c.Close()
			var n atomic.Int32
			res := make(chan bool)
			go func() {
				res <- c.Wait(Forever, func() bool { return n.Load() >= 100 }, nil)
			}()
			for i := 0; i < 100; i++ {
				synctest.Wait()
				n.Add(1)
				c.Kick()
			}
			if !<-res {
				t.Fatal("Wait() = false")
			}
		})
	})
}

func TestRealTimeClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewRealTime(0, 1)
		c.Schedule(time.Hour.Nanoseconds(), func() { t.Error("event ran after Close") })
		c.Close()
		c.Close() // idempotent
		time.Sleep(2 * time.Hour)
		if got := c.Pending(); got != 1 {
			t.Errorf("Pending() = %d after Close, want 1", got)
		}
	})
	// Concurrent Close calls must not double-close the stop channel.
	for i := 0; i < 100; i++ {
		synctest.Test(t, func(t *testing.T) {
			c := NewRealTime(0, 1)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() { defer wg.Done(); <-start; c.Close() }()
			}
			close(start)
			wg.Wait()
		})
	}
}
