package kernel

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// BuildTestBinary compiles the conformance suite as a static binary
// (CGO_ENABLED=0 go test -c) into dir and returns its path. The same
// binary runs on the host against vmemu and in the VM against the kernel.
func BuildTestBinary(ctx context.Context, moduleRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "conformance.test")
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-trimpath", "-o", bin, "./tests/conformance")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go test -c ./tests/conformance: %v\n%s", err, out)
	}
	return bin, nil
}

// RunVmemu runs the test binary on the host against vmemu with the
// recorder on, writing the records to out.
func RunVmemu(ctx context.Context, bin, out string) error {
	os.Remove(out)
	cmd := exec.CommandContext(ctx, bin, "-test.count=1")
	cmd.Env = append(os.Environ(), "VMEMU_CONFORMANCE_OUT="+out, "VMEMU_CONFORMANCE_DRM=")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("vmemu conformance run: %v\n%s", err, b)
	}
	return nil
}

// RunKernel fetches the newest kernel of series, boots it with bin and
// collects the results into out/<series>.
func RunKernel(ctx context.Context, series, bin, out string, timeout time.Duration, logf func(string, ...any)) (*Result, error) {
	pkg, err := ResolvePackage(series)
	if err != nil {
		return nil, err
	}
	k, err := Fetch(series, pkg, logf)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(out, series)
	os.RemoveAll(dir)
	return Boot(ctx, k, Options{TestBinary: bin, Out: dir, Timeout: timeout, Logf: logf})
}
