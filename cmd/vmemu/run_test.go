package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmemu/vmemu/profile"
)

func runArgs(args ...string) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	err = run(args, &o, &e)
	return o.String(), e.String(), err
}

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

func TestHelpEverySubcommand(t *testing.T) {
	for _, c := range commands() {
		out, errOut, err := runArgs(c.name, "--help")
		if err != nil {
			t.Errorf("%s --help: %v", c.name, err)
		}
		if !strings.Contains(out, "Usage: vmemu "+c.name) || !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help output:\n%s", c.name, out)
		}
		// Once, on stdout: pflag's own usage print must not add a copy.
		if n := strings.Count(out, "Usage:"); n != 1 || errOut != "" {
			t.Errorf("%s --help: usage printed %d times on stdout, stderr %q", c.name, n, errOut)
		}
	}
	out, _, err := runArgs("--help")
	if err != nil || !strings.Contains(out, "Commands:") {
		t.Errorf("top-level help: %v\n%s", err, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"info", "--no-such-flag"},
		{"info", "extra"},
		{"info", "--profile", "nonesuch"},
		{"version", "x"},
	} {
		_, _, err := runArgs(args...)
		if !isUsage(err) {
			t.Errorf("%q: err %v, want a usage error (exit 2)", args, err)
		}
	}
}

func TestInfoEveryProfile(t *testing.T) {
	for _, name := range profile.Names() {
		out, _, err := runArgs("info", "--profile", name)
		if err != nil {
			t.Fatalf("info %s: %v", name, err)
		}
		if !strings.Contains(out, "profile      "+name) || !strings.Contains(out, "amdgpu 3.65.0") {
			t.Errorf("info %s:\n%s", name, out)
		}
	}
	out, _, err := runArgs("info", "--list")
	if err != nil || strings.Fields(out)[0] != profile.Names()[0] {
		t.Errorf("info --list: %v %q", err, out)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runArgs("version")
	if err != nil || !strings.Contains(out, "KMS 3.65.0") {
		t.Errorf("version: %v %q", err, out)
	}
}

func writeScenario(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const raceScenario = `policy explicit
client app
ctx gfx
ctx compute
bo data
bo cmds size=8K
syncobj mapped
map data va=0x100000 out=mapped
map cmds va=0x200000 out=mapped
wait-syncobj mapped
ib a bo=cmds
    writes data 4K
    busy 10us
ib b bo=cmds offset=4K ip=compute
    writes data 4K
    busy 10us
submit a ctx=gfx ib=a
submit b ctx=compute ib=b
wait a b
`

func TestRunFailOnHazard(t *testing.T) {
	f := writeScenario(t, "race.vmemu", raceScenario)
	out, _, err := runArgs("run", f)
	if err != nil {
		t.Fatalf("run without --fail-on: %v\n%s", err, out)
	}
	if !strings.Contains(out, "race (WAW)") {
		t.Errorf("no race report:\n%s", out)
	}
	_, _, err = runArgs("run", "--fail-on", "hazard", f)
	if exitCode(err) != 1 || !strings.Contains(fmt.Sprint(err), "--fail-on hazard: hazards=1") {
		t.Errorf("--fail-on hazard: exit %d, err %v", exitCode(err), err)
	}
	_, _, err = runArgs("run", "--fail-on", "forced-wait", f)
	if err != nil {
		t.Errorf("--fail-on forced-wait: %v", err)
	}
}

func TestRunSyntaxError(t *testing.T) {
	f := writeScenario(t, "bad.vmemu", "client app\nbo data size=4K\nmap data va=oops\n")
	_, _, err := runArgs("run", f)
	if exitCode(err) != 2 {
		t.Fatalf("exit %d, want 2: %v", exitCode(err), err)
	}
	want := f + `:3:10: map: va=: "oops" is not a number`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error:\n%v\nwant it to contain\n%s", err, want)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--no-such-flag", "x.vmemu"},
		{"run"},
		{"run", "--policy", "sometimes", "x.vmemu"},
		{"run", "--fail-on", "boredom", "x.vmemu"},
		{"run", "--policy", "implicit", "--compare-policies", "x.vmemu"},
		{"demo", "--bogus"},
		{"demo", "extra"},
		{"bench", "--rounds", "0"},
		{"bench", "--only", "("},
		{"bench", "--only", "no-such-case"},
		{"bench", "extra"},
	} {
		_, stderr, err := runArgs(args...)
		if exitCode(err) != 2 {
			t.Errorf("%q: exit %d (%v), want 2", args, exitCode(err), err)
		}
		if len(args) > 1 && strings.Contains(args[1], "--no-such") && !strings.Contains(stderr+err.Error(), "unknown flag: --no-such-flag") {
			t.Errorf("%q: unclear message %v / %s", args, err, stderr)
		}
	}
}

