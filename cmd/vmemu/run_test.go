package main

import (
	"bytes"
	"errors"
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
		out, _, err := runArgs(c.name, "--help")
		if err != nil {
			t.Errorf("%s --help: %v", c.name, err)
		}
		if !strings.Contains(out, "Usage: vmemu "+c.name) || !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help output:\n%s", c.name, out)
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
