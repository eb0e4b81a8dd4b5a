package gpu

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/fence"
)

// sinkScenario runs a random scenario (dependencies within an entity, on
// one ring, across rings and on user fences, DontPipeline, hangs, errors)
// with or without a Sink and returns, per job, its state, times, error and
// hardware fence, and the clock's event count.
func sinkScenario(t *testing.T, seed int64, withSink bool) []string {
	rng := rand.New(rand.NewSource(seed))
	env := newTestEnv(t, map[IP]int{GFX: 1, SDMA: 2}, func(cfg *Config) {
		if !withSink {
			cfg.Sink = nil
		}
		cfg.Timeout = map[IP]int64{GFX: 300, SDMA: 300}
		cfg.ResetTime = 10
	})
	var ents []*Entity
	for _, r := range env.e.Rings() {
		for k := 0; k < 2; k++ {
			ents = append(ents, env.entity(r, fmt.Sprintf("%s/%d", r.Name(), k), Priority(rng.Intn(numPriorities))))
		}
	}
	var users []*fence.Fence
	for k := 0; k < 3; k++ {
		f := env.domain.New(env.domain.ContextAlloc(1), 1)
		users = append(users, f)
		env.clock.Schedule(int64(rng.Intn(2000)), func() { f.Signal() })
	}
	var jobs []*Job
	for k := 0; k < 200; k++ {
		en := ents[rng.Intn(len(ents))]
		busy := Busy(rng.Intn(100))
		if rng.Intn(50) == 0 {
			busy = 1000 // times out
		}
		picks := []int{rng.Int(), rng.Int(), rng.Int()}[:rng.Intn(4)]
		dontPipeline := rng.Intn(5) == 0
		env.clock.Schedule(int64(rng.Intn(3000)), func() {
			var deps []*fence.Fence
			for _, p := range picks {
				switch {
				case p%6 == 0:
					deps = append(deps, users[p/6%len(users)])
				case len(jobs) > 0:
					dj := jobs[p/6%len(jobs)]
					if p%2 == 0 {
						deps = append(deps, dj.Scheduled())
					} else {
						deps = append(deps, dj.Finished())
					}
				}
			}
			j := en.Push(busy, deps...)
			if dontPipeline {
				j.SetDontPipeline()
			}
			jobs = append(jobs, j)
		})
	}
	env.clock.RunAll()
	out := []string{fmt.Sprintf("events %d", env.clock.Events())}
	for _, j := range jobs {
		q, s, e := j.Times()
		hw := "-"
		if f := j.HWFence(); f != nil {
			hw = fmt.Sprintf("%d:%d@%d", f.Context(), f.Seqno(), f.Timestamp())
		}
		out = append(out, fmt.Sprintf("%v %v q=%d s=%d e=%d err=%d sched@%d fin@%d hw=%s",
			j, j.State(), q, s, e, j.Finished().Error(), j.Scheduled().Timestamp(),
			j.Finished().Timestamp(), hw))
	}
	return out
}

// TestSinkDoesNotChangeSchedule: with no Sink the engine takes shorter
// paths (dependency callbacks registered under the engine lock); jobs must
// run exactly as with one.
func TestSinkDoesNotChangeSchedule(t *testing.T) {
	base := seed(t)
	for i := int64(0); i < 20; i++ {
		with, without := sinkScenario(t, base+i, true), sinkScenario(t, base+i, false)
		if diff := cmp.Diff(with, without); diff != "" {
			t.Fatalf("seed %d: schedule with a Sink (-) differs without (+):\n%s", base+i, diff)
		}
	}
}
