package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vmemu/vmemu/scenario"
)

// Compare writes a side-by-side table of runs of one script under several
// policies: the view a uAPI designer wants.
func Compare(w io.Writer, rs []*scenario.Result) error {
	if len(rs) == 0 {
		return nil
	}
	ew := &errWriter{w: w}
	type row struct {
		name string
		f    func(r *scenario.Result) string
	}
	n := func(f func(s *scenario.Stats) int64) func(r *scenario.Result) string {
		return func(r *scenario.Result) string { return fmt.Sprint(f(&r.Stats)) }
	}
	ns := func(f func(s *scenario.Stats) int64) func(r *scenario.Result) string {
		return func(r *scenario.Result) string { return scenario.FormatNS(f(&r.Stats)) }
	}
	rows := []row{
		{"ioctls", n(func(s *scenario.Stats) int64 { return int64(s.Ioctls) })},
		{"GPU jobs", n(func(s *scenario.Stats) int64 { return int64(s.Jobs) })},
		{"  CS / PT / kernel", func(r *scenario.Result) string {
			return fmt.Sprintf("%d / %d / %d", r.Stats.CSJobs, r.Stats.PTJobs, r.Stats.KernelJobs)
		}},
		{"GPU busy", ns(func(s *scenario.Stats) int64 { return s.BusyNS })},
		{"GPU idle at", ns(func(s *scenario.Stats) int64 { return s.EndNS })},
		{"faults", n(func(s *scenario.Stats) int64 { return int64(s.Faults) })},
		{"forced waits", func(r *scenario.Result) string {
			return fmt.Sprintf("%d (%s)", r.Stats.ForcedWaits, scenario.FormatNS(r.Stats.ForcedWaitNS))
		}},
		{"implicit stalls", func(r *scenario.Result) string {
			return fmt.Sprintf("%d (%s)", r.Stats.Stalls, scenario.FormatNS(r.Stats.StallNS))
		}},
		{"races", func(r *scenario.Result) string {
			if !r.Checked {
				return "-"
			}
			return fmt.Sprint(r.Metric("races"))
		}},
		{"cpu-unsync", func(r *scenario.Result) string {
			if !r.Checked {
				return "-"
			}
			return fmt.Sprint(r.Metric("cpu-unsync"))
		}},
		{"evictions", n(func(s *scenario.Stats) int64 { return int64(s.Evictions) })},
		{"VRAM high-water", func(r *scenario.Result) string { return fmtBytes(r.Stats.VRAMHigh) }},
		{"GTT high-water", func(r *scenario.Result) string { return fmtBytes(r.Stats.GTTHigh) }},
		{"outcome", func(r *scenario.Result) string {
			switch {
			case r.Err != nil:
				return fmt.Sprintf("stopped %d:%d %s", r.Err.Pos.Line, r.Err.Pos.Col, errShort(r.Err.Err))
			case len(r.Failures) > 0:
				return fmt.Sprintf("%d check(s) failed", len(r.Failures))
			}
			return "ok"
		}},
	}
	cells := make([][]string, len(rows))
	width := make([]int, len(rs)+1)
	head := []string{"policy"}
	for _, r := range rs {
		head = append(head, r.Policy.String())
	}
	for i, h := range head {
		width[i] = len([]rune(h))
	}
	for i, rw := range rows {
		cells[i] = append(cells[i], rw.name)
		for _, r := range rs {
			cells[i] = append(cells[i], rw.f(r))
		}
		for j, c := range cells[i] {
			width[j] = max(width[j], len([]rune(c)))
		}
	}
	line := func(cs []string) {
		var b strings.Builder
		for j, c := range cs {
			pad := width[j] - len([]rune(c))
			if j == 0 {
				b.WriteString(c + strings.Repeat(" ", pad))
			} else {
				b.WriteString("  " + strings.Repeat(" ", pad) + c)
			}
		}
		ew.printf("   %s\n", strings.TrimRight(b.String(), " "))
	}
	ew.printf("== %s (%s): policies side by side\n", rs[0].Script.Title, rs[0].Script.Name)
	line(head)
	sep := make([]string, len(head))
	for j := range sep {
		sep[j] = strings.Repeat("─", width[j])
	}
	line(sep)
	for _, cs := range cells {
		line(cs)
	}
	for _, r := range rs {
		if r.Err != nil {
			ew.printf("   %s: %v\n", r.Policy, r.Err)
		}
	}
	ew.printf("\n")
	return ew.err
}

func errShort(err error) string {
	if n := scenario.ErrnoName(err); n != "" {
		return n
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
