package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/vmemu/vmemu/scenario"
)

// SVG layout, in px.
const (
	svgWidth  = 1120
	labelW    = 250
	plotX     = labelW + 20
	plotW     = svgWidth - plotX - 30
	rowH      = 26
	rowGap    = 6
	panelHead = 64
	panelGap  = 28
)

var kindFill = map[string]string{
	"cs":   "#4e79a7",
	"pt":   "#59a14f",
	"move": "#9c755f",
	"wait": "#bab0ac",
}

var flowStroke = map[string]string{
	"dep":    "#4e79a7",
	"kernel": "#59a14f",
	"forced": "#f28e2b",
	"stall":  "#edc948",
	"race":   "#e15759",
}

// SVG writes a self-contained SVG timeline of runs, one panel per run:
// a row per client CPU, ring and page-table queue, jobs as bars, fence
// dependencies as arrows, faults, forced waits and stalls as markers.
func SVG(w io.Writer, title string, rs ...*scenario.Result) error {
	var b strings.Builder
	height := 70
	for _, r := range rs {
		height += panelHeight(r) + panelGap
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
<title>%s</title>
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#e8e4e1"/><line x1="0" y1="0" x2="0" y2="6" stroke="#bab0ac" stroke-width="3"/></pattern>
</defs>
<rect width="100%%" height="100%%" fill="#ffffff"/>
`, svgWidth, height, svgWidth, height, esc(title))
	fmt.Fprintf(&b, `<text x="20" y="28" font-size="18" font-weight="bold" fill="#222">%s</text>`+"\n", esc(title))
	legend(&b, 20, 50)
	y := 70
	for _, r := range rs {
		panel(&b, r, y)
		y += panelHeight(r) + panelGap
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func panelHeight(r *scenario.Result) int {
	return panelHead + len(r.Timeline.Tracks)*(rowH+rowGap) + 10
}

func legend(b *strings.Builder, x, y int) {
	items := []struct{ label, shape, color string }{
		{"CS job", "rect", kindFill["cs"]},
		{"page-table update", "rect", kindFill["pt"]},
		{"kernel move/clear", "rect", kindFill["move"]},
		{"client waiting", "hatch", ""},
		{"fault / hazard", "fault", "#e15759"},
		{"forced wait (E4)", "forced", flowStroke["forced"]},
		{"implicit stall", "forced", flowStroke["stall"]},
		{"fence dependency", "line", "#777"},
		{"race", "race", flowStroke["race"]},
	}
	for _, it := range items {
		switch it.shape {
		case "rect":
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="16" height="10" rx="2" fill="%s"/>`, x, y-9, it.color)
		case "hatch":
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="16" height="10" rx="2" fill="url(#hatch)"/>`, x, y-9)
		case "fault":
			fmt.Fprintf(b, `<path d="%s" fill="%s"/>`, faultPath(float64(x+8), float64(y-4), 6), it.color)
		case "forced":
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="16" height="4" fill="%s"/>`, x, y-6, it.color)
		case "race":
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="5,3"/>`, x, y-4, x+16, y-4, it.color)
		case "line":
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5" marker-end="url(#arrow)"/>`, x, y-4, x+16, y-4, it.color)
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#333">%s</text>`+"\n", x+21, y, esc(it.label))
		x += 30 + int(float64(len(it.label))*6.6)
	}
}

// faultPath is a small star-burst for a fault at (cx, cy).
func faultPath(cx, cy, r float64) string {
	var p strings.Builder
	for i := 0; i < 16; i++ {
		rr := r
		if i%2 == 1 {
			rr = r * 0.45
		}
		a := float64(i) * math.Pi / 8
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&p, "%s%.1f,%.1f ", cmd, cx+rr*math.Sin(a), cy-rr*math.Cos(a))
	}
	p.WriteString("z")
	return p.String()
}

// niceStep picks a tick step of 1, 2 or 5 × 10^k ns giving ≤ 10 ticks.
func niceStep(end int64) int64 {
	if end <= 0 {
		return 1
	}
	raw := float64(end) / 8
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			return int64(m * pow)
		}
	}
	return int64(10 * pow)
}