func TestComparePolicies(t *testing.T) {
	out, _, err := runArgs("run", "--compare-policies", "../../examples/e1-map-without-wait.vmemu")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"implicit", "explicit", "explicit-per-op", "faults", "forced waits"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	svg, trace := filepath.Join(dir, "demo.svg"), filepath.Join(dir, "demo.json")
	out, _, err := runArgs("demo", "--svg", svg, "--perfetto", trace)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, w := range []string{"E1", "E4", "E5", "[implicit]", "race", "forced-wait"} {
		if !strings.Contains(out, w) {
			t.Errorf("demo output lacks %q", w)
		}
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("demo SVG is not well-formed XML: %v", err)
		}
	}
	j, err := os.ReadFile(trace)
	if err != nil || !json.Valid(j) {
		t.Fatalf("perfetto trace: %v", err)
	}
	again, _, _ := runArgs("demo")
	if again != out {
		t.Error("demo output is not deterministic")
	}
}

func TestJSONOutput(t *testing.T) {
	out, _, err := runArgs("run", "--json", "../../examples/e4-early-free.vmemu")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Policy string `json:"policy"`
		Stats  struct {
			ForcedWaits int `json:"forced_waits"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Policy != "explicit" || v.Stats.ForcedWaits != 1 {
		t.Errorf("json %v %+v:\n%s", err, v, out)
	}
}

// TestBench runs one small case as text and as JSON. It checks the report's
// shape and arithmetic, not the figures: timing is for benchmarks, never
// asserted in a test.
func TestBench(t *testing.T) {
	const only = "^cs-bo-list/n=100/explicit$"
	out, _, err := runArgs("bench", "--rounds", "1", "--only", only)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "cs-bo-list/n=100/explicit") || !strings.Contains(out, "3.0×") {
		t.Errorf("text report:\n%s", out)
	}
	out, _, err = runArgs("bench", "--rounds", "1", "--json", "--only", only)
	if err != nil {
		t.Fatal(err)
	}
	var rs []struct {
		Name     string  `json:"name"`
		Subject  float64 `json:"subject_ns"`
		Baseline float64 `json:"baseline_ns"`
		Ratio    float64 `json:"ratio"`
		Target   float64 `json:"target"`
		Met      bool    `json:"met"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, out)
	}
	if len(rs) != 1 || rs[0].Name != "cs-bo-list/n=100/explicit" || rs[0].Target != 3 {
		t.Fatalf("JSON report: %+v", rs)
	}
	r := rs[0]
	if r.Subject <= 0 || r.Baseline <= 0 {
		t.Fatalf("no measurement: %+v", r)
	}
	// With one round the ratio is the round's own ratio.
	if want := r.Subject / r.Baseline; r.Ratio < want*0.999 || r.Ratio > want*1.001 {
		t.Errorf("ratio %.3f, want subject/baseline %.3f", r.Ratio, want)
	}
	if r.Met != (r.Ratio <= r.Target) {
		t.Errorf("met = %v for ratio %.2f and target %.1f", r.Met, r.Ratio, r.Target)
	}
}
