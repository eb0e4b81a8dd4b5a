package vm

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/syncobj"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
	"github.com/vmemu/vmemu/ww"
)

// TestScenarios runs the scripts in testdata, one scenario per file.
// Regenerate the expected output with -rewrite and review the diff.
// After every command the VM's invariants (spec §2.13.5) are checked.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		e := &env{}
		defer e.close()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out := e.handle(t, d)
			if e.vm != nil {
				if err := e.vm.Check(); err != nil {
					t.Fatalf("%s: after %q: %v\n%s", d.Pos, d.Cmd, err, e.dumpState())
				}
			}
			return out
		})
	})
}

// env is the state of one scenario.
type env struct {
	clock  *sim.Clock
	domain *fence.Domain
	engine *gpu.Engine
	mgr    *Manager
	vm     *VM
	mem    *fakeMemory
	obs    *recObserver
	syncs  *syncobj.Table
	user   *usermem.Sandbox
	objs   fakeObjects

	bos     map[string]*fakeBO
	handles map[string]uint32
	fences  map[string]*fence.Fence
	csEnt   *gpu.Entity

	evMu   sync.Mutex
	events []gpu.Event
	names  map[gpu.FenceKey]string
	ptSeq  int
}

func (e *env) close() {
	if e.syncs != nil {
		e.syncs.Close()
	}
}

func (e *env) Event(ev *gpu.Event) {
	e.evMu.Lock()
	e.events = append(e.events, *ev)
	if ev.Kind == gpu.EventQueued && e.vm != nil && ev.Job.Entity() == e.vm.Entity() {
		e.ptSeq++
		e.names[ev.Fence] = fmt.Sprintf("pt%d", e.ptSeq)
	}
	e.evMu.Unlock()
}

