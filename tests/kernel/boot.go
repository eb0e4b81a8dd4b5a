package kernel

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// QEMU is the emulator binary the harness boots.
const QEMU = "qemu-system-x86_64"

// BusyboxPath is where busybox-static installs its binary.
const BusyboxPath = "/bin/busybox"

// Prerequisites returns why the harness cannot boot a VM here, or nil:
// a missing qemu-system-x86_64, static busybox, modprobe/depmod, xz,
// dpkg or apt-get.
func Prerequisites() error {
	var missing []string
	for _, c := range []string{QEMU, "modprobe", "depmod", "xz", "dpkg"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	if out, err := exec.Command("file", "-L", BusyboxPath).Output(); err == nil && !strings.Contains(string(out), "statically linked") {
		missing = append(missing, "busybox-static ("+BusyboxPath+" is not static)")
	} else if _, err := os.Stat(BusyboxPath); err != nil {
		missing = append(missing, "busybox-static")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s (apt-get install qemu-system-x86 busybox-static kmod xz-utils)", strings.Join(missing, ", "))
	}
	return nil
}

// Options configure one boot.
type Options struct {
	// TestBinary is the static conformance test binary
	// (CGO_ENABLED=0 go test -c ./tests/conformance).
	TestBinary string
	// Out is the directory the results land in.
	Out string
	// Timeout bounds the VM's wall-clock time.
	Timeout time.Duration
	// Logf reports progress.
	Logf func(string, ...any)
}

// Result is what one boot produced.
type Result struct {
	Kernel  *Kernel
	Out     string
	Elapsed time.Duration
	// Console is the serial console log.
	Console string
}

// consoleFailures are the console lines that fail a run.
// ("panic=-1" on the kernel command line is not one of them.)
var consoleFailures = regexp.MustCompile(`(?m)^.*(Oops|BUG:|Kernel panic|panic\+0x|INSMOD_FAIL|HARNESS_FAIL|soft lockup|hung_task|Call Trace:|WARNING: CPU:).*$`)

// ScanConsole returns the lines of a console log that show a kernel oops,
// a panic, a lockup or a failed insmod.
func ScanConsole(log string) []string {
	return consoleFailures.FindAllString(log, -1)
}

// Boot builds the initramfs for k, boots it and collects /out into
// opts.Out. It fails on a timeout, a non-zero QEMU exit, a console that
// shows an oops or panic, or a guest that did not finish.
func Boot(ctx context.Context, k *Kernel, opts Options) (*Result, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "vmemu-kernel-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	order, err := k.InsmodOrder()
	if err != nil {
		return nil, err
	}
	ir := NewInitramfs()
	ir.Add("/init", 0o755, []byte(InitScript))
	if err := ir.AddFile("/bin/busybox", BusyboxPath, 0o755); err != nil {
		return nil, err
	}
	if err := ir.AddFile("/conformance.test", opts.TestBinary, 0o755); err != nil {
		return nil, err
	}
	var list []string
	for _, m := range order {
		rel, err := filepath.Rel(k.Root, m)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("module %s outside %s", m, k.Root)
		}
		if err := ir.AddFile("/"+rel, m, 0o644); err != nil {
			return nil, err
		}
		list = append(list, "/"+strings.TrimSuffix(rel, ".xz"))
	}
	ir.Add("/insmod.list", 0o644, []byte(strings.Join(list, "\n")+"\n"))
	initrd := filepath.Join(work, "initrd.cpio.gz")
	data, err := ir.Bytes()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(initrd, data, 0o644); err != nil {
		return nil, err
	}
	logf("%s: initramfs %d MB, %d modules", k.Release, len(data)>>20, len(order))

	img := filepath.Join(work, "out.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		return nil, err
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		return nil, err
	}
	console := filepath.Join(opts.Out, "console.log")
	cf, err := os.Create(console)
	if err != nil {
		return nil, err
	}
	defer cf.Close()

	tctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, QEMU, QEMUArgs(k.Vmlinuz, initrd, img)...)
	cmd.Stdout = cf
	cmd.Stderr = cf
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	logf("%s: booting (timeout %v)", k.Release, opts.Timeout)
	runErr := cmd.Run()
	res := &Result{Kernel: k, Out: opts.Out, Elapsed: time.Since(start)}
	cf.Close()
	if b, err := os.ReadFile(console); err == nil {
		res.Console = string(b)
	}
	logf("%s: VM ran %.1fs", k.Release, res.Elapsed.Seconds())
	var errs []error
	if tctx.Err() != nil {
		errs = append(errs, fmt.Errorf("%s: timeout after %v", k.Release, opts.Timeout))
	} else if runErr != nil {
		errs = append(errs, fmt.Errorf("%s: qemu: %v", k.Release, runErr))
	}
	if bad := ScanConsole(res.Console); len(bad) > 0 {
		errs = append(errs, fmt.Errorf("%s: kernel trouble on the console:\n  %s", k.Release, strings.Join(bad, "\n  ")))
	}
	if !strings.Contains(res.Console, "HARNESS_DONE") {
		errs = append(errs, fmt.Errorf("%s: the guest did not finish (no HARNESS_DONE on the console; see %s)", k.Release, console))
	}
	if err := untar(img, opts.Out); err != nil {
		errs = append(errs, fmt.Errorf("%s: results disk: %v", k.Release, err))
	} else if b, err := os.ReadFile(filepath.Join(opts.Out, "dmesg.txt")); err == nil {
		if bad := ScanConsole(string(b)); len(bad) > 0 {
			errs = append(errs, fmt.Errorf("%s: kernel trouble in dmesg:\n  %s", k.Release, strings.Join(bad, "\n  ")))
		}
	}
	return res, errors.Join(errs...)
}

// QEMUArgs is the command line: TCG, one vCPU (multi-threaded TCG hung
// or oopsed in spec/feasibility.md §4), virtio-gpu, the results disk.
func QEMUArgs(vmlinuz, initrd, img string) []string {
	return []string{
		"-accel", "tcg", "-smp", "1", "-cpu", "max", "-m", "2048",
		"-kernel", vmlinuz, "-initrd", initrd,
		"-append", "console=ttyS0 panic=-1 softlockup_panic=1",
		"-nographic", "-no-reboot", "-vga", "none",
		"-device", "virtio-gpu-pci",
		"-drive", "file=" + img + ",format=raw,if=virtio",
	}
}

// untar extracts the tar file at the start of the raw disk image into dir.
func untar(img, dir string) error {
	f, err := os.Open(img)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReader(f))
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if name == "." || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			w, err := os.Create(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, tr)
			w.Close()
			if err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return errors.New("empty: the guest wrote no results")
	}
	return nil
}
