package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/profile"
)

// usageError marks a command-line mistake (exit status 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCode maps run's error to the exit status: 0 success, 2 usage
// errors and scenarios that do not parse (nothing ran), 1 anything else —
// a failed check, --fail-on, an I/O error.
func exitCode(err error) int {
	var ue *usageError
	var se *scriptError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue), errors.As(err, &se):
		return 2
	}
	return 1
}

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

type command struct {
	name    string
	summary string
	// run parses args with fs and runs the command.
	run func(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error
	// flags declares the command's flags on fs (may be nil).
	flags   func(fs *pflag.FlagSet)
	args    string // positional arguments, for the usage line
	example string
}

func commands() []*command {
	return []*command{
		{name: "run", summary: "run scenario files and report what the kernel did", run: runRun, flags: runFlags,
			args: "FILE...", example: runExample},
		{name: "demo", summary: "run the embedded EXPLICIT-rules scenarios and print the reports", run: runDemo, flags: demoFlags,
			example: demoExample},
		{name: "info", summary: "print an emulated device profile", run: runInfo, flags: infoFlags,
			example: "vmemu info\nvmemu info --profile navi31\nvmemu info --list"},
		{name: "bench", summary: "measure the CS, engine and GEM_VA paths against their same-run baselines and targets", run: runBench,
			flags: benchFlags, example: benchExample},
		{name: "version", summary: "print vmemu's version and the DRM version it reports", run: runVersion,
			example: "vmemu version"},
	}
}

// run is the whole CLI: main only maps its error to an exit status.
func run(args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 {
		printUsage(stderr, cmds)
		return usagef("no command given")
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		if len(args) > 1 {
			for _, c := range cmds {
				if c.name == args[1] {
					return run([]string{c.name, "--help"}, stdout, stderr)
				}
			}
		}
		printUsage(stdout, cmds)
		return nil
	}
	for _, c := range cmds {
		if c.name != name {
			continue
		}
		fs := pflag.NewFlagSet("vmemu "+c.name, pflag.ContinueOnError)
		fs.SetOutput(stderr)
		if c.flags != nil {
			c.flags(fs)
		}
		fs.Usage = func() {
			usage := "vmemu " + c.name + " [flags]"
			if c.args != "" {
				usage += " " + c.args
			}
			fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s.\n\n", usage, c.summary)
			if fs.HasFlags() {
				fmt.Fprintf(fs.Output(), "Flags:\n%s\n", fs.FlagUsages())
			}
			if c.example != "" {
				fmt.Fprintf(fs.Output(), "Examples:\n  %s\n", strings.ReplaceAll(c.example, "\n", "\n  "))
			}
		}
		// pflag prints the usage itself when it meets -h/--help; silence
		// it during parsing so that help is printed once, to stdout.
		fs.SetOutput(io.Discard)
		err := fs.Parse(args[1:])
		fs.SetOutput(stderr)
		if err != nil {
			if errors.Is(err, pflag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return nil
			}
			return &usageError{err}
		}
		return c.run(fs, fs.Args(), stdout, stderr)
	}
	printUsage(stderr, cmds)
	return usagef("unknown command %q", name)
}

func printUsage(w io.Writer, cmds []*command) {
	fmt.Fprintf(w, "vmemu emulates amdgpu GPU virtual memory and command submission.\n\nUsage: vmemu COMMAND [flags]\n\nCommands:\n")
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'vmemu COMMAND --help' for a command's flags and examples.\n")
}

var infoProfile *string
var infoList *bool

func infoFlags(fs *pflag.FlagSet) {
	infoProfile = fs.StringP("profile", "p", "", "profile to print (default "+profile.DefaultName+")")
	infoList = fs.Bool("list", false, "list the profile names")
}

func runInfo(fs *pflag.FlagSet, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usagef("info takes no arguments, got %q", args)
	}
	if *infoList {
		for _, n := range profile.Names() {
			fmt.Fprintln(stdout, n)
		}
		return nil
	}
	if _, err := profile.Lookup(*infoProfile); err != nil {
		return &usageError{err}
	}
	dev, err := amdgpu.New(amdgpu.Config{Profile: *infoProfile})
	if err != nil {
		return err
	}
	defer dev.Close()
	p := dev.Profile()
	return p.Describe(stdout)
}

func runVersion(_ *pflag.FlagSet, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	ver := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		ver = bi.Main.Version
	}
	p, _ := profile.Lookup("")
	fmt.Fprintf(stdout, "vmemu %s\nemulates %s KMS %d.%d.%d\n", ver, p.DRM.Name, p.DRM.Major, p.DRM.Minor, p.DRM.Patch)
	return nil
}