func (e *env) handle(t *testing.T, d *datadriven.TestData) string {
	if d.Cmd != "vm" && e.vm == nil {
		d.Fatalf(t, "start with \"vm\"")
	}
	var out strings.Builder
	switch d.Cmd {
	case "vm":
		// Example: vm [explicit] [vmids=3]
		e.cmdVM(t, d)
	case "bo":
		// Example: bo name=A size=0x4000 [always-valid] [not-preferred]
		e.cmdBO(t, d, &out)
	case "open":
		// Example: open bo=A
		bo := e.bo(t, d, "bo")
		if _, err := e.vm.OpenBO(bo); err != nil {
			fmt.Fprintf(&out, "error: %v\n", errName(err))
		}
	case "gemva":
		// Example: gemva op=map bo=A va=0x100000 size=0x4000 [offset=0]
		//          [flags=(r,w,delay,prt,explicit)] [rawflags=0x400]
		//          [out=S] [point=3] [in=(S1,S2)] [inaddr=0x1000] [legacy]
		e.cmdGemVA(t, d, &out)
	case "fence":
		// Example: fence name=F
		name := scan(t, d, "name")
		f := e.domain.New(e.domain.ContextAlloc(1), 1)
		e.fences[name] = f
		e.names[gpu.FenceKey{Context: f.Context(), Seqno: f.Seqno()}] = name
	case "signal":
		// Example: signal fence=F [at=500]
		f := e.fence(t, d, scan(t, d, "fence"))
		if d.HasArg("at") {
			at := scanInt(t, d, "at")
			e.clock.Schedule(int64(at), func() { f.Signal() })
		} else {
			f.Signal()
		}
	case "syncobj":
		// Example: syncobj name=S [fence=F]
		var f *fence.Fence
		if d.HasArg("fence") {
			f = e.fence(t, d, scan(t, d, "fence"))
		}
		s := syncobj.New(e.domain, 0, f)
		h, err := e.syncs.Install(s)
		s.Put()
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		e.handles["syncobj:"+scan(t, d, "name")] = h
	case "syncobj-state":
		// Example: syncobj-state name=S
		e.cmdSyncobjState(t, d, &out)
	case "run":
		// Example: run [until=100]
		if d.HasArg("until") {
			e.clock.RunUntil(int64(scanInt(t, d, "until")))
		} else {
			e.clock.RunAll()
		}
		fmt.Fprintf(&out, "now=%d\n", e.clock.Now())
	case "state":
		// Example: state
		out.WriteString(e.dumpState())
	case "ptes":
		// Example: ptes
		out.WriteString(e.dumpPTEs())
	case "submit":
		// Example: submit name=C [explicit] [deps=(F)] [write=(0x100000:deadbeef)]
		//          [copy=(0x100000,0x200000,8)] [read=(0x100000:8)] [unknown]
		//          [busy=1000] [nodeps]
		e.cmdSubmit(t, d, &out)
	case "cpuread":
		// Example: cpuread bo=A [off=0] len=8
		bo := e.bo(t, d, "bo")
		off := uint64(0)
		if d.HasArg("off") {
			off = scanInt(t, d, "off")
		}
		b := make([]byte, scanInt(t, d, "len"))
		if err := e.mem.Read(bo.Placement(), bo.Placement().Offset+off, b); err != nil {
			fmt.Fprintf(&out, "error: %v\n", err)
		} else {
			fmt.Fprintf(&out, "%s\n", hex.EncodeToString(b))
		}
	case "move":
		// Example: move bo=A [evict] [release]
		bo := e.bo(t, d, "bo")
		old := bo.Placement()
		e.lockDo(t, bo.Resv(), func() { e.mgr.MoveNotify(bo, d.HasArg("evict")) })
		bo.setPlacement(e.mem.alloc(bo.size), !d.HasArg("evict"))
		if d.HasArg("release") {
			e.mem.release(old)
		}
		fmt.Fprintf(&out, "%s: %v -> %v\n", bo.name, old, bo.Placement())
	case "release":
		// Example: release bo=A   (the BO's backing is freed and reused)
		bo := e.bo(t, d, "bo")
		e.mem.release(bo.Placement())
	case "handle-moved":
		// Example: handle-moved
		e.lockDo(t, e.vm.RootResv(), func() {
			if err := e.vm.HandleMoved(nil); err != nil {
				fmt.Fprintf(&out, "error: %v\n", errName(err))
			}
		})
	case "close":
		// Example: close bo=A [explicit]
		bo := e.bo(t, d, "bo")
		f, err := e.vm.CloseBO(bo, d.HasArg("explicit"))
		if err != nil {
			fmt.Fprintf(&out, "error: %v\n", errName(err))
		}
		if f != nil {
			fmt.Fprintf(&out, "clear fence %s\n", e.name(f))
		}
		fmt.Fprintf(&out, "%s resv: %s\n", bo.name, e.resvString(bo.Resv()))
	case "vmid":
		// Example: vmid op=1 [flags=0]
		in := uapi.VMIn{Op: uint32(scanInt(t, d, "op"))}
		if d.HasArg("flags") {
			in.Flags = uint32(scanInt(t, d, "flags"))
		}
		_, err := e.vm.VMIoctl(&in)
		fmt.Fprintf(&out, "%s reserved=%d\n", errName(err), e.vm.ReservedVMID())
	case "fault":
		// Example: fault
		if f, ok := e.vm.LastFault(); ok {
			fmt.Fprintf(&out, "%v\n", &f)
		}
		i := e.vm.GPUVMFaultInfo()
		fmt.Fprintf(&out, "info: addr=%#x status=%#x vmhub=%d faults=%d uaf=%d\n",
			i.Addr, i.Status, i.VMHub, e.vm.Faults(), e.vm.UseAfterFree())
	case "mandatory":
		// Example: mandatory
		fmt.Fprintf(&out, "mandatory: %s\n", e.fenceList(e.vm.Mandatory()))
	case "evict-vm":
		// Example: evict-vm   (TTM evicts a page table: vm->evicting)
		e.vm.SetEvicting()
	case "validate":
		// Example: validate
		e.lockDo(t, e.vm.RootResv(), func() {
			if err := e.vm.Validate(func(b BO) error {
				fb := b.(*fakeBO)
				fb.setPlacement(fb.Placement(), true)
				return nil
			}); err != nil {
				fmt.Fprintf(&out, "error: %v\n", errName(err))
			}
		})
	case "_breakpoint":
		// Example: _breakpoint (set a debugger breakpoint here)
	default:
		d.Fatalf(t, "unknown command %q", d.Cmd)
	}
	e.printEvents(&out)
	return out.String()
}

