package bench

import (
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), tc.in...)
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", in, got, tc.want)
		}
		for i := range in { // the input is not reordered
			if in[i] != tc.in[i] {
				t.Errorf("median reordered its input: %v", tc.in)
			}
		}
	}
}

// TestCases checks every case names a subject, a baseline and a unit, and
// that --large adds only the 1M GEM_VA case.
func TestCases(t *testing.T) {
	small, large := Cases(false), Cases(true)
	if len(large) != len(small)+1 || !strings.Contains(large[len(large)-1].Name, "n=1000000") {
		t.Errorf("Cases(true) adds %d cases, last %q", len(large)-len(small), large[len(large)-1].Name)
	}
	seen := map[string]bool{}
	for _, c := range large {
		if c.Subject == nil || c.Baseline == nil || c.Unit == "" || c.PerOp < 1 || c.Target <= 0 {
			t.Errorf("%s: incomplete case %+v", c.Name, c)
		}
		if seen[c.Name] {
			t.Errorf("duplicate case %s", c.Name)
		}
		seen[c.Name] = true
	}
}
