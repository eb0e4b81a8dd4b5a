package scenario

import (
	"errors"
	"strings"
	"testing"
)

const okScript = `# A comment block
# that is the About text.
title "ok"
policy explicit
expect faults>=1 forced-waits=0
client app
ctx gfx
bo data size=4K
bo cmds size=4K
syncobj s1 s2
map data va=0x100000 out=s1
map cmds va=0x200000 out=s1@2
ib draw bo=cmds
    write-data data+8 bytes=01020304   # trailing comment
    reads data 4K
    busy 20us
    label "draw # not a comment"
submit draw ctx=gfx ib=draw wait=s1
wait draw
read data len=8
`

func TestParseOK(t *testing.T) {
	s, err := Parse("ok.vmemu", []byte(okScript))
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "ok" || s.Policy != Explicit || len(s.Expects) != 1 || len(s.Expects[0].Conds) != 2 {
		t.Fatalf("header: %+v", s)
	}
	if s.About != "A comment block\nthat is the About text." {
		t.Errorf("About = %q", s.About)
	}
	var ib *opIB
	for _, o := range s.ops {
		if x, ok := o.(*opIB); ok {
			ib = x
		}
	}
	if ib == nil || ib.va != 0x200000 || ib.label != "draw # not a comment" || len(ib.dwords) == 0 {
		t.Fatalf("ib: %+v", ib)
	}
}

// Every error names file:line:col and its cause; nothing is returned to
// run.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown command", "frobnicate x\n", `f.vmemu:1:1: unknown command "frobnicate"`},
		{"unknown key", "bo a size=4K colour=red\n", `f.vmemu:1:14: bo: unknown argument colour=`},
		{"bad size", "bo a size=lots\n", `f.vmemu:1:6: bo: size=: "lots" is not a size`},
		{"undeclared", "ctx c\nsubmit s ctx=c ib=nope\n", `f.vmemu:2:16: unknown ib "nope"`},
		{"unmapped address", "bo a\nbo c\nmap c va=0x1000\nib i bo=c\n    write-data a bytes=00\n", `f.vmemu:5:16: write-data destination: bo "a" is not mapped here`},
		{"indent outside ib", "ctx c\n    nop\n", `f.vmemu:2:5: indented line "nop" outside an ib block`},
		{"unterminated", "title \"abc\n", `f.vmemu:1:7: unterminated string`},
		{"bad policy", "policy sometimes\n", `f.vmemu:1:8: policy: unknown policy "sometimes"`},
		{"bad expect", "expect faults~1\n", `f.vmemu:1:8: expect: "faults~1" is not a condition`},
		{"header late", "ctx c\npolicy implicit\n", `f.vmemu:2:1: policy must come before the first command`},
		{"bad errno", "bo a fails=EWHAT\n", `f.vmemu:1:6: bo: unknown errno "EWHAT"`},
		{"duplicate", "bo a\nbo a\n", `f.vmemu:2:4: "a" is already declared as a bo at 1:4`},
		{"freed", "bo a\nfree a\nwait-idle a\n", `f.vmemu:3:11: bo "a" was freed`},
		{"other client", "client x\nbo a\nclient y\nfree a\n", `f.vmemu:4:6: bo "a" belongs to client "x", not "y"`},
		{"sdma annotation", "bo c\nmap c va=0x1000\nib i bo=c ip=sdma\n    busy 1us\n", `f.vmemu:4:5: busy: not an SDMA packet`},
		{"glued", "bo a size=4K\"x\"\n", `f.vmemu:1:13: unexpected '"'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("f.vmemu", []byte(tc.src))
			if err == nil {
				t.Fatalf("parsed: %+v", s)
			}
			var el ErrorList
			if !errors.As(err, &el) || len(el) == 0 {
				t.Fatalf("error %T %v", err, err)
			}
			if !strings.HasPrefix(el[0].Error(), tc.want) {
				t.Errorf("got  %s\nwant %s…", el[0], tc.want)
			}
		})
	}
}

func TestValues(t *testing.T) {
	for s, want := range map[string]uint64{"4096": 4096, "0x1000": 4096, "4K": 4096, "4KiB": 4096, "2M": 2 << 20, "1G": 1 << 30} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for s, want := range map[string]int64{"500": 500, "500ns": 500, "20us": 20000, "3ms": 3000000, "1s": 1e9} {
		if got, err := parseDuration(s); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(okScript))
	f.Add([]byte("ib x bo=y\n    nop 3\n"))
	f.Add([]byte("expect when=implicit faults>=1\n\"\n"))
	f.Add([]byte("bo a size=0xffffffffffffffffK\nmap a va=0xffffffffffffffff size=1G\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("fuzz", src)
		if err == nil && s == nil {
			t.Fatal("nil script without error")
		}
		if err != nil {
			var el ErrorList
			if !errors.As(err, &el) || len(el) == 0 {
				t.Fatalf("error is not an ErrorList: %v", err)
			}
		}
	})
}