func (e *env) cmdVM(t *testing.T, d *datadriven.TestData) {
	e.clock = sim.NewVirtual(0)
	e.clock.SetFailDeadlocks(true)
	e.domain = fence.NewDomain(e.clock)
	e.names = map[gpu.FenceKey]string{}
	var err error
	e.engine, err = gpu.NewEngine(e.clock, e.domain, gpu.Config{
		Rings: map[gpu.IP]int{gpu.GFX: 1, gpu.SDMA: 1},
		Cost: map[gpu.IP]gpu.Cost{
			gpu.SDMA: {Launch: 100},
			gpu.GFX:  {Launch: 1000},
		},
		Sink: e,
	})
	if err != nil {
		d.Fatalf(t, "%v", err)
	}
	e.mem = newFakeMemory()
	e.obs = &recObserver{}
	cfg := Config{Engine: e.engine, Memory: e.mem, Observer: e.obs,
		Explicit: d.HasArg("explicit")}
	if d.HasArg("vmids") {
		cfg.NumVMIDs = int(scanInt(t, d, "vmids"))
	}
	if e.mgr, err = NewManager(cfg); err != nil {
		d.Fatalf(t, "%v", err)
	}
	e.vm = e.mgr.NewVM()
	e.syncs = syncobj.NewTable(e.domain, nil, nil)
	e.user = &usermem.Sandbox{}
	e.objs = fakeObjects{}
	e.bos = map[string]*fakeBO{}
	e.handles = map[string]uint32{}
	e.fences = map[string]*fence.Fence{}
	e.csEnt = e.engine.NewEntity(e.engine.Ring(gpu.GFX, 0),
		gpu.EntityConfig{Name: "cs", Owner: e.vm})
	_, fc := e.csEnt.FenceContexts()
	_ = fc
}

func (e *env) cmdBO(t *testing.T, d *datadriven.TestData, out *strings.Builder) {
	name := scan(t, d, "name")
	b := &fakeBO{name: name, size: scanInt(t, d, "size"), r: resv.New(),
		alwaysValid: d.HasArg("always-valid")}
	if b.alwaysValid {
		b.r = e.vm.RootResv()
	}
	b.setPlacement(e.mem.alloc(b.size), !d.HasArg("not-preferred"))
	e.bos[name] = b
	h := uint32(len(e.objs) + 1)
	e.objs[h] = b
	e.handles["bo:"+name] = h
	fmt.Fprintf(out, "%s: handle %d at %v\n", name, h, b.Placement())
}

