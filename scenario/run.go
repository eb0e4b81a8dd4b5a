package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/cs"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/vm"
)

// Options configure a run.
type Options struct {
	// Policy overrides the script's policy line (PolicyDefault keeps it).
	Policy Policy
	// NoCheck turns the hazard checker off.
	NoCheck bool
}

const forever = ^uint64(0)

type runClient struct {
	name   string
	dev    *devState
	c      *client.Client
	ctxs   map[string]uint32
	bos    map[string]uint32
	live   []string // live BOs in creation order
	syncs  map[string]uint32
	ibs    map[string]*opIB
	jobs   map[string]jobRef
	track  int
	lastVM int
}

type jobRef struct {
	ctx      uint32
	ip, ring uint32
	seq      uint64
}

type devState struct {
	name string
	dev  *amdgpu.Device
}

type jobRec struct {
	job                *gpu.Job
	id                 uint64
	kind               string
	track              int
	name               string
	line               int
	queued, start, end int64
	fence              gpu.FenceKey
	err                int32
	done               bool
	vm                 *vm.VM
}

type runner struct {
	s      *Script
	policy Policy
	res    *Result
	clock  *sim.Clock
	dom    *fence.Domain
	chk    *check.Checker

	devs    map[string]*devState
	devList []*devState
	clients map[string]*runClient
	cur     *runClient

	mu       sync.Mutex // guards what the GPU event sink and hooks write
	curOp    *base
	jobs     map[uint64]*jobRec
	jobOrder []uint64
	tracks   map[string]int
	faultsBy map[*vm.VM]int
	waits    []cs.Wait
	ringBusy map[string]*RingBusy
	ringOrd  []string
}

// Run executes s. It returns an error only for a script that was not
// produced by Parse; ioctl failures and failed checks are in the Result.
func Run(s *Script, o Options) (*Result, error) {
	if s == nil {
		return nil, errors.New("scenario: nil script")
	}
	p := o.Policy
	if p == PolicyDefault {
		p = s.Policy
	}
	r := &runner{s: s, policy: p, res: &Result{Script: s, Policy: p},
		devs: map[string]*devState{}, clients: map[string]*runClient{},
		jobs: map[uint64]*jobRec{}, tracks: map[string]int{}, faultsBy: map[*vm.VM]int{},
		ringBusy: map[string]*RingBusy{}}
	r.clock = sim.NewVirtual(0)
	r.clock.SetFailDeadlocks(true)
	if !o.NoCheck {
		r.chk = newChecker(r.clock.Now)
		r.res.Checked = r.chk != nil
	}
	defer r.close()
	for _, op := range s.ops {
		if err := r.exec(op); err != nil {
			b := op.at()
			r.res.Err = &RunError{Pos: b.pos, Src: b.src, Err: err}
			break
		}
		r.sampleMem()
	}
	r.clock.RunAll()
	r.sampleMem()
	r.finish()
	return r.res, nil
}

func (r *runner) close() {
	for _, d := range r.devList {
		d.dev.Close()
	}
}

func (r *runner) track(name string, kind TrackKind) int {
	if id, ok := r.tracks[name]; ok {
		return id
	}
	id := len(r.res.Timeline.Tracks)
	r.tracks[name] = id
	r.res.Timeline.Tracks = append(r.res.Timeline.Tracks, Track{ID: id, Name: name, Kind: kind})
	return id
}

