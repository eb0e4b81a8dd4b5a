package kernel

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestScanConsole(t *testing.T) {
	log := strings.Join([]string{
		"[    0.000000] Command line: console=ttyS0 panic=-1 softlockup_panic=1",
		"HARNESS: modules loaded",
		"[   12.1] BUG: kernel NULL pointer dereference, address: 0000000000000008",
		"[   12.2] Oops: 0000 [#1] PREEMPT SMP NOPTI",
		"INSMOD_FAIL /lib/modules/x/amdgpu.ko",
		"[   13.0] Kernel panic - not syncing: Fatal exception",
	}, "\n")
	bad := ScanConsole(log)
	if len(bad) != 4 {
		t.Errorf("ScanConsole found %q, want the 4 trouble lines", bad)
	}
	if got := ScanConsole("[0.0] Command line: console=ttyS0 panic=-1\nHARNESS_DONE\n"); len(got) != 0 {
		t.Errorf("a clean log reported %q", got)
	}
}

// readCpio parses a newc archive (what the kernel does with an initramfs).
func readCpio(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for len(b) >= 110 {
		if string(b[:6]) != "070701" {
			t.Fatalf("bad magic %q", b[:6])
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(string(b[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return int(v)
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[110 : 110+namesize-1])
		off := 110 + namesize
		off += pad4(off)
		if name == "TRAILER!!!" {
			return files
		}
		if mode&0o170000 == 0o100000 {
			files[name] = b[off : off+size]
		} else {
			files[name+"/"] = nil
		}
		off += size
		off += pad4(off)
		b = b[off:]
	}
	t.Fatal("no trailer")
	return nil
}

func TestInitramfs(t *testing.T) {
	ir := NewInitramfs()
	ir.Add("/init", 0o755, []byte(InitScript))
	ir.Add("/lib/modules/6.1.0/kernel/a.ko", 0o644, []byte("abc"))
	ir.Add("insmod.list", 0o644, []byte("/lib/modules/6.1.0/kernel/a.ko\n"))
	gz, err := ir.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	files := readCpio(t, raw)
	if string(files["init"]) != InitScript || string(files["lib/modules/6.1.0/kernel/a.ko"]) != "abc" {
		t.Errorf("archive content wrong: %d entries", len(files))
	}
	for _, d := range []string{"bin/", "dev/", "proc/", "sys/", "out/", "lib/", "lib/modules/", "lib/modules/6.1.0/kernel/"} {
		if _, ok := files[d]; !ok {
			t.Errorf("no directory %s", d)
		}
	}
}

func TestQEMUArgs(t *testing.T) {
	a := strings.Join(QEMUArgs("vmlinuz", "initrd", "out.img"), " ")
	for _, w := range []string{"-smp 1", "-accel tcg", "panic=-1 softlockup_panic=1", "-no-reboot", "-device virtio-gpu-pci", "file=out.img,format=raw,if=virtio"} {
		if !strings.Contains(a, w) {
			t.Errorf("qemu command line lacks %q: %s", w, a)
		}
	}
}

// TestBootKernel boots the newest 6.12 and 6.1 kernels with the
// conformance suite and compares each with vmemu (6.12 runs the suite on
// virtio-gpu's syncobjs; 6.1 has no syncobj driver, so there only the
// EOPNOTSUPP baseline runs and the tracepoint formats are captured). It
// needs qemu, static busybox, kmod, xz and the kernel packages (cached, or
// downloadable with apt) and takes about two minutes, so it runs only with
// VMEMU_KERNEL=1 (.ci/kernel.sh sets it). VMEMU_KERNEL_OUT keeps the
// results in a directory; VMEMU_KERNEL_UPDATE=1 copies them and the
// formats into testdata.
func TestBootKernel(t *testing.T) {
	if os.Getenv("VMEMU_KERNEL") != "1" {
		t.Skip("set VMEMU_KERNEL=1 to boot kernels under QEMU (.ci/kernel.sh does)")
	}
	if err := Prerequisites(); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	out := os.Getenv("VMEMU_KERNEL_OUT")
	if out == "" {
		out = t.TempDir()
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	bin, err := BuildTestBinary(ctx, root, out)
	if err != nil {
		t.Fatal(err)
	}
	vm := filepath.Join(out, "vmemu.jsonl")
	if err := RunVmemu(ctx, bin, vm); err != nil {
		t.Fatal(err)
	}
	t.Logf("test binary built and run on vmemu in %.1fs", time.Since(start).Seconds())
	known, err := LoadKnown("testdata/known_differences.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, series := range Series {
		t.Run(series, func(t *testing.T) {
			if _, err := ResolvePackage(series); err != nil {
				t.Skip(err)
			}
			t0 := time.Now()
			res, err := RunKernel(ctx, series, bin, out, 8*time.Minute, t.Logf)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: VM %.1fs, with fetch and initramfs %.1fs", res.Kernel.Package, res.Elapsed.Seconds(), time.Since(t0).Seconds())
			r, err := CompareFiles(vm, filepath.Join(res.Out, "results.jsonl"), series, known)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(res.Out, "comparison.txt"), []byte(r.String()), 0o644)
			t.Logf("vmemu vs %s:\n%s", series, r)
			for _, d := range r.Unexplained {
				t.Errorf("unexplained difference in %s [%s]: vmemu %s | kernel %s", d.Test, d.Field, d.Vmemu, d.Kernel)
			}
			if os.Getenv("VMEMU_KERNEL_UPDATE") == "1" {
				if err := UpdateFixtures("testdata", vm, res.Out, series); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
