package gpu

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/fence"
)

// hwSink, when on, asks for the hardware fence at every event of its job
// and records what it sees.
type hwSink struct {
	on   bool
	j    **Job
	seen []string
}

func (s *hwSink) Event(ev *Event) {
	if !s.on || ev.Job != *s.j {
		return
	}
	f := ev.Job.HWFence()
	if f == nil {
		s.seen = append(s.seen, fmt.Sprintf("%v:nil", ev.Kind))
		return
	}
	s.seen = append(s.seen, fmt.Sprintf("%v:%d:%d signaled=%v err=%d", ev.Kind.Tracepoint617(),
		f.Context(), f.Seqno(), f.SignaledFlag(), f.Error()))
}

// TestHWFenceLifetime: the hardware fence is made by the first HWFence
// call; whenever that is (before the job runs, while it runs, in its
// events, after it ended), the caller sees the same fence as if it had
// existed all along: nil until the job reaches the ring, then pending,
// signaled at the job's end before the finished fence (with -ETIME, set
// before EventTimeout, for a hang), the same pointer on every call.
func TestHWFenceLifetime(t *testing.T) {
	for _, hang := range []bool{false, true} {
		for _, ask := range []string{"end", "before", "running", "events"} {
			t.Run(fmt.Sprintf("hang=%v/ask=%s", hang, ask), func(t *testing.T) {
				var job *Job
				sink := &hwSink{on: ask == "events", j: &job}
				env := newTestEnv(t, map[IP]int{GFX: 1}, func(c *Config) {
					c.Sink = sink
					c.Timeout = map[IP]int64{GFX: 500}
				})
				r := env.e.Ring(GFX, 0)
				en := env.entity(r, "a", PriorityNormal)
				en.Push(Busy(100)) // the job waits behind it
				var w Work = Busy(200)
				if hang {
					w = WorkFunc(func(RunContext) Usage { return Usage{Hang: true} })
				}
				job = en.Push(w)
				var order []string
				var hw *fence.Fence
				if ask == "before" {
					if hw = job.HWFence(); hw != nil {
						t.Fatal("HWFence before the job reached the ring != nil")
					}
				}
				job.Finished().AddCallback(func(*fence.Fence) { order = append(order, "finished") })
				if ask == "running" {
					env.clock.RunUntil(150) // first runs 0..100, job from 100
					if job.State() != JobRunning {
						t.Fatalf("state %v, want running", job.State())
					}
					hw = job.HWFence()
					if hw == nil || hw.SignaledFlag() {
						t.Fatalf("running job's hardware fence %v", hw)
					}
					hw.AddCallback(func(*fence.Fence) { order = append(order, "hw") })
				}
				env.clock.RunAll()
				got := job.HWFence()
				if hw != nil && got != hw {
					t.Error("HWFence returned another fence")
				}
				if got != job.HWFence() {
					t.Error("HWFence is not stable")
				}
				_, start, end := job.Times()
				wantErr := int32(0)
				if hang {
					wantErr = -int32(syscall.ETIME)
				}
				if got.Context() != r.FenceContext() || got.Seqno() != 2 || !got.SignaledFlag() ||
					got.Timestamp() != end || got.Error() != wantErr || end != start+map[bool]int64{false: 200, true: 500}[hang] {
					t.Errorf("hardware fence %v at %d err %d; job %d..%d", got, got.Timestamp(), got.Error(), start, end)
				}
				if ask == "running" && (len(order) != 2 || order[0] != "hw" || order[1] != "finished") {
					t.Errorf("signal order %v, want [hw finished]", order)
				}
				if ask != "events" {
					return
				}
				ctx := r.FenceContext()
				// (EventQueued comes before Push returns the job.)
				wantSeen := []string{fmt.Sprintf("%v:%d:2 signaled=false err=0", EventRun.Tracepoint617(), ctx)}
				if hang {
					wantSeen = append(wantSeen, fmt.Sprintf("%v:%d:2 signaled=false err=%d",
						EventTimeout.Tracepoint617(), ctx, wantErr))
				}
				wantSeen = append(wantSeen, fmt.Sprintf("%v:%d:2 signaled=true err=%d",
					EventDone.Tracepoint617(), ctx, wantErr))
				if fmt.Sprint(sink.seen) != fmt.Sprint(wantSeen) {
					t.Errorf("seen by the sink %v\nwant %v", sink.seen, wantSeen)
				}
			})
		}
	}
}