func (e *env) cmdGemVA(t *testing.T, d *datadriven.TestData, out *strings.Builder) {
	ops := map[string]uint32{"map": uapi.AMDGPU_VA_OP_MAP, "unmap": uapi.AMDGPU_VA_OP_UNMAP,
		"clear": uapi.AMDGPU_VA_OP_CLEAR, "replace": uapi.AMDGPU_VA_OP_REPLACE}
	var a uapi.GemVA
	opName := scan(t, d, "op")
	if n, ok := ops[opName]; ok {
		a.Operation = n
	} else {
		n, err := strconv.ParseUint(opName, 0, 32)
		if err != nil {
			d.Fatalf(t, "op %q", opName)
		}
		a.Operation = uint32(n)
	}
	if d.HasArg("bo") {
		a.Handle = e.handles["bo:"+scan(t, d, "bo")]
	}
	if d.HasArg("handle") {
		a.Handle = uint32(scanInt(t, d, "handle"))
	}
	a.VAAddress = scanInt(t, d, "va")
	if d.HasArg("offset") {
		a.OffsetInBO = scanInt(t, d, "offset")
	}
	if d.HasArg("size") {
		a.MapSize = scanInt(t, d, "size")
	}
	flagNames := map[string]uint32{"r": uapi.AMDGPU_VM_PAGE_READABLE,
		"w": uapi.AMDGPU_VM_PAGE_WRITEABLE, "x": uapi.AMDGPU_VM_PAGE_EXECUTABLE,
		"delay": uapi.AMDGPU_VM_DELAY_UPDATE, "prt": uapi.AMDGPU_VM_PAGE_PRT,
		"explicit": uapi.AMDGPU_VM_EXPLICIT_SYNC, "uc": uapi.AMDGPU_VM_MTYPE_UC,
		"noalloc": uapi.AMDGPU_VM_PAGE_NOALLOC}
	for _, f := range vals(d, "flags") {
		n, ok := flagNames[f]
		if !ok {
			d.Fatalf(t, "flag %q", f)
		}
		a.Flags |= n
	}
	if d.HasArg("rawflags") {
		a.Flags |= uint32(scanInt(t, d, "rawflags"))
	}
	if d.HasArg("out") {
		a.VMTimelineSyncobjOut = e.syncHandle(t, d, scan(t, d, "out"))
	}
	if d.HasArg("point") {
		a.VMTimelinePoint = scanInt(t, d, "point")
	}
	if ins := vals(d, "in"); len(ins) > 0 {
		hs := make([]byte, 4*len(ins))
		for i, s := range ins {
			var h uint32
			if s != "0" {
				h = e.syncHandle(t, d, s)
			}
			hs[4*i], hs[4*i+1], hs[4*i+2], hs[4*i+3] = byte(h), byte(h>>8), byte(h>>16), byte(h>>24)
		}
		addr := uint64(0x10000 * (1 + len(e.handles)))
		if err := e.user.Map(addr, hs); err != nil {
			d.Fatalf(t, "%v", err)
		}
		defer e.user.Unmap(addr)
		a.NumSyncobjHandles = uint32(len(ins))
		a.InputFenceSyncobjHandles = uapi.P64(addr)
	}
	if d.HasArg("count") {
		a.NumSyncobjHandles = uint32(scanInt(t, d, "count"))
	}
	if d.HasArg("inaddr") {
		a.InputFenceSyncobjHandles = uapi.P64(scanInt(t, d, "inaddr"))
	}
	if d.HasArg("legacy") {
		v1 := uapi.GemVA_V1{Handle: a.Handle, Operation: a.Operation, Flags: a.Flags,
			VAAddress: a.VAAddress, OffsetInBO: a.OffsetInBO, MapSize: a.MapSize}
		a = GemVAFromV1(&v1)
	}
	t0 := e.clock.Now()
	err := e.vm.GemVA(&a, &GemVAEnv{Objects: e.objs, Syncobjs: e.syncs, Mem: e.user})
	fmt.Fprintf(out, "%s", errName(err))
	if now := e.clock.Now(); now != t0 {
		fmt.Fprintf(out, " (returned at t=%d)", now)
	}
	out.WriteString("\n")
}

func (e *env) cmdSyncobjState(t *testing.T, d *datadriven.TestData, out *strings.Builder) {
	s, err := e.syncs.Lookup(e.syncHandle(t, d, scan(t, d, "name")))
	if err != nil {
		d.Fatalf(t, "%v", err)
	}
	defer s.Put()
	f := s.Fence()
	if f == nil {
		out.WriteString("empty\n")
		return
	}
	if c := fence.ToChain(f); c != nil {
		for it := f; it != nil; {
			ch := fence.ToChain(it)
			if ch == nil {
				fmt.Fprintf(out, "base %s\n", e.name(it))
				break
			}
			fmt.Fprintf(out, "point %d: %s\n", it.Seqno(), e.name(ch.Contained()))
			it = ch.Prev()
		}
		return
	}
	fmt.Fprintf(out, "fence %s\n", e.name(f))
}

