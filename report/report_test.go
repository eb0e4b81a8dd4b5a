package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/vmemu/vmemu/scenario"
)

func runExample(t *testing.T, file string, p scenario.Policy) *scenario.Result {
	t.Helper()
	src, err := os.ReadFile("../examples/" + file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	r, err := scenario.Run(s, scenario.Options{Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func results(t *testing.T) []*scenario.Result {
	return []*scenario.Result{
		runExample(t, "e1-map-without-wait.vmemu", scenario.Explicit),
		runExample(t, "e4-early-free.vmemu", scenario.Explicit),
		runExample(t, "e5-vm-ops-in-order.vmemu", scenario.Implicit),
	}
}

// The trace-event JSON follows the Chrome trace-event format's structure
// (the subset ui.perfetto.dev and chrome://tracing read): a traceEvents
// array; phases M, X, i, s, f; µs timestamps; complete events with a
// duration; flows paired by id; every thread named.
func TestPerfettoStructure(t *testing.T) {
	var buf bytes.Buffer
	if err := Perfetto(&buf, results(t)...); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var evs []map[string]any
	if err := json.Unmarshal(doc["traceEvents"], &evs); err != nil || len(evs) == 0 {
		t.Fatalf("traceEvents: %v (%d)", err, len(evs))
	}
	named := map[[2]float64]bool{}
	used := map[[2]float64]bool{}
	flows := map[string]string{}
	counts := map[string]int{}
	for i, e := range evs {
		ph, _ := e["ph"].(string)
		name, _ := e["name"].(string)
		pid, _ := e["pid"].(float64)
		tid, _ := e["tid"].(float64)
		ts, hasTS := e["ts"].(float64)
		if name == "" || !hasTS || pid < 1 {
			t.Fatalf("event %d lacks name/ts/pid: %v", i, e)
		}
		counts[ph]++
		switch ph {
		case "M":
			if name == "thread_name" {
				named[[2]float64{pid, tid}] = true
			}
			args, _ := e["args"].(map[string]any)
			if args == nil {
				t.Errorf("metadata without args: %v", e)
			}
			continue
		case "X":
			d, ok := e["dur"].(float64)
			if !ok || d < 0 {
				t.Errorf("complete event without a duration: %v", e)
			}
		case "i":
			if e["s"] != "t" {
				t.Errorf("instant not thread-scoped: %v", e)
			}
		case "s", "f":
			id, _ := e["id"].(string)
			if id == "" {
				t.Errorf("flow without id: %v", e)
			}
			flows[id] += ph
			if ph == "f" && e["bp"] != "e" {
				t.Errorf("flow end without bp=e: %v", e)
			}
		default:
			t.Errorf("unexpected phase %q", ph)
		}
		if ts < 0 || tid < 1 {
			t.Errorf("bad ts/tid: %v", e)
		}
		used[[2]float64{pid, tid}] = true
	}
	for k := range used {
		if !named[k] {
			t.Errorf("thread %v has events but no thread_name", k)
		}
	}
	for id, s := range flows {
		if s != "sf" {
			t.Errorf("flow %s: phases %q, want s then f", id, s)
		}
	}
	for _, ph := range []string{"M", "X", "i", "s", "f"} {
		if counts[ph] == 0 {
			t.Errorf("no %q events", ph)
		}
	}
	for _, want := range []string{"GPU VM fault", "forced wait (E4)", "page-table updates", "gfx_0.0.0"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

func TestSVGWellFormed(t *testing.T) {
	var buf bytes.Buffer
	if err := SVG(&buf, `a <title> & "quotes"`, results(t)...); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&buf)
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
			if se.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("root namespace %q", se.Name.Space)
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
}

func TestTextAndCompare(t *testing.T) {
	rs := results(t)
	var buf bytes.Buffer
	if err := Text(&buf, rs[1], TextOptions{Log: true}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"ioctls", "forced     1 waits", "GTT high-water", "expect     ok"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, buf.String())
		}
	}
	buf.Reset()
	var cmp []*scenario.Result
	for _, p := range scenario.Policies() {
		cmp = append(cmp, runExample(t, "e4-early-free.vmemu", p))
	}
	if err := Compare(&buf, cmp); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "0 (0ns)") || !strings.Contains(buf.String(), "1 (2µs)") {
		t.Errorf("comparison:\n%s", buf.String())
	}
}
