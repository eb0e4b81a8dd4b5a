// Command kernel-harness boots Debian kernels under QEMU with the
// conformance suite, runs the same suite on vmemu, and compares the two
// test by test (package tests/kernel). .ci/kernel.sh runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vmemu/vmemu/tests/kernel"
)

func main() {
	kernels := flag.String("kernels", "6.12,6.1", "kernel series to boot")
	out := flag.String("out", "", "output directory (default: a new temporary one)")
	timeout := flag.Duration("timeout", 8*time.Minute, "wall-clock limit of one VM")
	update := flag.Bool("update", false, "copy the results and tracefs formats into tests/kernel/testdata")
	root := flag.String("root", ".", "the module root")
	flag.Parse()
	log.SetFlags(log.Ltime)
	ctx := context.Background()
	if err := kernel.Prerequisites(); err != nil {
		log.Fatal(err)
	}
	if *out == "" {
		d, err := os.MkdirTemp("", "vmemu-kernel-out-")
		if err != nil {
			log.Fatal(err)
		}
		*out = d
	}
	start := time.Now()
	bin, err := kernel.BuildTestBinary(ctx, *root, *out)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("built %s (%.1fs)", bin, time.Since(start).Seconds())
	vm := filepath.Join(*out, "vmemu.jsonl")
	if err := kernel.RunVmemu(ctx, bin, vm); err != nil {
		log.Fatal(err)
	}
	log.Printf("vmemu run: %s", vm)
	failed := false
	var runs []string
	for _, s := range strings.Split(*kernels, ",") {
		t0 := time.Now()
		res, err := kernel.RunKernel(ctx, s, bin, *out, *timeout, log.Printf)
		if err != nil {
			log.Printf("FAIL %s: %v", s, err)
			failed = true
			continue
		}
		log.Printf("%s (%s): VM %.1fs, total %.1fs", s, res.Kernel.Package, res.Elapsed.Seconds(), time.Since(t0).Seconds())
		runs = append(runs, s)
	}
	known, err := kernel.LoadKnown(filepath.Join(*root, "tests/kernel/testdata/known_differences.json"))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range runs {
		rep, err := kernel.CompareFiles(vm, filepath.Join(*out, s, "results.jsonl"), s, known)
		if err != nil {
			log.Printf("FAIL %s: %v", s, err)
			failed = true
			continue
		}
		fmt.Printf("== vmemu vs Linux %s\n%s", s, rep)
		os.WriteFile(filepath.Join(*out, s, "comparison.txt"), []byte(rep.String()), 0o644)
		if len(rep.Unexplained) > 0 {
			failed = true
		}
		if *update {
			if err := kernel.UpdateFixtures(filepath.Join(*root, "tests/kernel/testdata"), vm, filepath.Join(*out, s), s); err != nil {
				log.Fatal(err)
			}
		}
	}
	log.Printf("results in %s (%.1fs)", *out, time.Since(start).Seconds())
	if failed {
		os.Exit(1)
	}
}