// event records job lifecycles for the timeline and the counters.
func (r *runner) event(ev *gpu.Event, dev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ringName := ev.RingName
	if len(r.s.devices) > 1 {
		ringName = dev + " " + ringName
	}
	switch ev.Kind {
	case gpu.EventQueued:
		rec := &jobRec{job: ev.Job, id: ev.ID, queued: ev.Time, fence: ev.Fence}
		en := ev.Entity
		switch o := en.Owner().(type) {
		case *cs.CSOwner:
			rec.kind = "cs"
			rec.track = r.track(ringName, TrackRing)
			rec.vm = o.VM
		default:
			if strings.HasSuffix(en.Name(), ".delayed") {
				rec.kind = "pt"
				rec.track = r.track(fmt.Sprintf("%s page-table updates (%s)", strings.TrimSuffix(en.Name(), ".delayed"), ringName), TrackVM)
			} else {
				rec.kind = "move"
				rec.track = r.track(fmt.Sprintf("%s (%s)", en.Name(), ringName), TrackKernel)
			}
		}
		if b := r.curOp; b != nil {
			rec.line = b.pos.Line
			switch rec.kind {
			case "pt":
				rec.name = b.src
			case "move":
				rec.name = "move/clear during: " + b.src
			default:
				rec.name = b.src
			}
		}
		r.jobs[ev.ID] = rec
		r.jobOrder = append(r.jobOrder, ev.ID)
	case gpu.EventRun:
		if rec := r.jobs[ev.ID]; rec != nil {
			rec.start = ev.Time
		}
	case gpu.EventDone:
		rec := r.jobs[ev.ID]
		if rec == nil {
			return
		}
		rec.end, rec.err, rec.done = ev.Time, ev.Error, true
		if rec.start == 0 && rec.queued > 0 {
			rec.start = ev.Time
		}
		rb := r.ringBusy[ringName]
		if rb == nil {
			rb = &RingBusy{Name: ringName}
			r.ringBusy[ringName] = rb
			r.ringOrd = append(r.ringOrd, ringName)
		}
		rb.Jobs++
		rb.BusyNS += rec.end - rec.start
		if rec.vm != nil {
			if n := rec.vm.Faults(); n > r.faultsBy[rec.vm] {
				detail, at := "", ev.Time
				if f, ok := rec.vm.LastFault(); ok {
					at = f.Time
					rw := "read"
					if f.Write {
						rw = "write"
					}
					detail = fmt.Sprintf("%s at VA %#x, vmid %d", rw, f.Addr, f.VMID)
				}
				r.res.Timeline.Marks = append(r.res.Timeline.Marks, Mark{Track: rec.track, Time: at, Kind: "fault",
					Name: fmt.Sprintf("GPU VM fault ×%d", n-r.faultsBy[rec.vm]), Detail: detail})
				r.faultsBy[rec.vm] = n
			}
		}
	case gpu.EventTimeout:
		if rec := r.jobs[ev.ID]; rec != nil {
			r.res.Timeline.Marks = append(r.res.Timeline.Marks, Mark{Track: rec.track, Time: ev.Time, Kind: "timeout", Name: "job timeout (GPU reset)"})
		}
	}
}

// devSink is a device's gpu.Sink: it tags events with the device name.
type devSink struct {
	r    *runner
	name string
}

// Event implements gpu.Sink.
func (d devSink) Event(ev *gpu.Event) { d.r.event(ev, d.name) }

func (r *runner) onWait(w cs.Wait) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, w)
}

func (r *runner) sampleMem() {
	for _, d := range r.devList {
		st := d.dev.Mem().Stats()
		if p, ok := st.Pools[bo.VRAM]; ok {
			r.res.Stats.VRAMHigh = max(r.res.Stats.VRAMHigh, p.Used)
		}
		if p, ok := st.Pools[bo.GTT]; ok {
			r.res.Stats.GTTHigh = max(r.res.Stats.GTTHigh, p.Used)
		}
	}
}

func (r *runner) log(b *base, start int64, outcome string) {
	r.res.Log = append(r.res.Log, LogEntry{Pos: b.pos, Line: b.pos.Line, Client: b.client, Src: b.src,
		Start: start, End: r.clock.Now(), Outcome: outcome})
}

func (r *runner) fail(b *base, format string, args ...any) {
	r.res.Failures = append(r.res.Failures, Failure{Pos: b.pos, Msg: fmt.Sprintf(format, args...)})
}

// ioctl runs one ioctl-issuing step and applies fails=: it returns a
// non-nil error only when the run must stop.
func (r *runner) ioctl(b *base, n int, fn func() error) error {
	r.res.Stats.Ioctls += n
	start := r.clock.Now()
	r.mu.Lock()
	r.curOp = b
	r.mu.Unlock()
	err := fn()
	r.mu.Lock()
	r.curOp = nil
	r.mu.Unlock()
	var en syscall.Errno
	hasErrno := errors.As(err, &en)
	switch {
	case b.fails != 0 && err == nil:
		r.fail(b, "%s: expected %s, but it succeeded", b.src, errnoName(b.fails))
		r.log(b, start, "ok (expected "+errnoName(b.fails)+")")
		return nil
	case b.fails != 0 && hasErrno && en == b.fails:
		r.log(b, start, errnoName(en)+", as expected")
		return errSkip
	case err != nil:
		out := err.Error()
		if hasErrno {
			out = errnoName(en)
		}
		r.log(b, start, out)
		return err
	}
	r.log(b, start, "ok")
	return nil
}

