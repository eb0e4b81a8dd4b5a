package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/spf13/pflag"

	"github.com/vmemu/vmemu/bench"
)

const benchExample = `vmemu bench
vmemu bench --only cs-bo-list --rounds 5
vmemu bench --large --json > bench.json
vmemu bench --fail-on-target   # exit 1 if a ratio misses its target`

var (
	benchRounds *int
	benchOnly   *string
	benchLarge  *bool
	benchJSON   *bool
	benchFail   *bool
)

func benchFlags(fs *pflag.FlagSet) {
	benchRounds = fs.IntP("rounds", "r", 3, "rounds of baseline then subject per case; the median ratio is reported")
	benchOnly = fs.String("only", "", "run only the cases whose name matches this regular expression")
	benchLarge = fs.Bool("large", false, "add the 1M-mapping GEM_VA case (seconds and about 1 GiB)")
	benchJSON = fs.Bool("json", false, "print the results as JSON")
	benchFail = fs.Bool("fail-on-target", false, "exit with status 1 when a ratio exceeds its target")
}

// errTargetMissed is --fail-on-target's failure (exit status 1).
var errTargetMissed = errors.New("a ratio exceeds its target")

func runBench(_ *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return usagef("bench takes no arguments, got %q", args)
	}
	if *benchRounds < 1 {
		return usagef("--rounds must be at least 1, got %d", *benchRounds)
	}
	var only *regexp.Regexp
	if *benchOnly != "" {
		var err error
		if only, err = regexp.Compile(*benchOnly); err != nil {
			return usagef("--only: %v", err)
		}
	}
	var cases []bench.Case
	for _, c := range bench.Cases(*benchLarge) {
		if only == nil || only.MatchString(c.Name) {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return usagef("--only %q matches no case", *benchOnly)
	}
	var results []bench.Result
	missed := false
	if !*benchJSON {
		fmt.Fprintf(stdout, "%-28s %12s %12s %7s %7s\n", "case", "vmemu", "baseline", "ratio", "target")
	}
	for _, c := range cases {
		if *benchJSON {
			fmt.Fprintf(stderr, "%s...\n", c.Name)
		}
		r := bench.Run(c, *benchRounds)
		results = append(results, r)
		missed = missed || !r.Met
		if !*benchJSON {
			verdict := "met"
			if !r.Met {
				verdict = "MISSED"
			}
			fmt.Fprintf(stdout, "%-28s %9.0f ns %9.0f ns %6.2f× %5.1f× %s\n", r.Name, r.Subject, r.Baseline,
				r.Ratio, r.Target, verdict)
		}
	}
	if *benchJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "\nns per %s; each ratio is the median over %d rounds of baseline and subject run back to back.\n",
			"unit (BO for cs-bo-list, job for engine-nop, MAP+UNMAP pair for gem-va)", *benchRounds)
	}
	if missed && *benchFail {
		return errTargetMissed
	}
	return nil
}
