package kernel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vmemu/vmemu/tests/conformance"
)

// LoadRecords reads a conformance.Record JSON-lines file, by test name.
// A test recorded twice keeps its last record.
func LoadRecords(file string) (map[string]conformance.Record, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs := map[string]conformance.Record{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r conformance.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, n, err)
		}
		recs[r.Test] = r
	}
	return recs, sc.Err()
}

// Known is one entry of the table of known differences.
type Known struct {
	// Test is a test name or a path.Match pattern over it.
	Test string `json:"test"`
	// Series are the kernel series it applies to ("6.12"); empty: all.
	Series []string `json:"series,omitempty"`
	// Field is what differs: outcome, ops, async or missing.
	Field string `json:"field"`
	// Reason says why the difference is not a vmemu bug.
	Reason string `json:"reason"`
}

func (k Known) matches(test, series, field string) bool {
	if k.Field != field {
		return false
	}
	if len(k.Series) > 0 && !slices.Contains(k.Series, series) {
		return false
	}
	ok, _ := path.Match(k.Test, test)
	return ok || k.Test == test
}

// LoadKnown reads the table of known differences.
func LoadKnown(file string) ([]Known, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var ks []Known
	if err := json.Unmarshal(b, &ks); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	for i, k := range ks {
		if k.Test == "" || k.Reason == "" || !slices.Contains([]string{"outcome", "ops", "async", "missing"}, k.Field) {
			return nil, fmt.Errorf("%s: entry %d needs test, reason and a field of outcome/ops/async/missing", file, i)
		}
	}
	return ks, nil
}

// Diff is one difference between the two runs of a test.
type Diff struct {
	Test, Field   string
	Vmemu, Kernel string
	// Reason is the known difference's reason; empty if unexplained.
	Reason string
}

// Skip is a test that ran on one side only, or on neither.
type Skip struct {
	Test                      string
	VmemuReason, KernelReason string // empty: it ran on that side
}

// Report is the comparison of a vmemu run with a kernel run.
type Report struct {
	Series string
	// Compared counts the tests that ran on both sides; Identical those
	// with no difference at all.
	Compared, Identical int
	Explained           []Diff
	Unexplained         []Diff
	Skipped             []Skip
	// Unused are known differences that matched nothing.
	Unused []Known
}

// Compare diffs two runs test by test: the outcome, the ordered ops of
// the test goroutine (every errno, handle, point and value) and the set of
// ops issued from timer callbacks.
func Compare(vmemu, kern map[string]conformance.Record, series string, known []Known) *Report {
	r := &Report{Series: series}
	used := make([]bool, len(known))
	var names []string
	for n := range vmemu {
		names = append(names, n)
	}
	for n := range kern {
		if _, ok := vmemu[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	add := func(d Diff) {
		for i, k := range known {
			if k.matches(d.Test, series, d.Field) {
				used[i] = true
				d.Reason = k.Reason
				r.Explained = append(r.Explained, d)
				return
			}
		}
		r.Unexplained = append(r.Unexplained, d)
	}
	for _, n := range names {
		v, okV := vmemu[n]
		k, okK := kern[n]
		if !okV || !okK {
			d := Diff{Test: n, Field: "missing", Vmemu: "absent", Kernel: "absent"}
			if okV {
				d.Vmemu = v.Outcome
			}
			if okK {
				d.Kernel = k.Outcome
			}
			add(d)
			continue
		}
		if v.Outcome == "skip" || k.Outcome == "skip" {
			s := Skip{Test: n}
			if v.Outcome == "skip" {
				s.VmemuReason = orUnknown(v.Reason)
			}
			if k.Outcome == "skip" {
				s.KernelReason = orUnknown(k.Reason)
			}
			r.Skipped = append(r.Skipped, s)
			continue
		}
		r.Compared++
		before := len(r.Explained) + len(r.Unexplained)
		if v.Outcome != "pass" || k.Outcome != "pass" {
			add(Diff{Test: n, Field: "outcome", Vmemu: v.Outcome, Kernel: k.Outcome})
		}
		if d := diffOps(v.Ops, k.Ops); d != "" {
			add(Diff{Test: n, Field: "ops", Vmemu: d, Kernel: ""})
		}
		if !slices.Equal(v.Async, k.Async) {
			add(Diff{Test: n, Field: "async", Vmemu: strings.Join(v.Async, "; "), Kernel: strings.Join(k.Async, "; ")})
		}
		if len(r.Explained)+len(r.Unexplained) == before {
			r.Identical++
		}
	}
	for i, k := range known {
		if !used[i] && (len(k.Series) == 0 || slices.Contains(k.Series, series)) {
			r.Unused = append(r.Unused, k)
		}
	}
	return r
}

func orUnknown(s string) string {
	if s == "" {
		return "(no reason recorded)"
	}
	return s
}

// diffOps describes the first difference between two op lists, or "".
func diffOps(a, b []string) string {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("op %d: vmemu %q, kernel %q (%d vs %d ops)", i, x, y, len(a), len(b))
		}
	}
	return ""
}

