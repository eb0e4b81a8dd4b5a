package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vmemu/vmemu/examples"
	"github.com/vmemu/vmemu/report"
	"github.com/vmemu/vmemu/scenario"
)

// failKinds are the --fail-on values and the metrics each one tests.
var failKinds = map[string][]string{
	"hazard":         {"hazards"},
	"race":           {"races"},
	"cpu-unsync":     {"cpu-unsync"},
	"fault":          {"faults"},
	"forced-wait":    {"forced-waits"},
	"stall":          {"stalls"},
	"use-after-free": {"use-after-free"},
	"any":            {"hazards", "forced-waits", "stalls"},
}

// outputFlags are the report flags run and demo share.
type outputFlags struct {
	json     bool
	perfetto string
	svg      string
	log      bool
	noCheck  bool
}

func (o *outputFlags) declare(fs *pflag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "print one JSON object per run instead of the human summary")
	fs.StringVar(&o.perfetto, "perfetto", "", "write a Chrome/Perfetto trace-event timeline to `FILE` (open in ui.perfetto.dev)")
	fs.StringVar(&o.svg, "svg", "", "write a self-contained SVG timeline to `FILE`")
	fs.BoolVarP(&o.log, "verbose", "v", false, "list every command with its time and outcome")
	fs.BoolVar(&o.noCheck, "no-check", false, "switch the hazard checker off")
}

var runOpts struct {
	out     outputFlags
	policy  string
	compare bool
	failOn  []string
}

func runFlags(fs *pflag.FlagSet) {
	runOpts.out = outputFlags{}
	runOpts.out.declare(fs)
	fs.StringVarP(&runOpts.policy, "policy", "p", "", "run under `POLICY` instead of the script's: implicit, explicit or explicit-per-op")
	fs.BoolVar(&runOpts.compare, "compare-policies", false, "run each file under every policy and print a side-by-side table")
	fs.StringSliceVar(&runOpts.failOn, "fail-on", nil, "exit 1 if the run has any `KIND`: hazard (race, cpu-unsync, use-after-free, fault), race, cpu-unsync, fault, forced-wait, stall, use-after-free, any")
}

const runExample = `vmemu run examples/e1-map-without-wait.vmemu
vmemu run --policy implicit examples/e1-map-without-wait.vmemu
vmemu run --compare-policies examples/e4-early-free.vmemu
vmemu run --fail-on hazard --json my-driver.vmemu
vmemu run --perfetto trace.json --svg timeline.svg examples/*.vmemu`

// loadScripts parses every file first, so a syntax error anywhere stops
// everything before anything runs.
func loadScripts(files []string) ([]*scenario.Script, error) {
	var ss []*scenario.Script
	var errs []error
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, &usageError{err}
		}
		s, err := scenario.Parse(f, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ss = append(ss, s)
	}
	if len(errs) > 0 {
		return nil, &scriptError{errors.Join(errs...)}
	}
	return ss, nil
}

// scriptError is a scenario that does not parse (exit status 2: the
// input is wrong, nothing ran).
type scriptError struct{ err error }

func (e *scriptError) Error() string { return "scenario errors:\n" + e.err.Error() }
func (e *scriptError) Unwrap() error { return e.err }

func runRun(_ *pflag.FlagSet, args []string, stdout, _ io.Writer) error {
	if len(args) == 0 {
		return usagef("run needs at least one scenario FILE")
	}
	pol := scenario.PolicyDefault
	if runOpts.policy != "" {
		p, err := scenario.ParsePolicy(runOpts.policy)
		if err != nil {
			return &usageError{err}
		}
		pol = p
	}
	if runOpts.compare && pol != scenario.PolicyDefault {
		return usagef("--compare-policies and --policy exclude each other")
	}
	for _, k := range runOpts.failOn {
		if _, ok := failKinds[k]; !ok {
			return usagef("--fail-on: unknown kind %q (hazard, race, cpu-unsync, fault, forced-wait, stall, use-after-free, any)", k)
		}
	}
	ss, err := loadScripts(args)
	if err != nil {
		return err
	}
	var all []*scenario.Result
	for _, s := range ss {
		if runOpts.compare {
			var rs []*scenario.Result
			for _, p := range scenario.Policies() {
				r, err := scenario.Run(s, scenario.Options{Policy: p, NoCheck: runOpts.out.noCheck})
				if err != nil {
					return err
				}
				rs = append(rs, r)
			}
			all = append(all, rs...)
			if !runOpts.out.json {
				if err := report.Compare(stdout, rs); err != nil {
					return err
				}
			}
			continue
		}
		r, err := scenario.Run(s, scenario.Options{Policy: pol, NoCheck: runOpts.out.noCheck})
		if err != nil {
			return err
		}
		all = append(all, r)
		if !runOpts.out.json {
			if err := report.Text(stdout, r, report.TextOptions{Log: runOpts.out.log}); err != nil {
				return err
			}
		}
	}
	if err := writeOutputs(stdout, &runOpts.out, "vmemu run", all); err != nil {
		return err
	}
	return verdict(all, runOpts.failOn, runOpts.compare)
}