// cmdSubmit is a minimal CS for the scenarios: amdgpu_cs_vm_handling()
// (validate, clear_freed, bo_update of every bo_va, handle_moved,
// update_pdes) and the dependencies of amdgpu_cs_sync_rings(), then one job
// on the gfx ring running the given operations through the VM. Baseline:
// deps = last_update and every last_pt_update; the fence goes on the root
// resv as WRITE. Explicit: deps = the mandatory list, kernel-origin PT
// fences and deps=; the fence goes on the root resv as BOOKKEEP.
func (e *env) cmdSubmit(t *testing.T, d *datadriven.TestData, out *strings.Builder) {
	name := scan(t, d, "name")
	explicit := d.HasArg("explicit")
	var deps []*fence.Fence
	for _, n := range vals(d, "deps") {
		deps = append(deps, e.fence(t, d, n))
	}
	prog := Program{AccessesKnown: !d.HasArg("unknown")}
	for _, w := range vals(d, "write") {
		va, data, _ := strings.Cut(w, ":")
		b, err := hex.DecodeString(data)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		prog.Ops = append(prog.Ops, Op{Kind: OpWrite, VA: parseU(t, d, va), Data: b})
	}
	if c := vals(d, "copy"); len(c) == 3 {
		prog.Ops = append(prog.Ops, Op{Kind: OpCopy, Src: parseU(t, d, c[0]),
			VA: parseU(t, d, c[1]), Len: parseU(t, d, c[2])})
	}
	for _, r := range vals(d, "read") {
		va, n, _ := strings.Cut(r, ":")
		prog.Ops = append(prog.Ops, Op{Kind: OpRead, VA: parseU(t, d, va), Len: parseU(t, d, n)})
	}
	if d.HasArg("busy") {
		prog.Ops = append(prog.Ops, Op{Kind: OpAnnotation, Busy: int64(scanInt(t, d, "busy"))})
	}
	root := e.vm.RootResv()
	e.lockDo(t, root, func() {
		v := e.vm
		if err := v.Validate(nil); err != nil {
			d.Fatalf(t, "%v", err)
		}
		if !v.Ready() {
			fmt.Fprintf(out, "EINVAL\n")
			return
		}
		if _, err := v.ClearFreed(); err != nil {
			d.Fatalf(t, "%v", err)
		}
		names := make([]string, 0, len(e.bos))
		for n := range e.bos {
			names = append(names, n)
		}
		sort.Strings(names)
		var ptFences []*fence.Fence
		all := []*bova.BoVA{v.PRT()}
		for _, n := range names {
			if b := v.Find(e.bos[n]); b != nil {
				all = append(all, b)
			}
		}
		for _, b := range all {
			if b.BO() != nil && b.BO().Resv() != root {
				r := b.BO().Resv()
				e.lockDo(t, r, func() { _ = v.BoUpdate(b, false) })
			} else {
				_ = v.BoUpdate(b, false)
			}
			ptFences = append(ptFences, b.LastPTUpdate())
		}
		if err := v.HandleMoved(nil); err != nil {
			d.Fatalf(t, "%v", err)
		}
		_ = v.UpdatePDEs()
		ptFences = append(ptFences, v.LastUpdate())
		if explicit {
			for _, f := range ptFences {
				if o, ok := PTOrigin(f); ok && o == OriginKernel {
					deps = append(deps, f)
				}
			}
		} else if !d.HasArg("nodeps") {
			deps = append(deps, ptFences...)
		}
		deps = append(deps, v.Mandatory()...)
		j := e.csEnt.Push(NewCSWork(v, prog), deps...)
		e.names[gpu.FenceKey{Context: j.Finished().Context(), Seqno: j.Finished().Seqno()}] = name
		e.fences[name] = j.Finished()
		u := resv.WRITE
		if explicit {
			u = resv.BOOKKEEP
		}
		if err := root.ReserveFences(1); err != nil {
			d.Fatalf(t, "%v", err)
		}
		root.AddFence(j.Finished(), u)
	})
}

// lockDo runs fn with r locked.
func (e *env) lockDo(t *testing.T, r *resv.Resv, fn func()) {
	if r.WW().IsLocked() {
		fn()
		return
	}
	var ctx ww.AcquireCtx
	ctx.Init(ww.ReservationClass)
	defer ctx.Fini()
	if err := r.Lock(&ctx); err != nil {
		t.Fatalf("lock: %v", err)
	}
	defer r.Unlock()
	fn()
}

