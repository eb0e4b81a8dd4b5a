package kernel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Series are the kernel series the harness knows how to find.
var Series = []string{"6.12", "6.1"}

// PackageEnv returns the environment variable that pins the package of a
// series (VMEMU_KERNEL_PKG_6_12 for "6.12").
func PackageEnv(series string) string {
	return "VMEMU_KERNEL_PKG_" + strings.ReplaceAll(series, ".", "_")
}

// CacheDir is where packages and extracted trees are kept between runs:
// $VMEMU_KERNEL_CACHE, else $XDG_CACHE_HOME/vmemu-kernel, else
// ~/.cache/vmemu-kernel.
func CacheDir() string {
	if d := os.Getenv("VMEMU_KERNEL_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "vmemu-kernel")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "vmemu-kernel")
	}
	return filepath.Join(home, ".cache", "vmemu-kernel")
}

var (
	re612 = regexp.MustCompile(`^linux-image-6\.12\.(\d+)\+deb12-amd64$`)
	re61  = regexp.MustCompile(`^linux-image-6\.1\.0-(\d+)-amd64$`)
)

// ResolvePackage returns the linux-image package of series: the pinned
// one ($VMEMU_KERNEL_PKG_6_12, …), else the newest apt knows (6.12: from
// bookworm-security, linux-image-6.12.N+deb12-amd64; 6.1: the dependency
// of linux-image-amd64), else the newest already in the cache.
func ResolvePackage(series string) (string, error) {
	if p := os.Getenv(PackageEnv(series)); p != "" {
		return p, nil
	}
	var re *regexp.Regexp
	switch series {
	case "6.12":
		re = re612
	case "6.1":
		re = re61
		if out, err := exec.Command("apt-cache", "depends", "linux-image-amd64").Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if re61.MatchString(f) {
					return f, nil
				}
			}
		}
	default:
		return "", fmt.Errorf("unknown kernel series %q (known: %v)", series, Series)
	}
	var names []string
	if out, err := exec.Command("apt-cache", "search", "--names-only", "^linux-image-6").Output(); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 0 && re.MatchString(f[0]) {
				names = append(names, f[0])
			}
		}
	}
	if len(names) == 0 {
		debs, _ := filepath.Glob(filepath.Join(CacheDir(), "debs", "linux-image-*.deb"))
		for _, d := range debs {
			if n, _, ok := strings.Cut(filepath.Base(d), "_"); ok && re.MatchString(n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("no %s kernel package: apt-cache knows none matching %s and none is cached (run apt-get update?)", series, re)
	}
	num := func(n string) int { v, _ := strconv.Atoi(re.FindStringSubmatch(n)[1]); return v }
	slices.SortFunc(names, func(a, b string) int { return num(a) - num(b) })
	return names[len(names)-1], nil
}

// Kernel is an extracted kernel package.
type Kernel struct {
	Series  string
	Package string
	Deb     string // the .deb in the cache
	Root    string // where dpkg -x put it
	Release string // uname -r, the directory under lib/modules
	Vmlinuz string
}

// cachedDeb returns the cached .deb of pkg, if any.
func cachedDeb(dir, pkg string) string {
	m, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(m) == 0 {
		return ""
	}
	slices.Sort(m)
	return m[len(m)-1]
}

// Fetch downloads pkg into the cache (apt-get download) unless it is
// there, and extracts it (dpkg -x, then depmod: the .deb ships no
// modules.dep).
func Fetch(series, pkg string, logf func(string, ...any)) (*Kernel, error) {
	cache := CacheDir()
	debs := filepath.Join(cache, "debs")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return nil, err
	}
	deb := cachedDeb(debs, pkg)
	if deb == "" {
		logf("apt-get download %s", pkg)
		cmd := exec.Command("apt-get", "download", pkg)
		cmd.Dir = debs
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("apt-get download %s: %v\n%s", pkg, err, out)
		}
		if deb = cachedDeb(debs, pkg); deb == "" {
			return nil, fmt.Errorf("apt-get download %s left no .deb in %s", pkg, debs)
		}
	} else {
		logf("cached %s", deb)
	}
	root := filepath.Join(cache, "root", strings.TrimSuffix(filepath.Base(deb), ".deb"))
	done := filepath.Join(root, ".extracted")
	if _, err := os.Stat(done); err != nil {
		os.RemoveAll(root)
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, err
		}
		logf("dpkg -x %s", filepath.Base(deb))
		if out, err := exec.Command("dpkg", "-x", deb, root).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("dpkg -x: %v\n%s", err, out)
		}
	}
	mods, _ := filepath.Glob(filepath.Join(root, "lib", "modules", "*"))
	if len(mods) != 1 {
		return nil, fmt.Errorf("%s: want one lib/modules/<release>, found %v", root, mods)
	}
	k := &Kernel{Series: series, Package: pkg, Deb: deb, Root: root, Release: filepath.Base(mods[0])}
	k.Vmlinuz = filepath.Join(root, "boot", "vmlinuz-"+k.Release)
	if _, err := os.Stat(k.Vmlinuz); err != nil {
		return nil, fmt.Errorf("no kernel image: %v", err)
	}
	if _, err := os.Stat(done); err != nil {
		if out, err := exec.Command("depmod", "-b", root, k.Release).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("depmod: %v\n%s", err, out)
		}
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Modules are the modules the VM loads, with their dependencies.
var Modules = []string{"virtio_pci", "virtio_blk", "amdgpu", "vgem", "virtio-gpu"}

// InsmodOrder returns the module files to insmod, in order (modprobe
// --show-depends; built-in modules are skipped).
func (k *Kernel) InsmodOrder() ([]string, error) {
	var order []string
	seen := map[string]bool{}
	for _, m := range Modules {
		out, err := exec.Command("modprobe", "-d", k.Root, "-S", k.Release, "--show-depends", m).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("modprobe --show-depends %s: %v\n%s", m, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "insmod" || seen[f[1]] {
				continue
			}
			seen[f[1]] = true
			order = append(order, f[1])
		}
	}
	if len(order) == 0 {
		return nil, errors.New("no module to load")
	}
	return order, nil
}