func writeOutputs(stdout io.Writer, o *outputFlags, title string, rs []*scenario.Result) error {
	if o.json {
		if err := report.JSON(stdout, rs...); err != nil {
			return err
		}
	}
	write := func(path string, fn func(io.Writer) error) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if o.perfetto != "" {
		if err := write(o.perfetto, func(w io.Writer) error { return report.Perfetto(w, rs...) }); err != nil {
			return err
		}
	}
	if o.svg != "" {
		if err := write(o.svg, func(w io.Writer) error { return report.SVG(w, title, rs...) }); err != nil {
			return err
		}
	}
	return nil
}

// verdict turns failed runs and --fail-on kinds into an error (exit 1).
// Under --compare-policies, a run stopped by an errno or a failed expect
// is part of the comparison, not a failure.
func verdict(rs []*scenario.Result, failOn []string, compare bool) error {
	var msgs []string
	for _, r := range rs {
		name := fmt.Sprintf("%s [%s]", r.Script.Name, r.Policy)
		if !compare {
			if r.Err != nil {
				msgs = append(msgs, fmt.Sprintf("%s: stopped: %v", name, r.Err))
			}
			for _, f := range r.Failures {
				msgs = append(msgs, fmt.Sprintf("%s: %s", name, f))
			}
		}
		for _, k := range failOn {
			for _, m := range failKinds[k] {
				if v := r.Metric(m); v > 0 {
					msgs = append(msgs, fmt.Sprintf("%s: --fail-on %s: %s=%d", name, k, m, v))
				}
			}
		}
	}
	if len(msgs) > 0 {
		return &checkError{msgs}
	}
	return nil
}

// checkError is a failed check (exit status 1).
type checkError struct{ msgs []string }

func (e *checkError) Error() string {
	if len(e.msgs) == 1 {
		return "check failed: " + e.msgs[0]
	}
	return fmt.Sprintf("%d checks failed:\n  %s", len(e.msgs), strings.Join(e.msgs, "\n  "))
}

var demoOpts struct {
	out  outputFlags
	list bool
}

func demoFlags(fs *pflag.FlagSet) {
	demoOpts.out = outputFlags{}
	demoOpts.out.declare(fs)
	fs.BoolVar(&demoOpts.list, "list", false, "list the demo's scenarios and print them")
}

const demoExample = `vmemu demo
vmemu demo --svg demo.svg --perfetto demo.json
vmemu demo --list`

func runDemo(_ *pflag.FlagSet, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usagef("demo takes no arguments")
	}
	items := examples.Demo()
	if demoOpts.list {
		for _, it := range items {
			src, err := examples.FS.ReadFile(it.File)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "### %s (policy %s)\n%s\n", it.File, it.Policy, src)
		}
		return nil
	}
	o := &demoOpts.out
	if !o.json {
		fmt.Fprint(stdout, demoIntro)
	}
	var rs []*scenario.Result
	for _, it := range items {
		src, err := examples.FS.ReadFile(it.File)
		if err != nil {
			return err
		}
		s, err := scenario.Parse("examples/"+it.File, src)
		if err != nil {
			return err
		}
		pol, err := scenario.ParsePolicy(it.Policy)
		if err != nil {
			return err
		}
		r, err := scenario.Run(s, scenario.Options{Policy: pol, NoCheck: o.noCheck})
		if err != nil {
			return err
		}
		rs = append(rs, r)
		if !o.json {
			fmt.Fprintf(stdout, "-- %s\n", it.Why)
			if err := report.Text(stdout, r, report.TextOptions{Log: o.log}); err != nil {
				return err
			}
		}
	}
	if err := writeOutputs(stdout, o, "vmemu demo: the 2022 EXPLICIT rules", rs); err != nil {
		return err
	}
	if !o.json {
		fmt.Fprint(stdout, "Next: vmemu run --compare-policies examples/e4-early-free.vmemu, vmemu demo --svg demo.svg,\n"+
			"and docs/scenarios.md to write your own.\n")
	}
	// The demo's scenarios state their expected outcome; a failure here
	// means vmemu's model changed.
	return verdict(rs, nil, false)
}

const demoIntro = `vmemu demo: the amdgpu EXPLICIT VM-update rules (amd-gfx, "Explicit VM updates",
June 2022), run on an emulated navi31 with a virtual clock. Each scenario is an
embedded file under examples/; run one yourself with 'vmemu run FILE'.

`