func (e *env) printEvents(out *strings.Builder) {
	e.evMu.Lock()
	evs := e.events
	e.events = nil
	e.evMu.Unlock()
	as, fs := e.obs.take()
	for i := range evs {
		ev := &evs[i]
		j := ev.Job
		switch ev.Kind {
		case gpu.EventQueued:
			if j.Entity() == e.vm.Entity() {
				w := j.Work().(*ptWork)
				fmt.Fprintf(out, "queued %s: %s deps=%s\n", e.names[ev.Fence], w.describe(),
					e.fenceList(j.Deps()))
			} else {
				fmt.Fprintf(out, "queued %s deps=%s\n", e.names[ev.Fence], e.fenceList(j.Deps()))
			}
		case gpu.EventRun:
			fmt.Fprintf(out, "t=%d run %s\n", ev.Time, e.names[ev.Fence])
			if j.Entity() != e.vm.Entity() {
				e.printAccesses(out, j, as, fs)
			}
		case gpu.EventDone:
			fmt.Fprintf(out, "t=%d done %s\n", ev.Time, e.names[ev.Fence])
		}
	}
}

func (e *env) printAccesses(out *strings.Builder, j *gpu.Job, as []Access, fs []Fault) {
	for _, a := range as {
		if a.Job != j {
			continue
		}
		rw := "read"
		if a.Write {
			rw = "write"
		}
		var tags []string
		if a.Stale {
			tags = append(tags, "STALE-TLB")
		}
		if a.Conservative {
			tags = append(tags, "conservative")
		}
		if a.Err != nil {
			tags = append(tags, "ERR: "+a.Err.Error())
		}
		fmt.Fprintf(out, "  vmid%d %s [%#x,+%#x) -> %v@%#x %s\n", a.VMID, rw, a.VA, a.Len,
			a.Placement, a.Offset, strings.Join(tags, " "))
	}
	for _, f := range fs {
		if f.Job != j {
			continue
		}
		fmt.Fprintf(out, "  FAULT %v\n", &f)
	}
}

func (w *ptWork) describe() string {
	var s string
	switch {
	case w.prt:
		s = fmt.Sprintf("[%#x-%#x] prt", w.start, w.last)
	case w.valid:
		s = fmt.Sprintf("[%#x-%#x] -> %v+%#x", w.start, w.last, w.placement, w.off)
	default:
		s = fmt.Sprintf("[%#x-%#x] clear", w.start, w.last)
	}
	if w.flush {
		s += " flush"
	}
	return s + " " + w.origin.String()
}

func (e *env) name(f *fence.Fence) string {
	if f == nil {
		return "nil"
	}
	if f == e.domain.Stub() {
		return "stub"
	}
	var leaves []string
	if a := fence.ToArray(f); a != nil {
		for _, g := range a.Fences() {
			leaves = append(leaves, e.name(g))
		}
		return "merge(" + strings.Join(leaves, ",") + ")"
	}
	n, ok := e.names[gpu.FenceKey{Context: f.Context(), Seqno: f.Seqno()}]
	if !ok {
		n = fmt.Sprintf("%d:%d", f.Context(), f.Seqno())
		if f.Context() == 0 {
			n = "private-stub"
		}
	}
	if f.IsSignaled() {
		n += "(signaled)"
	}
	return n
}