// errSkip: the ioctl failed as the script said; the op has no effect.
var errSkip = errors.New("failed as expected")

func (r *runner) exec(o op) error {
	b := o.at()
	if b.client != "" {
		if c := r.clients[b.client]; c != nil {
			r.cur = c
		}
	}
	err := r.exec1(o)
	if err == errSkip {
		return nil
	}
	return err
}

func (r *runner) exec1(o op) error {
	c := r.cur
	switch o := o.(type) {
	case *opDevice:
		return r.newDevice(o)
	case *opClient:
		if r.clients[o.client] != nil {
			r.cur = r.clients[o.client]
			return nil
		}
		d := r.devs[o.device]
		cl, err := client.New(d.dev)
		if err != nil {
			return err
		}
		rc := &runClient{name: o.client, dev: d, c: cl, ctxs: map[string]uint32{}, bos: map[string]uint32{},
			syncs: map[string]uint32{}, ibs: map[string]*opIB{}, jobs: map[string]jobRef{}}
		rc.track = r.track("client "+o.client+" (CPU)", TrackCPU)
		r.clients[o.client] = rc
		r.cur = rc
		r.log(&o.base, r.clock.Now(), "opened a DRM file")
		return nil
	case *opCtx:
		return r.ioctl(&o.base, 1, func() error {
			id, err := c.c.CreateContext(o.mode.explicit(r.policy))
			c.ctxs[o.name] = id
			return err
		})
	case *opBO:
		return r.ioctl(&o.base, 1, func() error {
			h, err := c.c.CreateBO(o.size, o.domains, o.flags)
			if err == nil {
				c.bos[o.name] = h
				c.live = append(c.live, o.name)
			}
			return err
		})
	case *opSyncobj:
		return r.ioctl(&o.base, 1, func() error {
			h, err := c.c.CreateSyncobj(o.signaled)
			c.syncs[o.name] = h
			return err
		})
	case *opVA:
		flags := uint32(uapi.AMDGPU_VM_PAGE_READABLE)
		if !o.readOnly {
			flags |= uapi.AMDGPU_VM_PAGE_WRITEABLE
		}
		if o.mode.explicit(r.policy) {
			flags |= uapi.AMDGPU_VM_EXPLICIT_SYNC
		}
		va := client.VAOp{Op: o.op, Handle: c.bos[o.bo], VA: o.va, Size: o.size, Offset: o.offset, Flags: flags,
			OutSync: c.syncs[o.out], OutPoint: o.point}
		for _, s := range o.in {
			va.InSyncobj = append(va.InSyncobj, c.syncs[s])
		}
		return r.ioctl(&o.base, 1, func() error { return c.c.GemVA(va) })
	case *opIB:
		start := r.clock.Now()
		if err := c.c.WriteIB(c.bos[o.bo], o.offset, o.dwords); err != nil {
			return err
		}
		c.ibs[o.name] = o
		r.log(&o.base, start, fmt.Sprintf("%d dwords at VA %#x", len(o.dwords), o.va))
		return nil
	case *opSubmit:
		sub := client.Submission{Ctx: c.ctxs[o.ctx]}
		ip, ring := uint32(0), o.ring
		for _, n := range o.ibs {
			ib := c.ibs[n]
			ip = uint32(ib.ip)
			sub.IBs = append(sub.IBs, client.IBRef{VA: ib.va, Dwords: uint32(len(ib.dwords)), IP: ip, Ring: ring})
		}
		bos := o.bos
		if bos == nil {
			bos = c.live
		}
		for _, n := range bos {
			sub.BOs = append(sub.BOs, c.bos[n])
		}
		for _, s := range o.wait {
			sub.WaitSyncobjs = append(sub.WaitSyncobjs, c.syncs[s])
		}
		for _, s := range o.signal {
			sub.SignalSyncobjs = append(sub.SignalSyncobjs, c.syncs[s])
		}
		for _, a := range o.after {
			sub.Deps = append(sub.Deps, c.jobs[a].seq)
		}
		return r.ioctl(&o.base, 1, func() error {
			seq, err := c.c.Submit(sub)
			if err == nil {
				c.jobs[o.name] = jobRef{ctx: sub.Ctx, ip: ip, ring: ring, seq: seq}
			}
			return err
		})
	case *opWait:
		return r.ioctl(&o.base, len(o.jobs), func() error {
			for _, n := range o.jobs {
				j, ok := c.jobs[n]
				if !ok {
					return fmt.Errorf("submission %s did not happen", n)
				}
				done, err := c.c.WaitCS(j.ctx, j.ip, j.ring, j.seq, forever)
				if err != nil {
					return err
				}
				if !done {
					return fmt.Errorf("WAIT_CS %s: not done", n)
				}
			}
			return nil
		})
	case *opWaitSyncobj:
		hs := make([]uint32, len(o.syncobjs))
		for i, s := range o.syncobjs {
			hs[i] = c.syncs[s]
		}
		return r.ioctl(&o.base, 1, func() error { return c.c.WaitSyncobjs(math.MaxInt64, hs...) })
	case *opWaitIdle:
		return r.ioctl(&o.base, 1, func() error {
			idle, err := c.c.WaitIdle(c.bos[o.bo], forever)
			if err == nil && !idle {
				return errors.New("GEM_WAIT_IDLE: not idle")
			}
			return err
		})
	case *opFree:
		return r.ioctl(&o.base, 1, func() error {
			err := c.c.CloseBO(c.bos[o.bo])
			if err == nil {
				delete(c.bos, o.bo)
				for i, n := range c.live {
					if n == o.bo {
						c.live = append(c.live[:i:i], c.live[i+1:]...)
						break
					}
				}
			}
			return err
		})
	case *opWrite:
		start := r.clock.Now()
		if err := c.c.Write(c.bos[o.bo], o.off, o.data); err != nil {
			return err
		}
		r.log(&o.base, start, "ok")
		return nil
	case *opRead:
		start := r.clock.Now()
		got := make([]byte, o.n)
		if err := c.c.Read(c.bos[o.bo], o.off, got); err != nil {
			return err
		}
		out := fmt.Sprintf("read %x", got)
		if o.want != nil && !bytes.Equal(got[:min(len(got), len(o.want))], o.want) {
			r.fail(&o.base, "%s: read %x, want %x", o.src, got, o.want)
			out += fmt.Sprintf(" (want %x)", o.want)
		}
		r.log(&o.base, start, out)
		return nil
	case *opSleep:
		start := r.clock.Now()
		r.clock.RunUntil(start + o.ns)
		r.log(&o.base, start, "ok")
		return nil
	case *opDrain:
		start := r.clock.Now()
		r.clock.RunAll()
		r.log(&o.base, start, "GPU idle")
		return nil
	}
	return fmt.Errorf("scenario: unknown op %T", o)
}

