package sim

import (
	"math/rand"
	"slices"
	"testing"
)

// TestPostScheduleCancelOrder mixes Post, Schedule and Cancel at random,
// from outside and from inside events, and checks that events run in
// (time, scheduling order), cancelled ones never, and that Cancel and At
// answer as for a queue of handles.
func TestPostScheduleCancelOrder(t *testing.T) {
	type rec struct{ at, order int64 }
	for seed := int64(0); seed < 50; seed++ {
		rng := rand.New(rand.NewSource(seed))
		c := NewVirtual(0)
		var ran, want []rec
		var handles []*Event
		orderOf := map[*Event]int64{}
		cancelled := map[int64]bool{}
		order := int64(0)
		var add func(at int64)
		add = func(at int64) {
			o := order
			order++
			at = max(at, c.Now())
			want = append(want, rec{at, o})
			fn := func() {
				ran = append(ran, rec{c.Now(), o})
				if rng.Intn(4) == 0 { // schedule more from an event
					add(c.Now() + int64(rng.Intn(50)))
				}
			}
			if rng.Intn(2) == 0 {
				c.Post(at, fn)
				return
			}
			e := c.Schedule(at, fn)
			if e.At() != at {
				t.Fatalf("seed %d: At() = %d, want %d", seed, e.At(), at)
			}
			handles = append(handles, e)
			orderOf[e] = o
		}
		for i := 0; i < 200; i++ {
			add(int64(rng.Intn(1000)))
			if len(handles) > 0 && rng.Intn(4) == 0 {
				h := handles[rng.Intn(len(handles))]
				o := orderOf[h]
				if got := c.Cancel(h); got != !cancelled[o] {
					t.Fatalf("seed %d: Cancel = %v, want %v", seed, got, !cancelled[o])
				}
				cancelled[o] = true
			}
		}
		if c.RunAll() != len(want)-len(cancelled) {
			t.Fatalf("seed %d: RunAll ran %d events, want %d", seed, len(ran), len(want)-len(cancelled))
		}
		exp := slices.DeleteFunc(slices.Clone(want), func(r rec) bool { return cancelled[r.order] })
		slices.SortStableFunc(exp, func(a, b rec) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return int(a.order - b.order)
		})
		if !slices.Equal(ran, exp) {
			t.Fatalf("seed %d: ran %v\nwant %v", seed, ran, exp)
		}
		for _, h := range handles {
			if c.Cancel(h) {
				t.Fatalf("seed %d: Cancel after the run = true", seed)
			}
		}
	}
}