func (e *env) fenceList(fs []*fence.Fence) string {
	var s []string
	for _, f := range fs {
		s = append(s, e.name(f))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func (e *env) resvString(r *resv.Resv) string {
	fs, us := r.FencesWithUsage(resv.BOOKKEEP)
	var s []string
	for i, f := range fs {
		s = append(s, fmt.Sprintf("%s:%v", e.name(f), us[i]))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func (e *env) dumpState() string {
	var out strings.Builder
	v := e.vm
	v.mu.Lock()
	out.WriteString("tree:\n")
	v.va.each(func(m *bova.Mapping) bool {
		fmt.Fprintf(&out, "  %v %s\n", m, e.bovaName(m.BoVA()))
		return true
	})
	out.WriteString("freed:\n")
	v.freed.Each(func(m *bova.Mapping) bool {
		ex := ""
		if m.Explicit {
			ex = " explicit"
		}
		fmt.Fprintf(&out, "  [%#x-%#x] from %s%s\n", m.Start, m.Last, e.bovaName(m.Origin()), ex)
		return true
	})
	names := make([]string, 0, len(e.bos))
	for n := range e.bos {
		names = append(names, n)
	}
	sort.Strings(names)
	bvs := []*bova.BoVA{v.prt}
	for _, n := range names {
		if b := v.bovas[e.bos[n]]; b != nil {
			bvs = append(bvs, b)
		}
	}
	for _, b := range bvs {
		if b == v.prt && b.Invalids().Len()+b.Valids().Len() == 0 && b.State() == bova.None {
			continue
		}
		lu := "-"
		if b.LastUnmap() != nil {
			lu = e.name(b.LastUnmap())
		}
		fmt.Fprintf(&out, "%s: %v moved=%v cleared=%v refs=%d invalids=%d valids=%d last_pt_update=%s last_unmap=%s\n",
			e.bovaName(b), b.State(), b.Moved(), b.Cleared(), b.RefCount(),
			b.Invalids().Len(), b.Valids().Len(), e.name(b.LastPTUpdate()), lu)
	}
	fmt.Fprintf(&out, "last_update=%s tlb_seq=%d ready=%v\n", e.name(v.lastUpdate),
		v.tlbSeq.Load(), v.readyLocked())
	v.mu.Unlock()
	fmt.Fprintf(&out, "root resv: %s\n", e.resvString(v.RootResv()))
	return out.String()
}

func (e *env) bovaName(b *bova.BoVA) string {
	if b == nil {
		return "-"
	}
	if b.BO() == nil {
		return "prt"
	}
	return b.BO().(*fakeBO).name
}

func (e *env) dumpPTEs() string {
	var out strings.Builder
	v := e.vm
	v.ptMu.Lock()
	defer v.ptMu.Unlock()
	n := 0
	v.pt.each(func(p *pte) bool {
		fmt.Fprintf(&out, "%v\n", p)
		n++
		return true
	})
	if n == 0 {
		out.WriteString("(all invalid)\n")
	}
	return out.String()
}

func (e *env) bo(t *testing.T, d *datadriven.TestData, key string) *fakeBO {
	n := scan(t, d, key)
	b, ok := e.bos[n]
	if !ok {
		d.Fatalf(t, "no BO %q", n)
	}
	return b
}

func (e *env) fence(t *testing.T, d *datadriven.TestData, n string) *fence.Fence {
	f, ok := e.fences[n]
	if !ok {
		d.Fatalf(t, "no fence %q", n)
	}
	return f
}

func (e *env) syncHandle(t *testing.T, d *datadriven.TestData, n string) uint32 {
	if h, ok := e.handles["syncobj:"+n]; ok {
		return h
	}
	h, err := strconv.ParseUint(n, 0, 32)
	if err != nil {
		d.Fatalf(t, "no syncobj %q", n)
	}
	return uint32(h)
}

func scan(t *testing.T, d *datadriven.TestData, key string) string {
	var s string
	d.ScanArgs(t, key, &s)
	return s
}

func scanInt(t *testing.T, d *datadriven.TestData, key string) uint64 {
	return parseU(t, d, scan(t, d, key))
}

func parseU(t *testing.T, d *datadriven.TestData, s string) uint64 {
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		d.Fatalf(t, "number %q: %v", s, err)
	}
	return n
}

func vals(d *datadriven.TestData, key string) []string {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			return a.Vals
		}
	}
	return nil
}

func errName(err error) string {
	if err == nil {
		return "ok"
	}
	names := map[error]string{errno.EINVAL: "EINVAL", errno.ENOENT: "ENOENT",
		errno.EFAULT: "EFAULT", errno.ENOMEM: "ENOMEM", errno.EPERM: "EPERM",
		errno.EBUSY: "EBUSY"}
	if n, ok := names[errno.ToErrno(err)]; ok {
		return n
	}
	return err.Error()
}