func (r *runner) newDevice(o *opDevice) error {
	cfg := amdgpu.Config{Profile: o.profile, Clock: r.clock, Domain: r.dom, VRAMSize: o.vram, GTTSize: o.gtt,
		FailDeadlocks: true, Events: devSink{r, o.name}, Logf: func(string, ...any) {}}
	if r.policy == ExplicitPerOp {
		cfg.Policy = amdgpu.PolicyPerOperation
	}
	configureCheck(&cfg, r.chk)
	dev, err := amdgpu.New(cfg)
	if err != nil {
		return err
	}
	if r.dom == nil {
		r.dom = dev.Domain()
	}
	dev.SetCSHooks(cs.Hooks{OnWait: r.onWait})
	d := &devState{name: o.name, dev: dev}
	r.devs[o.name] = d
	r.devList = append(r.devList, d)
	r.log(&o.base, r.clock.Now(), dev.Profile().Name)
	return nil
}

// finish computes the counters, the timeline and the expectations.
func (r *runner) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &r.res.Stats
	tl := &r.res.Timeline
	for _, id := range r.jobOrder {
		rec := r.jobs[id]
		if !rec.done {
			continue
		}
		st.Jobs++
		switch rec.kind {
		case "cs":
			st.CSJobs++
		case "pt":
			st.PTJobs++
		default:
			st.KernelJobs++
		}
		name := rec.name
		switch rec.kind {
		case "pt":
			name = "PT update: " + name
		case "cs":
			name = "CS: " + name
		}
		tl.Slices = append(tl.Slices, Slice{Track: rec.track, Name: name, Kind: rec.kind, Queued: rec.queued,
			Start: rec.start, End: rec.end, Job: rec.id, Fence: rec.fence.String(), Line: rec.line, Error: rec.err})
		tl.End = max(tl.End, rec.end)
		// Fence edges: every dependency that is another recorded job.
		for _, d := range rec.job.Deps() {
			if dj := gpu.JobOf(d); dj != nil && r.jobs[dj.ID()] != nil && dj.ID() != id {
				kind := "dep"
				if r.jobs[dj.ID()].kind != "cs" {
					kind = "kernel"
				}
				tl.Flows = append(tl.Flows, Flow{From: dj.ID(), To: id, Kind: kind})
			}
		}
	}
	for _, w := range r.waits {
		rec := r.jobs[w.Job.ID()]
		kind, name := "stall", "implicit-sync stall"
		if w.Forced {
			kind, name = "forced-wait", "forced wait (E4)"
			st.ForcedWaits++
			st.ForcedWaitNS += w.CostNS
		} else {
			st.Stalls++
			st.StallNS += w.CostNS
		}
		if rec == nil {
			continue
		}
		detail := ""
		if dj := gpu.JobOf(w.Fence); dj != nil {
			if src := r.jobs[dj.ID()]; src != nil {
				detail = "waited for: " + src.name
				tl.Flows = append(tl.Flows, Flow{From: dj.ID(), To: rec.id, Kind: map[bool]string{true: "forced", false: "stall"}[w.Forced]})
			}
		}
		tl.Marks = append(tl.Marks, Mark{Track: rec.track, Time: rec.start, Kind: kind,
			Name: fmt.Sprintf("%s %s", name, fmtNS(w.CostNS)), Detail: detail, CostNS: w.CostNS})
	}
	for _, n := range r.ringOrd {
		rb := *r.ringBusy[n]
		st.Rings = append(st.Rings, rb)
		st.BusyNS += rb.BusyNS
	}
	for _, d := range r.devList {
		ms := d.dev.Mem().Stats()
		st.Evictions += ms.Evictions
		st.BytesMoved += ms.BytesMoved
	}
	for _, c := range r.sortedClients() {
		v := c.c.F.VM()
		st.Faults += v.Faults()
		st.UseAfterFree += v.UseAfterFree()
	}
	st.Deadlocks = r.clock.Deadlocks()
	st.EndNS = r.clock.Now()
	tl.End = max(tl.End, st.EndNS)
	applyDeviceStats(r)
	if r.chk != nil {
		r.res.Reports = r.chk.Reports()
		r.markReports()
		for _, k := range r.chk.Summary() {
			st.Hazards = append(st.Hazards, HazardCount{Kind: k.Kind.String(), Unique: k.Unique, Total: k.Total})
		}
	} else {
		add := func(kind string, n int) {
			if n > 0 {
				st.Hazards = append(st.Hazards, HazardCount{Kind: kind, Unique: n, Total: n})
			}
		}
		add("fault", st.Faults)
		add("forced-wait", st.ForcedWaits)
		add("implicit-stall", st.Stalls)
	}
	// CPU slices: waits that took time; other ioctls as instants.
	for _, e := range r.res.Log {
		c := r.clients[e.Client]
		if c == nil {
			continue
		}
		if e.End > e.Start {
			tl.Slices = append(tl.Slices, Slice{Track: c.track, Name: e.Src, Kind: "wait", Start: e.Start, End: e.End, Line: e.Line})
		} else {
			tl.Marks = append(tl.Marks, Mark{Track: c.track, Time: e.Start, Kind: "ioctl", Name: e.Src, Detail: e.Outcome})
		}
	}
	sort.SliceStable(tl.Marks, func(i, j int) bool { return tl.Marks[i].Time < tl.Marks[j].Time })
	// Expectations. A script that counts its failed checks with
	// checks-failed owns them: they are not failures of the run.
	counted := false
	for _, e := range r.s.Expects {
		for _, cnd := range e.Conds {
			if cnd.Metric == "checks-failed" && (e.When == r.policy || e.When == PolicyDefault && r.s.Policy == r.policy) {
				counted = true
			}
		}
	}
	checksFailed := r.res.Metric("checks-failed")
	for _, e := range r.s.Expects {
		when := e.When
		if when == PolicyDefault {
			when = r.s.Policy
		}
		if when != r.policy {
			continue
		}
		for _, cnd := range e.Conds {
			if checkerOnly[cnd.Metric] && !r.res.Checked {
				continue // not observable without the hazard checker
			}
			v := r.res.Metric(cnd.Metric)
			if cnd.Metric == "checks-failed" {
				v = checksFailed
			}
			if !cnd.holds(v) {
				r.res.Failures = append(r.res.Failures, Failure{Pos: cnd.Pos, Expect: true,
					Msg: fmt.Sprintf("expect %s under %s: got %s=%d", cnd, r.policy, cnd.Metric, v)})
			}
		}
	}
	r.dropCountedChecks(counted)
}

