package scenario

import (
	"reflect"
	"testing"
)

func mustParse(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Parse("t.vmemu", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The same script under each policy: E1 faults only under EXPLICIT.
// Reference: DESIGN.md §2 rule E1; tests/e2e TestExplicitMapNotWaitedFaults.
func TestRunPolicies(t *testing.T) {
	s := mustParse(t, okScript[strings_index(okScript, "client"):])
	for _, tc := range []struct {
		p      Policy
		faults bool
	}{{Implicit, false}, {Explicit, false}, {ExplicitPerOp, false}} {
		r, err := Run(s, Options{Policy: tc.p})
		if err != nil || r.Err != nil {
			t.Fatalf("%s: %v %v", tc.p, err, r.Err)
		}
		if (r.Stats.Faults > 0) != tc.faults {
			t.Errorf("%s: faults %d", tc.p, r.Stats.Faults)
		}
	}
	nowait := mustParse(t, `client app
ctx gfx
bo data
bo cmds
map data va=0x100000
map cmds va=0x200000
ib i bo=cmds
    write-data data bytes=01020304
submit s ctx=gfx ib=i
wait s
`)
	for p, want := range map[Policy]bool{Implicit: false, Explicit: true, ExplicitPerOp: true} {
		r, _ := Run(nowait, Options{Policy: p})
		if got := r.Stats.Faults > 0; got != want {
			t.Errorf("map without wait under %s: faults=%d", p, r.Stats.Faults)
		}
	}
}

func strings_index(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return 0
}

// An ioctl error the script did not announce stops the run at its line;
// one it announced is logged and the run goes on.
func TestRunErrors(t *testing.T) {
	s := mustParse(t, `policy explicit
client app
ctx gfx mode=explicit
bo a
map a va=0x100000 mode=implicit fails=EINVAL
map a va=0x100000 mode=implicit
bo never
`)
	r, err := Run(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Err == nil || r.Err.Pos.Line != 6 || ErrnoName(r.Err) != "EINVAL" {
		t.Fatalf("Err = %v", r.Err)
	}
	if len(r.Failures) != 0 {
		t.Errorf("failures %v", r.Failures)
	}
}

// Runs are deterministic: the same script gives the same result.
func TestRunDeterministic(t *testing.T) {
	s := mustParse(t, okScript[strings_index(okScript, "client"):])
	a, _ := Run(s, Options{})
	b, _ := Run(s, Options{})
	if !reflect.DeepEqual(a.Stats, b.Stats) || !reflect.DeepEqual(a.Timeline, b.Timeline) || !reflect.DeepEqual(a.Log, b.Log) {
		t.Fatal("two runs of one script differ")
	}
}
