package cs

import (
	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/internal/slicepool"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/vm"
	"github.com/vmemu/vmemu/ww"
)

// Wait is a dependency a CS did not ask for, measured when its job
// started: a forced wait (rule E4: a mandatory VM fence left by a free
// that user space did not wait for) or an implicit-sync stall (a fence
// taken from a BO's reservation object).
type Wait struct {
	// Job is the leader job that waited; Fence the fence it waited for.
	Job   *gpu.Job
	Fence *fence.Fence
	// CostNS is how much later the job could start because of Fence: the
	// time Fence signaled after every other dependency and the submission.
	CostNS int64
	// Forced is true for a forced wait, false for an implicit stall.
	Forced bool
}

// Submitted describes a pushed submission: its jobs (Leader among them)
// and its dependencies, split into those user space asked for (CS
// dependency and syncobj chunks) and those the kernel added (page-table
// updates, mandatory fences, implicit sync).
type Submitted struct {
	Parsed     *Parsed
	Leader     *gpu.Job
	Jobs       []*gpu.Job
	UserDeps   []*fence.Fence
	KernelDeps []*fence.Fence
}

// Hooks observe a submission; any may be nil.
type Hooks struct {
	// OnWait reports every forced wait and implicit stall with a cost > 0,
	// when the job starts.
	OnWait func(Wait)
	// OnSubmit reports a submission right after its jobs are pushed.
	OnSubmit func(s Submitted)
}

// SubmitEnv is the device and file state a submission reaches.
type SubmitEnv struct {
	VM      *vm.VM
	Mem     *bo.Manager
	Clock   *sim.Clock
	Engines Engines
	Hooks   Hooks
	// IBStats accumulates IB decoding outcomes (may be nil).
	IBStats *IBStats
	// Tag is attached to every job of the submission (see JobWork), for
	// observers that meet the job on the GPU timeline (the hazard checker
	// keeps the submitting thread's knowledge there).
	Tag any
	// Exec, if not nil, is the drm_exec Submit initialises and finishes
	// (the ioctl layer passes its per-call one, as amdgpu_cs_parser
	// embeds its own); nil: Submit allocates one.
	Exec *ww.Exec
}

// Submit runs the rest of amdgpu_cs_ioctl() for a parsed CS:
// amdgpu_cs_parser_bos() (drm_exec locking of the root PD and the list,
// validation), amdgpu_cs_vm_handling(), amdgpu_cs_sync_rings() and
// amdgpu_cs_submit(). It returns the leader's sequence number.
//
// The sync policy follows the context. An implicit context is upstream
// amdgpu: the job depends on the page-table updates of every listed BO and
// of the VM, and on the fences of every locked reservation that pass
// NE_OWNER (EXPLICIT for BOs created with AMDGPU_GEM_CREATE_EXPLICIT_SYNC);
// its fence is added as WRITE (leader) and READ (others). An EXPLICIT
// context (vmemu extension, rules E1/E2) depends only on kernel-initiated
// page-table updates (TTM moves, validation) and those the CS performs
// itself (DELAY_UPDATE), on KERNEL-usage fences of the locked objects and
// on its declared dependencies; its fence is added as BOOKKEEP. Every CS
// depends on the VM's mandatory fences (rule E4): when one has not
// signaled, that is a forced wait.
// listedPool recycles the BO list handed to vm.UpdateBOs: a CS over
// thousands of BOs would otherwise leave an array of interfaces per
// submission for the garbage collector to scan.
var listedPool = slicepool.Pool[vm.BO]{Min: 64}

