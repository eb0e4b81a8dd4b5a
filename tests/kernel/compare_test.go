package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmemu/vmemu/tests/conformance"
)

func TestCompare(t *testing.T) {
	rec := func(target, outcome string, ops ...string) conformance.Record {
		return conformance.Record{Target: target, Outcome: outcome, Ops: ops}
	}
	vm := map[string]conformance.Record{
		"T/same":     rec("vmemu", "pass", "A -> 0", "B -> -EINVAL"),
		"T/errno":    rec("vmemu", "pass", "A -> 0", "B -> -EINVAL"),
		"T/known":    rec("vmemu", "pass", "A -> 0"),
		"T/skipped":  {Target: "vmemu", Outcome: "skip", Reason: "no dma-buf"},
		"T/only-vm":  rec("vmemu", "pass"),
		"T/async":    {Target: "vmemu", Outcome: "pass", Async: []string{"S -> 0"}},
		"T/bothfail": rec("vmemu", "fail"),
	}
	k := map[string]conformance.Record{
		"T/same":     rec("drm", "pass", "A -> 0", "B -> -EINVAL"),
		"T/errno":    rec("drm", "pass", "A -> 0", "B -> -ENOENT"),
		"T/known":    rec("drm", "pass", "A -> -EINVAL"),
		"T/skipped":  rec("drm", "pass"),
		"T/async":    {Target: "drm", Outcome: "pass", Async: []string{"S -> -EINVAL"}},
		"T/bothfail": rec("drm", "fail"),
	}
	known := []Known{
		{Test: "T/kno*", Series: []string{"6.12"}, Field: "ops", Reason: "because"},
		{Test: "T/unused", Field: "ops", Reason: "never"},
		{Test: "T/errno", Series: []string{"6.1"}, Field: "ops", Reason: "other kernel"},
	}
	r := Compare(vm, k, "6.12", known)
	if r.Compared != 5 || r.Identical != 1 {
		t.Errorf("compared %d, identical %d; want 5, 1", r.Compared, r.Identical)
	}
	got := map[string]bool{}
	for _, d := range r.Unexplained {
		got[d.Test+"/"+d.Field] = true
	}
	for _, w := range []string{"T/errno/ops", "T/only-vm/missing", "T/async/async", "T/bothfail/outcome"} {
		if !got[w] {
			t.Errorf("missing unexplained difference %s; got %v", w, got)
		}
	}
	if len(r.Unexplained) != 4 {
		t.Errorf("unexplained = %+v", r.Unexplained)
	}
	if len(r.Explained) != 1 || r.Explained[0].Reason != "because" {
		t.Errorf("explained = %+v", r.Explained)
	}
	if len(r.Skipped) != 1 || r.Skipped[0].VmemuReason != "no dma-buf" || r.Skipped[0].KernelReason != "" {
		t.Errorf("skipped = %+v", r.Skipped)
	}
	if len(r.Unused) != 1 || r.Unused[0].Test != "T/unused" {
		t.Errorf("unused = %+v", r.Unused)
	}
	s := r.String()
	for _, w := range []string{"compared 5 tests (1 identical)", "UNEXPLAINED T/errno [ops]", "known T/known [ops]: because", "skipped ×1: vmemu: no dma-buf | kernel: ran"} {
		if !strings.Contains(s, w) {
			t.Errorf("report lacks %q:\n%s", w, s)
		}
	}
}

func TestLoadKnownRejectsIncompleteEntries(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.json")
	os.WriteFile(p, []byte(`[{"test":"x","field":"ops"}]`), 0o644)
	if _, err := LoadKnown(p); err == nil {
		t.Error("an entry without a reason loaded")
	}
	os.WriteFile(p, []byte(`[{"test":"x","field":"errno","reason":"r"}]`), 0o644)
	if _, err := LoadKnown(p); err == nil {
		t.Error("an entry with an unknown field loaded")
	}
}

// TestRecordedComparison compares the recorded runs in testdata/results:
// vmemu against each kernel, with the table of known differences. It is
// the check the harness makes, on the fixtures of the last real run
// (.ci/kernel.sh --update refreshes them).
func TestRecordedComparison(t *testing.T) {
	known, err := LoadKnown("testdata/known_differences.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, series := range []string{"6.12", "6.1"} {
		r, err := CompareFiles("testdata/results/vmemu.jsonl", filepath.Join("testdata/results", series+".jsonl"), series, known)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("vmemu vs %s: %s", series, strings.SplitN(r.String(), "\n", 2)[0])
		for _, d := range r.Unexplained {
			t.Errorf("%s: unexplained difference in %s [%s]: vmemu %s | kernel %s", series, d.Test, d.Field, d.Vmemu, d.Kernel)
		}
		if series == "6.12" && r.Compared < 200 {
			t.Errorf("6.12: only %d tests compared", r.Compared)
		}
	}
}

// TestRecordedBaseline checks the recorded EOPNOTSUPP baselines: on 6.1
// virtio-gpu has no syncobjs, on 6.12 vgem has none, and every syncobj
// ioctl fails before looking at its argument.
func TestRecordedBaseline(t *testing.T) {
	for _, c := range []struct{ file, eventfd string }{
		{"testdata/results/6.1.jsonl", "-EINVAL"},
		{"testdata/results/6.12-baseline-vgem.jsonl", "-EOPNOTSUPP"},
	} {
		recs, err := LoadRecords(c.file)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := recs["TestNoSyncobjDriver"]
		if !ok || r.Outcome != "pass" {
			t.Errorf("%s: TestNoSyncobjDriver = %+v, want pass", c.file, r)
			continue
		}
		n := 0
		for _, op := range r.Ops {
			if strings.HasPrefix(op, "SYNCOBJ_EVENTFD") {
				if !strings.Contains(op, "-> "+c.eventfd) {
					t.Errorf("%s: %s, want %s", c.file, op, c.eventfd)
				}
			} else if strings.HasPrefix(op, "SYNCOBJ_") {
				n++
				if !strings.Contains(op, "-> -EOPNOTSUPP") {
					t.Errorf("%s: %s, want -EOPNOTSUPP", c.file, op)
				}
			}
		}
		if n != 11 {
			t.Errorf("%s: %d syncobj ops besides EVENTFD, want 11", c.file, n)
		}
	}
}