func panel(b *strings.Builder, r *scenario.Result, y0 int) {
	tl := &r.Timeline
	end := tl.End
	if end <= 0 {
		end = 1
	}
	step := niceStep(end)
	end = ((end + step - 1) / step) * step
	x := func(ns int64) float64 { return float64(plotX) + float64(ns)/float64(end)*float64(plotW) }
	rowY := func(track int) int { return y0 + panelHead + track*(rowH+rowGap) }

	s := &r.Stats
	fmt.Fprintf(b, "<g>\n")
	fmt.Fprintf(b, `<text x="20" y="%d" font-size="15" font-weight="bold" fill="#222">%s</text>`, y0+16, esc(r.Script.Title))
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" fill="#555" text-anchor="end">policy <tspan font-weight="bold" fill="%s">%s</tspan> · %s</text>`+"\n",
		svgWidth-30, y0+16, policyColor(r.Policy), r.Policy, esc(r.Script.Name))
	summary := fmt.Sprintf("%d faults · %d forced waits (%s) · %d stalls (%s) · GPU busy %s · %d ioctls",
		s.Faults, s.ForcedWaits, scenario.FormatNS(s.ForcedWaitNS), s.Stalls, scenario.FormatNS(s.StallNS),
		scenario.FormatNS(s.BusyNS), s.Ioctls)
	if n := r.Metric("races"); n > 0 {
		summary += fmt.Sprintf(" · %d races", n)
	}
	if n := r.Metric("cpu-unsync"); n > 0 {
		summary += fmt.Sprintf(" · %d CPU accesses without sync", n)
	}
	if s.Evictions > 0 {
		summary += fmt.Sprintf(" · %d evictions", s.Evictions)
	}
	col := "#555"
	if s.Faults > 0 || r.Metric("races") > 0 || r.Err != nil {
		col = "#c03030"
	}
	fmt.Fprintf(b, `<text x="20" y="%d" fill="%s">%s</text>`+"\n", y0+34, col, esc(summary))
	// Axis.
	ay := y0 + panelHead - 8
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`+"\n", plotX, ay, plotX+plotW, ay)
	bottom := rowY(len(tl.Tracks)) - rowGap
	for t := int64(0); t <= end; t += step {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`, x(t), ay, x(t), bottom)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" fill="#777" text-anchor="middle">%s</text>`+"\n", x(t), ay-4, scenario.FormatNS(t))
	}
	// Rows.
	for _, tr := range tl.Tracks {
		ry := rowY(tr.ID)
		bg := "#f7f7f7"
		if tr.ID%2 == 1 {
			bg = "#fbfbfb"
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, plotX, ry, plotW, rowH, bg)
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#333" text-anchor="end">%s</text>`+"\n", plotX-8, ry+rowH/2+4, esc(clip(tr.Name, 38)))
	}
	// Slices.
	byJob := map[uint64]scenario.Slice{}
	for _, sl := range tl.Slices {
		ry := rowY(sl.Track)
		x0, x1 := x(sl.Start), x(sl.End)
		wd := math.Max(x1-x0, 2)
		tip := fmt.Sprintf("%s\n%s – %s (%s)", sl.Name, scenario.FormatNS(sl.Start), scenario.FormatNS(sl.End), scenario.FormatNS(sl.End-sl.Start))
		if sl.Line > 0 {
			tip += fmt.Sprintf("\n%s:%d", r.Script.Name, sl.Line)
		}
		if sl.Job != 0 {
			byJob[sl.Job] = sl
			tip += "\nfence " + sl.Fence
			if sl.Queued < sl.Start {
				// Queued but waiting: a faint bar before the job.
				fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" opacity="0.18"/>`,
					x(sl.Queued), ry+rowH/2-2, x(sl.Start)-x(sl.Queued), 4, kindFill[sl.Kind])
			}
		}
		fill := kindFill[sl.Kind]
		if sl.Kind == "wait" {
			fill = "url(#hatch)"
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s"><title>%s</title></rect>`,
			x0, ry+3, wd, rowH-6, fill, esc(tip))
		label := strings.TrimPrefix(strings.TrimPrefix(sl.Name, "CS: "), "PT update: ")
		if maxc := int((wd - 8) / 6.6); maxc >= 4 {
			tc := "#fff"
			if sl.Kind == "wait" {
				tc = "#444"
			}
			fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="11" fill="%s" pointer-events="none">%s</text>`, x0+4, ry+rowH/2+4, tc, esc(clip(label, maxc)))
		}
		b.WriteString("\n")
	}
	// Flows.
	for _, f := range tl.Flows {
		from, ok1 := byJob[f.From]
		to, ok2 := byJob[f.To]
		if !ok1 || !ok2 {
			continue
		}
		x0, y0f := x(from.End), float64(rowY(from.Track)+rowH/2)
		x1, y1 := x(to.Start), float64(rowY(to.Track)+rowH/2)
		if from.Track == to.Track {
			y0f -= rowH / 2
			y1 -= rowH / 2
		}
		dx := math.Max(math.Abs(x1-x0)/2, 12)
		width := "1.3"
		if f.Kind == "forced" || f.Kind == "stall" {
			width = "2.2"
		}
		if f.Kind == "race" {
			// The two sides of a race: no order between them.
			xa, xb := x(from.Start), x(to.Start)
			fmt.Fprintf(b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="5,3"><title>race: %s ↔ %s (nothing orders them)</title></path>`+"\n",
				xa+6, y0f, xa+40, y0f, xb+40, y1, xb+6, y1, flowStroke["race"], esc(from.Name), esc(to.Name))
			continue
		}
		fmt.Fprintf(b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="%s" opacity="0.8" marker-end="url(#arrow)"><title>fence %s: %s → %s</title></path>`+"\n",
			x0, y0f, x0+dx, y0f, x1-dx, y1, x1, y1, flowStroke[f.Kind], width, f.Kind, esc(from.Name), esc(to.Name))
	}
	// Marks.
	for _, m := range tl.Marks {
		ry := rowY(m.Track)
		mx := x(m.Time)
		tip := m.Name
		if m.Detail != "" {
			tip += "\n" + m.Detail
		}
		switch m.Kind {
		case "fault", "race":
			fmt.Fprintf(b, `<path d="%s" fill="#e15759" stroke="#fff" stroke-width="0.8"><title>%s</title></path>`+"\n", faultPath(mx, float64(ry+rowH/2), 9), esc(tip))
			callout(b, mx+12, ry-2, m.Name+": "+m.Detail, "#c03030")
		case "forced-wait", "stall":
			c := flowStroke["forced"]
			if m.Kind == "stall" {
				c = flowStroke["stall"]
			}
			fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="5" fill="%s"><title>%s</title></rect>`, x(m.Time-m.CostNS), ry-1, mx-x(m.Time-m.CostNS), c, esc(tip))
			fmt.Fprintf(b, `<path d="M%.1f,%d l-6,-8 h12 z" fill="%s"><title>%s</title></path>`+"\n", mx, ry+3, c, esc(tip))
			callout(b, mx+8, ry-2, m.Name, "#b05a00")
		case "timeout":
			fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="16" fill="#e15759" text-anchor="middle">⏱<title>%s</title></text>`+"\n", mx, ry+rowH/2+5, esc(tip))
		case "ioctl":
			fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555" stroke-width="1.2"><title>%s</title></line>`+"\n", mx, ry+4, mx, ry+rowH-4, esc(tip))
		}
	}
	b.WriteString("</g>\n")
}

// callout writes a short note just above a row, right of a marker,
// moved left if it would leave the plot.
func callout(b *strings.Builder, x float64, y int, text, color string) {
	text = clip(text, 70)
	w := float64(len([]rune(text))) * 5.6
	anchor := "start"
	if x+w > float64(plotX+plotW) {
		x -= 24
		anchor = "end"
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" font-weight="bold" fill="%s" text-anchor="%s" stroke="#fff" stroke-width="3" paint-order="stroke">%s</text>`+"\n", x, y, color, anchor, esc(text))
}

func policyColor(p scenario.Policy) string {
	switch p {
	case scenario.Implicit:
		return "#76b7b2"
	case scenario.Explicit:
		return "#b07aa1"
	}
	return "#ff9da7"
}

func esc(s string) string { return html.EscapeString(s) }