// CompareFiles loads and compares two record files.
func CompareFiles(vmemuFile, kernelFile, series string, known []Known) (*Report, error) {
	v, err := LoadRecords(vmemuFile)
	if err != nil {
		return nil, err
	}
	k, err := LoadRecords(kernelFile)
	if err != nil {
		return nil, err
	}
	if len(k) == 0 {
		return nil, fmt.Errorf("%s: no records", kernelFile)
	}
	for _, check := range []struct {
		file, target string
		recs         map[string]conformance.Record
	}{{vmemuFile, "vmemu", v}, {kernelFile, "drm", k}} {
		for _, r := range check.recs {
			if r.Target != check.target {
				return nil, fmt.Errorf("%s: %s ran on target %q, want %q", check.file, r.Test, r.Target, check.target)
			}
		}
	}
	return Compare(v, k, series, known), nil
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "compared %d tests (%d identical), %d known differences, %d unexplained, %d skipped on one side or both\n",
		r.Compared, r.Identical, len(r.Explained), len(r.Unexplained), len(r.Skipped))
	for _, d := range r.Unexplained {
		fmt.Fprintf(&b, "UNEXPLAINED %s [%s]: vmemu %s | kernel %s\n", d.Test, d.Field, d.Vmemu, d.Kernel)
	}
	for _, d := range r.Explained {
		fmt.Fprintf(&b, "known %s [%s]: %s\n", d.Test, d.Field, d.Reason)
	}
	reasons := map[string]int{}
	for _, s := range r.Skipped {
		reasons[fmt.Sprintf("vmemu: %s | kernel: %s", orRan(s.VmemuReason), orRan(s.KernelReason))]++
	}
	var keys []string
	for k := range reasons {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "skipped ×%d: %s\n", reasons[k], k)
	}
	for _, k := range r.Unused {
		fmt.Fprintf(&b, "unused known difference: %s [%s]\n", k.Test, k.Field)
	}
	return b.String()
}

func orRan(s string) string {
	if s == "" {
		return "ran"
	}
	return s
}

// UpdateFixtures copies a run's records and tracefs formats into the
// testdata directory: results/vmemu.jsonl, results/<series>.jsonl,
// results/<series>-baseline-vgem.jsonl and formats/<release>/.
func UpdateFixtures(testdata, vmemuFile, runDir, series string) error {
	res := filepath.Join(testdata, "results")
	if err := os.MkdirAll(res, 0o755); err != nil {
		return err
	}
	copies := map[string]string{
		vmemuFile:                                    filepath.Join(res, "vmemu.jsonl"),
		filepath.Join(runDir, "results.jsonl"):       filepath.Join(res, series+".jsonl"),
		filepath.Join(runDir, "baseline-vgem.jsonl"): filepath.Join(res, series+"-baseline-vgem.jsonl"),
		filepath.Join(runDir, "uname.txt"):           filepath.Join(res, series+"-uname.txt"),
	}
	for src, dst := range copies {
		b, err := os.ReadFile(src)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
	}
	uname, err := os.ReadFile(filepath.Join(runDir, "uname.txt"))
	if err != nil {
		return err
	}
	dst := filepath.Join(testdata, "formats", strings.TrimSpace(string(uname)))
	os.RemoveAll(dst)
	src := filepath.Join(runDir, "formats")
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}
