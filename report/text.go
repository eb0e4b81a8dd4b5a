// Package report renders scenario results (package scenario) for people
// and machines: a human summary, JSON lines, a side-by-side comparison of
// policies, a Chrome/Perfetto trace-event timeline and a self-contained SVG
// timeline.
//
// All output is deterministic: it depends only on the results, which
// depend only on the scripts (the emulator runs on a virtual clock).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/scenario"
)

// TextOptions tune Text.
type TextOptions struct {
	// Log lists every command with its time and outcome.
	Log bool
	// About prints the script's leading comment.
	About bool
	// MaxReports bounds the checker reports printed in full (0: 5).
	MaxReports int
}

// Text writes the human summary of one run.
func Text(w io.Writer, r *scenario.Result, o TextOptions) error {
	ew := &errWriter{w: w}
	s := &r.Stats
	p := ew.printf
	p("== %s  [%s]  (%s)\n", r.Script.Title, r.Policy, r.Script.Name)
	if o.About && r.Script.About != "" {
		for _, l := range strings.Split(r.Script.About, "\n") {
			p("   | %s\n", l)
		}
	}
	if o.Log {
		p("   log:\n")
		for _, e := range r.Log {
			t := scenario.FormatNS(e.Start)
			if e.End > e.Start {
				t += "–" + scenario.FormatNS(e.End)
			}
			p("   %4d  %-14s %-44s → %s\n", e.Line, t, clip(e.Src, 44), e.Outcome)
		}
	}
	p("   ioctls     %d\n", s.Ioctls)
	p("   jobs       %d (CS %d, page-table updates %d, kernel moves/clears %d)\n", s.Jobs, s.CSJobs, s.PTJobs, s.KernelJobs)
	var rings []string
	for _, rb := range s.Rings {
		rings = append(rings, fmt.Sprintf("%s %s/%d", rb.Name, scenario.FormatNS(rb.BusyNS), rb.Jobs))
	}
	p("   GPU busy   %s (%s); idle at %s\n", scenario.FormatNS(s.BusyNS), strings.Join(rings, ", "), scenario.FormatNS(s.EndNS))
	p("   faults     %d\n", s.Faults)
	p("   forced     %d waits, %s (E4: memory freed before its unmap was waited for)\n", s.ForcedWaits, scenario.FormatNS(s.ForcedWaitNS))
	p("   stalls     %d implicit-sync stalls, %s\n", s.Stalls, scenario.FormatNS(s.StallNS))
	p("   memory     VRAM high-water %s, GTT high-water %s, %d evictions, %s moved\n",
		fmtBytes(s.VRAMHigh), fmtBytes(s.GTTHigh), s.Evictions, fmtBytes(s.BytesMoved))
	var hz []string
	for _, h := range s.Hazards {
		hz = append(hz, fmt.Sprintf("%s %d", h.Kind, h.Unique))
	}
	if len(hz) == 0 {
		hz = []string{"none"}
	}
	note := ""
	if !r.Checked {
		note = " (hazard checker not wired into the device: races not detected)"
	}
	p("   hazards    %s%s\n", strings.Join(hz, ", "), note)
	if s.UseAfterFree > 0 {
		p("   USE AFTER FREE %d: the kernel model let the GPU reach released memory (a vmemu bug)\n", s.UseAfterFree)
	}
	if s.Deadlocks > 0 {
		p("   deadlocks  %d waits could never end\n", s.Deadlocks)
	}
	max := o.MaxReports
	if max == 0 {
		max = 5
	}
	for i, rep := range r.Reports {
		if i == max {
			p("   … %d more reports (--json for all)\n", len(r.Reports)-max)
			break
		}
		if rep.Kind == check.KindImplicitStall && i > 0 {
			continue
		}
		for _, l := range strings.Split(strings.TrimRight(rep.Text(), "\n"), "\n") {
			p("   %s\n", l)
		}
	}
	if r.Err != nil {
		p("   STOPPED    %v\n", r.Err)
	}
	for _, f := range r.Failures {
		p("   FAILED     %s\n", f)
	}
	if r.Err == nil && len(r.Failures) == 0 && len(r.Script.Expects) > 0 {
		var cs []string
		for _, e := range r.Script.Expects {
			when := e.When
			if when == scenario.PolicyDefault {
				when = r.Script.Policy
			}
			if when != r.Policy {
				continue
			}
			for _, c := range e.Conds {
				cs = append(cs, c.String())
			}
		}
		if len(cs) > 0 {
			p("   expect     ok: %s\n", strings.Join(cs, " "))
		}
	}
	p("\n")
	return ew.err
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func fmtBytes(n uint64) string {
	switch {
	case n == 0:
		return "0"
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dG", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// jsonRun is the JSON form of one run.
type jsonRun struct {
	Scenario string              `json:"scenario"`
	Title    string              `json:"title"`
	Policy   string              `json:"policy"`
	Failed   bool                `json:"failed"`
	Checked  bool                `json:"checked"`
	Stats    scenario.Stats      `json:"stats"`
	Failures []string            `json:"failures,omitempty"`
	Error    string              `json:"error,omitempty"`
	Reports  []check.Report      `json:"reports,omitempty"`
	Events   []scenario.Mark     `json:"events,omitempty"`
	Log      []scenario.LogEntry `json:"log,omitempty"`
}

// JSON writes one JSON object per run, one per line: the counters, the
// failures, the checker's reports, the faults/forced waits/stalls as
// events, and the command log.
func JSON(w io.Writer, rs ...*scenario.Result) error {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		j := jsonRun{Scenario: r.Script.Name, Title: r.Script.Title, Policy: r.Policy.String(), Checked: r.Checked,
			Stats: r.Stats, Reports: r.Reports, Log: r.Log, Failed: r.Failed()}
		for _, m := range r.Timeline.Marks {
			if m.Kind != "ioctl" {
				j.Events = append(j.Events, m)
			}
		}
		if r.Err != nil {
			j.Error = r.Err.Error()
		}
		for _, f := range r.Failures {
			j.Failures = append(j.Failures, f.String())
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}
