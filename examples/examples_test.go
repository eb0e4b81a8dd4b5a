package examples

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/vmemu/vmemu/scenario"
)

// Every example parses, states its expected outcome at the top (expect
// lines and a comment naming its thread), and meets its expectations under
// every policy it states them for.
func TestExamples(t *testing.T) {
	files, err := fs.Glob(FS, "*.vmemu")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	threads := map[string]bool{}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			src, _ := FS.ReadFile(f)
			s, err := scenario.Parse(f, src)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s.About, "Expected outcome") || !strings.Contains(s.About, "spec/threads/") {
				t.Errorf("the comment at the top must name a spec/threads/ file and state the expected outcome:\n%s", s.About)
			}
			for _, th := range []string{"000_", "001_", "002_", "003_", "004_"} {
				if strings.Contains(s.About, th) {
					threads[th] = true
				}
			}
			if len(s.Expects) == 0 {
				t.Fatal("no expect line")
			}
			policies := map[scenario.Policy]bool{s.Policy: true}
			for _, e := range s.Expects {
				if e.When != scenario.PolicyDefault {
					policies[e.When] = true
				}
			}
			for _, p := range scenario.Policies() {
				if !policies[p] {
					continue
				}
				r, err := scenario.Run(s, scenario.Options{Policy: p})
				if err != nil {
					t.Fatal(err)
				}
				if r.Err != nil {
					t.Errorf("%s: stopped: %v", p, r.Err)
				}
				for _, fl := range r.Failures {
					t.Errorf("%s: %s", p, fl)
				}
				if !r.Checked {
					t.Errorf("%s: hazard checker off", p)
				}
				if r.Stats.UseAfterFree != 0 || r.Metric("use-after-free") != 0 {
					t.Errorf("%s: use after free: the model let the GPU reach released memory", p)
				}
			}
		})
	}
	for _, th := range []string{"000_", "001_", "002_", "003_", "004_"} {
		if !threads[th] {
			t.Errorf("no example for thread %s*", th)
		}
	}
}

func TestDemoFilesExist(t *testing.T) {
	for _, it := range Demo() {
		if _, err := FS.ReadFile(it.File); err != nil {
			t.Errorf("demo: %v", err)
		}
		if _, err := scenario.ParsePolicy(it.Policy); err != nil {
			t.Errorf("demo %s: %v", it.File, err)
		}
	}
}
