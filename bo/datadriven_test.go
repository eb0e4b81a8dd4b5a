package bo

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/ww"
)

// env is the state of one bo scenario script.
type env struct {
	clock  *sim.Clock
	domain *fence.Domain
	engine *gpu.Engine
	m      *Manager
	root   *resv.Resv
	bos    map[string]*BO
	refs   map[string]Ref
	fences map[string]*fence.Fence
	ctx    uint64
}

func newEnv(t testing.TB, vram, visible, gtt uint64) *env {
	t.Helper()
	c := sim.NewVirtual(0)
	c.SetFailDeadlocks(true)
	d := fence.NewDomain(c)
	e, err := gpu.NewEngine(c, d, gpu.Config{Rings: map[gpu.IP]int{gpu.GFX: 1, gpu.SDMA: 1}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(Config{VRAMSize: vram, VisibleVRAMSize: visible, GTTSize: gtt,
		GDSSize: 4096, GWSSize: 64, OASize: 16, DoorbellSize: 1 << 20, Engine: e})
	if err != nil {
		t.Fatal(err)
	}
	return &env{clock: c, domain: d, engine: e, m: m, root: resv.New(),
		bos: map[string]*BO{}, refs: map[string]Ref{}, fences: map[string]*fence.Fence{},
		ctx: d.ContextAlloc(1)}
}

func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var e *env
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "new" {
				e = newEnv(t, sizeArg(t, d, "vram", 64<<10), sizeArg(t, d, "visible", 16<<10), sizeArg(t, d, "gtt", 64<<10))
				return ""
			}
			if e == nil {
				t.Fatalf("%s: no env; start with new", d.Pos)
			}
			out := e.handle(t, d)
			if err := e.m.Check(); err != nil {
				t.Fatalf("%s: invariant: %v\n%s", d.Pos, err, e.dump())
			}
			return out
		})
	})
}

func sizeArg(t testing.TB, d *datadriven.TestData, key string, def uint64) uint64 {
	if !d.HasArg(key) {
		return def
	}
	var s string
	d.ScanArgs(t, key, &s)
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		t.Fatalf("%s: %s=%s: %v", d.Pos, key, s, err)
	}
	return v * mult
}

func parseDomain(t testing.TB, s string) Domain {
	var d Domain
	for _, p := range strings.Split(s, "|") {
		found := false
		for _, n := range domainNames {
			if n.name == p {
				d |= n.d
				found = true
			}
		}
		if !found {
			t.Fatalf("unknown domain %q", p)
		}
	}
	return d
}

var flagNames = map[string]uint64{
	"CPU_ACCESS_REQUIRED": uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED,
	"NO_CPU_ACCESS":       uapi.AMDGPU_GEM_CREATE_NO_CPU_ACCESS,
	"VRAM_CLEARED":        uapi.AMDGPU_GEM_CREATE_VRAM_CLEARED,
	"VM_ALWAYS_VALID":     uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID,
	"EXPLICIT_SYNC":       uapi.AMDGPU_GEM_CREATE_EXPLICIT_SYNC,
	"WIPE":                uapi.AMDGPU_GEM_CREATE_VRAM_WIPE_ON_RELEASE,
	"DISCARDABLE":         uapi.AMDGPU_GEM_CREATE_DISCARDABLE,
}

func usageOf(t testing.TB, s string) resv.Usage {
	for u := resv.KERNEL; u <= resv.BOOKKEEP; u++ {
		if u.String() == s {
			return u
		}
	}
	t.Fatalf("unknown usage %q", s)
	return 0
}

func errString(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return "error: " + errnoName(en)
	}
	return "error: " + err.Error()
}

func errnoName(en syscall.Errno) string {
	switch en {
	case syscall.ENOMEM:
		return "ENOMEM"
	case syscall.ENOSPC:
		return "ENOSPC"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EFAULT:
		return "EFAULT"
	case syscall.EBUSY:
		return "EBUSY"
	}
	return en.Error()
}

func (e *env) bo(t testing.TB, d *datadriven.TestData) (string, *BO) {
	var name string
	d.ScanArgs(t, "name", &name)
	b := e.bos[name]
	if b == nil {
		t.Fatalf("%s: no BO %q", d.Pos, name)
	}
	return name, b
}

func (e *env) place(b *BO) string {
	dom, ref := b.Placement()
	if dom == 0 {
		return "none"
	}
	return fmt.Sprintf("%v pages [%#x,%#x) gen %d", dom, ref.Start, ref.Start+ref.Pages, ref.Gen)
}

