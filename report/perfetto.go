package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/vmemu/vmemu/scenario"
)

// TraceEvent is one event of the Chrome trace-event format (the JSON
// that ui.perfetto.dev and chrome://tracing open). Times are µs.
type TraceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	TS   float64        `json:"ts"`
	Dur  *float64       `json:"dur,omitempty"`
	PID  int            `json:"pid"`
	TID  int            `json:"tid"`
	ID   string         `json:"id,omitempty"`
	BP   string         `json:"bp,omitempty"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// Trace is a trace-event file: {"traceEvents": […]}.
type Trace struct {
	TraceEvents     []TraceEvent `json:"traceEvents"`
	DisplayTimeUnit string       `json:"displayTimeUnit"`
}

func us(ns int64) float64 { return float64(ns) / 1000 }

// PerfettoTrace builds the trace of runs: one process per run, one thread
// (track) per client CPU, ring, VM page-table update queue and kernel
// entity; jobs and waits as complete events, fence dependencies as flows,
// faults, forced waits, stalls and ioctls as instant events.
func PerfettoTrace(rs ...*scenario.Result) *Trace {
	t := &Trace{DisplayTimeUnit: "ns", TraceEvents: []TraceEvent{}}
	flowID := 0
	for i, r := range rs {
		pid := i + 1
		t.TraceEvents = append(t.TraceEvents,
			TraceEvent{Name: "process_name", Ph: "M", PID: pid, Args: map[string]any{"name": fmt.Sprintf("%s [%s]", r.Script.Title, r.Policy)}},
			TraceEvent{Name: "process_sort_index", Ph: "M", PID: pid, Args: map[string]any{"sort_index": pid}})
		for _, tr := range r.Timeline.Tracks {
			tid := tr.ID + 1
			t.TraceEvents = append(t.TraceEvents,
				TraceEvent{Name: "thread_name", Ph: "M", PID: pid, TID: tid, Args: map[string]any{"name": tr.Name}},
				TraceEvent{Name: "thread_sort_index", Ph: "M", PID: pid, TID: tid, Args: map[string]any{"sort_index": tid}})
		}
		byJob := map[uint64]scenario.Slice{}
		for _, s := range r.Timeline.Slices {
			d := us(s.End - s.Start)
			args := map[string]any{"kind": s.Kind}
			if s.Line > 0 {
				args["line"] = fmt.Sprintf("%s:%d", r.Script.Name, s.Line)
			}
			if s.Job != 0 {
				args["job"] = s.Job
				args["fence"] = s.Fence
				args["queued_us"] = us(s.Queued)
				byJob[s.Job] = s
			}
			if s.Error != 0 {
				args["error"] = s.Error
			}
			t.TraceEvents = append(t.TraceEvents, TraceEvent{Name: s.Name, Cat: s.Kind, Ph: "X", TS: us(s.Start), Dur: &d,
				PID: pid, TID: s.Track + 1, Args: args})
		}
		for _, f := range r.Timeline.Flows {
			from, ok1 := byJob[f.From]
			to, ok2 := byJob[f.To]
			if !ok1 || !ok2 {
				continue
			}
			flowID++
			id := fmt.Sprint(flowID)
			// The start binds to the producer's slice (inside it), the
			// end to the slice that encloses the consumer's start.
			st := from.End
			if from.End > from.Start {
				st = from.End - 1
			}
			t.TraceEvents = append(t.TraceEvents,
				TraceEvent{Name: "fence " + f.Kind, Cat: "fence", Ph: "s", TS: us(st), PID: pid, TID: from.Track + 1, ID: id},
				TraceEvent{Name: "fence " + f.Kind, Cat: "fence", Ph: "f", BP: "e", TS: us(to.Start), PID: pid, TID: to.Track + 1, ID: id})
		}
		for _, m := range r.Timeline.Marks {
			args := map[string]any{}
			if m.Detail != "" {
				args["detail"] = m.Detail
			}
			if m.CostNS != 0 {
				args["cost_ns"] = m.CostNS
			}
			t.TraceEvents = append(t.TraceEvents, TraceEvent{Name: m.Name, Cat: m.Kind, Ph: "i", S: "t", TS: us(m.Time),
				PID: pid, TID: m.Track + 1, Args: args})
		}
	}
	return t
}

// Perfetto writes the trace of runs as JSON.
func Perfetto(w io.Writer, rs ...*scenario.Result) error {
	b, err := json.MarshalIndent(PerfettoTrace(rs...), "", " ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