func (r *runner) dropCountedChecks(counted bool) {
	if !counted {
		return
	}
	kept := r.res.Failures[:0]
	for _, f := range r.res.Failures {
		if f.Expect {
			kept = append(kept, f)
		}
	}
	r.res.Failures = kept
}

// markReports puts races and CPU accesses without sync on the timeline:
// a mark on the later access's job and an edge from the earlier one.
func (r *runner) markReports() {
	byFence := map[string]*jobRec{}
	for _, rec := range r.jobs {
		byFence[rec.fence.String()] = rec
	}
	find := func(o check.Origin) *jobRec {
		return byFence[gpu.FenceKey{Context: o.FenceContext, Seqno: o.Seqno}.String()]
	}
	tl := &r.res.Timeline
	for _, rep := range r.res.Reports {
		if rep.Kind != check.KindRace && rep.Kind != check.KindCPUUnsync {
			continue
		}
		name := fmt.Sprintf("%s %s", rep.Kind, rep.Hazard)
		detail := fmt.Sprintf("VA [%#x, %#x)", rep.VA.Start, rep.VA.End())
		acc := find(rep.Access.Job)
		var prior *jobRec
		if rep.Prior != nil {
			prior = find(rep.Prior.Job)
		}
		switch {
		case acc != nil:
			tl.Marks = append(tl.Marks, Mark{Track: acc.track, Time: max(rep.Time, acc.start), Kind: "race", Name: name, Detail: detail})
			if prior != nil {
				tl.Flows = append(tl.Flows, Flow{From: prior.id, To: acc.id, Kind: "race"})
			}
		case prior != nil:
			tl.Marks = append(tl.Marks, Mark{Track: prior.track, Time: max(rep.Time, prior.start), Kind: "race", Name: name, Detail: detail})
		}
	}
}

func (r *runner) sortedClients() []*runClient {
	var cs []*runClient
	for _, c := range r.clients {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	return cs
}

// checkerOnly are the metrics only the hazard checker observes.
var checkerOnly = map[string]bool{"races": true, "cpu-unsync": true}

// ErrnoName returns an errno's kernel name (EINVAL), or "" if err holds
// none.
func ErrnoName(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return errnoName(en)
	}
	return ""
}

// fmtNS formats nanoseconds for people: 850ns, 12.5µs, 3.2ms.
func fmtNS(ns int64) string {
	switch {
	case ns < 1000:
		return fmt.Sprintf("%dns", ns)
	case ns < 1000_000:
		return trimZero(fmt.Sprintf("%.1f", float64(ns)/1e3)) + "µs"
	case ns < 1000_000_000:
		return trimZero(fmt.Sprintf("%.2f", float64(ns)/1e6)) + "ms"
	}
	return trimZero(fmt.Sprintf("%.3f", float64(ns)/1e9)) + "s"
}

// FormatNS formats nanoseconds for people.
func FormatNS(ns int64) string { return fmtNS(ns) }

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