func Submit(env SubmitEnv, p *Parsed) (uint64, error) {
	v := env.VM
	gang := len(p.Jobs)
	// amdgpu_cs_parser_bos(): lock the VM root, the listed BOs and the
	// user fence BO, then validate.
	flags, nr := ww.Interruptible|ww.IgnoreDuplicates, 2+len(p.BOList.Entries)
	e := env.Exec
	if e == nil {
		e = ww.NewExec(flags, nr)
	} else {
		e.Init(flags, nr)
	}
	defer e.Fini()
	err := e.Run(func(e *ww.Exec) error {
		if err := e.Prepare(v.RootResv(), 1+gang); err != nil {
			return err
		}
		for _, en := range p.BOList.Entries {
			if err := e.Prepare(en.BO, 1+gang); err != nil {
				return err
			}
		}
		if p.UserFence != nil {
			return e.Prepare(p.UserFence, 1+gang)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	validate := func(b *bo.BO) error { return env.Mem.ValidateCS(e, b) }
	if err := v.Validate(func(b vm.BO) error {
		if vb, ok := b.(bo.VMBO); ok {
			return validate(vb.B)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, en := range p.BOList.Entries {
		if err := validate(en.BO); err != nil {
			return 0, err
		}
	}

	// amdgpu_cs_vm_handling()
	explicit := p.Ctx.Explicit
	if !v.Ready() {
		return 0, errno.EINVAL
	}
	if _, err := v.ClearFreed(); err != nil {
		return 0, err
	}
	var ptSync syncSet // amdgpu_cs_vm_handling()'s additions to p->sync
	takePT := func(before, after *fence.Fence) {
		// In an explicit context only kernel-initiated updates and those
		// the CS performs itself are waited for (rule E1).
		if !explicit || after != before {
			ptSync.add(after)
			return
		}
		if o, ok := vm.PTOrigin(after); ok && o == vm.OriginKernel {
			ptSync.add(after)
		}
	}
	if prt := v.PRT(); prt != nil {
		before := prt.LastPTUpdate()
		if err := v.BoUpdate(prt, false); err != nil {
			return 0, err
		}
		takePT(before, prt.LastPTUpdate())
	}
	listed := listedPool.Get(len(p.BOList.Entries))
	for _, en := range p.BOList.Entries {
		listed = append(listed, bo.VMBO{B: en.BO})
	}
	err = v.UpdateBOs(listed, func(_ *bova.BoVA, before, after *fence.Fence) {
		takePT(before, after)
	})
	listedPool.Put(listed)
	if err != nil {
		return 0, err
	}
	beforeVM := v.LastUpdate()
	if err := v.HandleMoved(e.Ticket()); err != nil {
		return 0, err
	}
	if err := v.UpdatePDEs(); err != nil {
		return 0, err
	}
	if after := v.LastUpdate(); !explicit || after != beforeVM {
		ptSync.add(after)
	} else if o, ok := vm.PTOrigin(after); ok && o == vm.OriginKernel {
		ptSync.add(after)
	}
	ptDeps := ptSync.fs
	mandatory := v.Mandatory()

	// amdgpu_cs_sync_rings()
	leaderEn := p.Jobs[p.Leader].Entity
	if prev := leaderEn.PrevFence(); prev != nil {
		fence.Wait(prev, sim.Forever) // amdgpu_ctx_wait_prev_fence()
	}
	var implicitSync syncSet // amdgpu_cs_sync_rings()'s amdgpu_sync_resv() calls
	var scratch []*fence.Fence
	for _, o := range e.Objects() {
		var r *resv.Resv
		explicitBO := false
		switch x := o.(type) {
		case *resv.Resv:
			r = x
		case *bo.BO:
			r = x.Resv()
			explicitBO = x.Flags()&uapi.AMDGPU_GEM_CREATE_EXPLICIT_SYNC != 0
		default:
			continue
		}
		if explicit {
			// Rule E2: only kernel memory management (KERNEL usage).
			scratch = r.FencesLocked(resv.KERNEL, scratch[:0])
			implicitSync.addAll(scratch)
			continue
		}
		mode := vm.SyncNEOwner
		if explicitBO {
			mode = vm.SyncExplicit
		}
		scratch = v.SyncResv(r, mode, scratch[:0])
		implicitSync.addAll(scratch)
	}
	implicitDeps := implicitSync.fs

	// amdgpu_cs_submit()
	deps := make([]*fence.Fence, 0, len(p.Deps)+len(ptDeps)+len(mandatory)+len(implicitDeps))
	deps = append(deps, p.Deps...)
	deps = append(deps, ptDeps...)
	deps = append(deps, mandatory...)
	deps = append(deps, implicitDeps...)
	submitted := env.Clock.Now()
	kernelDeps := append(append(append([]*fence.Fence(nil), ptDeps...), mandatory...), implicitDeps...)
	wrap := func(j *Job) *JobWork {
		return &JobWork{Work: env.work(p, j), Tag: env.Tag, Ctx: p.Ctx, UserDeps: p.Deps, KernelDeps: kernelDeps}
	}
	jobs := make([]*gpu.Job, gang)
	for i, j := range p.Jobs {
		if i == p.Leader {
			continue
		}
		jobs[i] = j.Entity.Sched.Push(wrap(j), deps...)
	}
	// The gang leader also waits for the other members to be scheduled.
	var gangDeps []*fence.Fence
	for i := range p.Jobs {
		if i != p.Leader {
			gangDeps = append(gangDeps, jobs[i].Scheduled())
		}
	}
	leaderDeps := append(deps, gangDeps...)
	lj := p.Jobs[p.Leader]
	work := wrap(lj)
	work.Leader = true
	if env.Hooks.OnWait != nil && (len(mandatory) > 0 || len(implicitDeps) > 0) {
		work.measure = &measure{submitted: submitted,
			declared:  append(append(append([]*fence.Fence(nil), p.Deps...), ptDeps...), gangDeps...),
			mandatory: mandatory, implicit: implicitDeps, report: env.Hooks.OnWait}
	}
	leader := lj.Entity.Sched.Push(work, leaderDeps...)
	jobs[p.Leader] = leader

	usage := resv.WRITE
	other := resv.READ
	if explicit {
		usage, other = resv.BOOKKEEP, resv.BOOKKEEP
	}
	for _, o := range e.Objects() {
		var r *resv.Resv
		switch x := o.(type) {
		case *resv.Resv:
			r = x
		case *bo.BO:
			r = x.Resv()
		default:
			continue
		}
		for i, j := range jobs {
			if i != p.Leader {
				r.AddFence(j.Finished(), other)
			}
		}
		r.AddFence(leader.Finished(), usage)
	}
	seq := leaderEn.AddFence(leader.Finished())
	// amdgpu_vm_move_to_lru_tail(): the VM's per-VM BOs go to their LRU
	// tails in bulk; other listed BOs keep their positions (drm_exec
	// unlocks without the LRU bump ttm_eu_fence_buffer_objects() did).
	if perVM := v.PerVMBOs(nil); len(perVM) > 0 {
		bs := make([]*bo.BO, 0, len(perVM))
		for _, x := range perVM {
			if vb, ok := x.(bo.VMBO); ok {
				bs = append(bs, vb.B)
			}
		}
		env.Mem.BulkMoveToTail(bs)
	}
	// amdgpu_cs_post_dependencies()
	for _, d := range p.PostDeps {
		if d.Point != 0 {
			d.Syncobj.AddPoint(leader.Finished(), d.Point)
		} else {
			d.Syncobj.ReplaceFence(leader.Finished())
		}
	}
	if env.Hooks.OnSubmit != nil {
		env.Hooks.OnSubmit(Submitted{Parsed: p, Leader: leader, Jobs: jobs, UserDeps: p.Deps, KernelDeps: kernelDeps})
	}
	return seq, nil
}

func (env SubmitEnv) work(p *Parsed, j *Job) gpu.Work {
	st := env.IBStats
	if st == nil {
		st = &IBStats{}
	}
	return vm.NewCSWork(env.VM, program(env.VM, env.Mem, env.Engines, j, st))
}

// JobWork is the Work of every CS job: the packet program, and what the
// submission knew about the job, for observers (JobWorkOf).
type JobWork struct {
	gpu.Work
	// Tag is SubmitEnv.Tag; Ctx the submitting context.
	Tag any
	Ctx *Context
	// Leader marks the gang leader.
	Leader bool
	// UserDeps and KernelDeps split the job's dependencies as Submitted
	// does.
	UserDeps, KernelDeps []*fence.Fence
	measure              *measure
}

// JobWorkOf returns the CS description of a job, or nil for a job that is
// not a CS (page-table updates, moves).
func JobWorkOf(j *gpu.Job) *JobWork {
	w, _ := j.Work().(*JobWork)
	return w
}

// Run implements gpu.Work.
func (w *JobWork) Run(rc gpu.RunContext) gpu.Usage {
	if w.measure != nil {
		w.measure.run(rc.Job)
	}
	return w.Work.Run(rc)
}

// Complete implements gpu.Completer for a wrapped Work that has one.
func (w *JobWork) Complete(rc gpu.RunContext) {
	if c, ok := w.Work.(gpu.Completer); ok {
		c.Complete(rc)
	}
}

// measure finds, when a leader starts, the waits it did not ask for.
type measure struct {
	submitted int64
	declared  []*fence.Fence
	mandatory []*fence.Fence
	implicit  []*fence.Fence
	report    func(Wait)
}

// run: the job starts now; a fence it did not ask for cost the time it
// signaled after everything it did ask for. Every mandatory fence is
// reported (it was unsignaled at submission, so user space freed without
// waiting: a forced wait, even when other work hid its cost); implicit
// stalls only when they cost time.
func (m *measure) run(job *gpu.Job) {
	base := m.submitted
	for _, f := range m.declared {
		if f.IsSignaled() && f.Timestamp() > base {
			base = f.Timestamp()
		}
	}
	emit := func(fs []*fence.Fence, forced bool) {
		for _, f := range fs {
			if !f.IsSignaled() {
				continue
			}
			cost := max(0, f.Timestamp()-base)
			if forced || cost > 0 {
				m.report(Wait{Job: job, Fence: f, CostNS: cost, Forced: forced})
			}
		}
	}
	emit(m.mandatory, true)
	emit(m.implicit, false)
}