// handle runs one command. Every case documents its syntax with Example.
func (e *env) handle(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "create":
		// Example: create name=a size=16K domain=VRAM|GTT [flags=CPU_ACCESS_REQUIRED,WIPE] [shared] [align=64K]
		var name, dom string
		d.ScanArgs(t, "name", &name)
		d.ScanArgs(t, "domain", &dom)
		var flags uint64
		if d.HasArg("flags") {
			var fs string
			d.ScanArgs(t, "flags", &fs)
			for _, f := range strings.Split(fs, ",") {
				v, ok := flagNames[f]
				if !ok {
					t.Fatalf("unknown flag %q", f)
				}
				flags |= v
			}
		}
		p := CreateParams{Size: sizeArg(t, d, "size", 4096), Align: sizeArg(t, d, "align", 0),
			Domain: parseDomain(t, dom), Flags: flags}
		if d.HasArg("shared") {
			x := ww.NewExec(0, 2)
			x.Begin()
			defer x.Fini()
			if err := x.Lock(e.root); err != nil {
				t.Fatal(err)
			}
			p.Resv, p.Exec = e.root, x
		}
		b, err := e.m.Create(p)
		if err != nil {
			return errString(err)
		}
		e.bos[name] = b
		return e.place(b)
	case "put":
		// Example: put name=a
		name, b := e.bo(t, d)
		delete(e.bos, name)
		b.Put()
		return ""
	case "where":
		// Example: where name=a
		_, b := e.bo(t, d)
		return fmt.Sprintf("%s moves=%d evictions=%d", e.place(b), b.Moves(), b.Evictions())
	case "write", "read":
		// Example: write name=a off=0 data=hello
		// Example: read name=a off=0 len=5
		_, b := e.bo(t, d)
		v, err := b.CPUView()
		if err != nil {
			return errString(err)
		}
		defer v.Close()
		off := int64(sizeArg(t, d, "off", 0))
		if d.Cmd == "write" {
			var data string
			d.ScanArgs(t, "data", &data)
			if _, err := v.WriteAt([]byte(data), off); err != nil {
				return errString(err)
			}
			return ""
		}
		buf := make([]byte, sizeArg(t, d, "len", 1))
		n, err := v.ReadAt(buf, off)
		if err != nil {
			return fmt.Sprintf("%q (%s)", buf[:n], errString(err))
		}
		return fmt.Sprintf("%q", buf[:n])
	case "fence":
		// Example: fence name=f
		var name string
		d.ScanArgs(t, "name", &name)
		e.fences[name] = e.domain.New(e.ctx, uint64(len(e.fences)+1))
		return ""
	case "add-fence":
		// Example: add-fence name=a fence=f usage=BOOKKEEP
		_, b := e.bo(t, d)
		var fn, us string
		d.ScanArgs(t, "fence", &fn)
		d.ScanArgs(t, "usage", &us)
		f := e.fences[fn]
		r := b.Resv()
		if err := r.Lock(nil); err != nil {
			t.Fatal(err)
		}
		if err := r.ReserveFences(1); err != nil {
			t.Fatal(err)
		}
		r.AddFence(f, usageOf(t, us))
		r.Unlock()
		return ""
	case "signal":
		// Example: signal fence=f
		var fn string
		d.ScanArgs(t, "fence", &fn)
		e.fences[fn].Signal()
		return ""
	case "run":
		// Example: run
		n := e.clock.RunAll()
		return fmt.Sprintf("ran %d events, now %d ns", n, e.clock.Now())
	case "resv":
		// Example: resv name=a
		_, b := e.bo(t, d)
		fs, us := b.Resv().FencesWithUsage(resv.BOOKKEEP)
		var lines []string
		for i, f := range fs {
			desc := "user"
			if j := gpu.JobOf(f); j != nil {
				desc = fmt.Sprintf("job on %v (kernel=%v)", j.Ring(), j.Entity().Kernel())
			}
			lines = append(lines, fmt.Sprintf("%v %s", us[i], desc))
		}
		if len(lines) == 0 {
			return "idle"
		}
		return strings.Join(lines, "\n")
	case "stats":
		// Example: stats
		return e.stats()
	case "lru":
		// Example: lru domain=VRAM
		var dom string
		d.ScanArgs(t, "domain", &dom)
		var names []string
		for _, b := range e.m.LRU(parseDomain(t, dom)) {
			names = append(names, e.nameOf(b))
		}
		return strings.Join(names, " ")
	case "touch":
		// Example: touch name=a
		_, b := e.bo(t, d)
		e.m.Touch(b)
		return ""
	case "pin", "validate":
		// Example: pin name=a domain=VRAM
		// Example: validate name=a domain=VRAM
		_, b := e.bo(t, d)
		var dom string
		d.ScanArgs(t, "domain", &dom)
		x := ww.NewExec(0, 1)
		x.Begin()
		defer x.Fini()
		if err := x.Lock(b); err != nil {
			t.Fatal(err)
		}
		var err error
		if d.Cmd == "pin" {
			err = e.m.Pin(x, b, parseDomain(t, dom))
		} else {
			err = e.m.Validate(x, b, parseDomain(t, dom))
		}
		if err != nil {
			return errString(err)
		}
		return e.place(b)
	case "unpin":
		// Example: unpin name=a
		_, b := e.bo(t, d)
		e.m.Unpin(b)
		return ""
	case "remember":
		// Example: remember name=a as=r
		_, b := e.bo(t, d)
		var as string
		d.ScanArgs(t, "as", &as)
		_, e.refs[as] = b.Placement()
		return ""
	case "access":
		// Example: access ref=r
		var r string
		d.ScanArgs(t, "ref", &r)
		var uaf *UseAfterFreeError
		if err := e.m.Access(e.refs[r]); errors.As(err, &uaf) {
			return fmt.Sprintf("use after free (now generation %d)", uaf.Current)
		} else if err != nil {
			return errString(err)
		}
		return "ok"
	}
	t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	return ""
}

func (e *env) nameOf(b *BO) string {
	for n, x := range e.bos {
		if x == b {
			return n
		}
	}
	return b.String()
}

func (e *env) stats() string {
	s := e.m.Stats()
	var b strings.Builder
	for _, d := range []Domain{VRAM, GTT} {
		p := s.Pools[d]
		fmt.Fprintf(&b, "%v: used %dK visible %dK pinned %dK ghost %dK (%d ghosts, %d allocations)\n",
			d, p.Used>>10, p.VisibleUsed>>10, p.Pinned>>10, p.Ghost>>10, p.Ghosts, p.Allocations)
	}
	fmt.Fprintf(&b, "moved %dK evictions %d cpu-faults %d live %d",
		s.BytesMoved>>10, s.Evictions, s.VRAMCPUPageFaults, s.LiveBOs)
	return b.String()
}

func (e *env) dump() string {
	var names []string
	for n := range e.bos {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s: %s\n", n, e.place(e.bos[n]))
	}
	return b.String() + e.stats()
}
