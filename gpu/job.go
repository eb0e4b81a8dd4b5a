package gpu

import (
	"fmt"
	"syscall"

	"github.com/vmemu/vmemu/fence"
)

// Usage is what a job's work did, from which the ring's Cost computes the
// job's duration.
type Usage struct {
	// Bytes moved or written (SDMA COPY_LINEAR, CONST_FILL, WRITE_DATA…).
	Bytes int64
	// Busy is explicit busy time in ns (vmemu annotations: "this job runs
	// for T ns").
	Busy int64
	// Packets is the number of packets processed.
	Packets int64
	// Hang reports that the work never completes (a hung shader or a wait
	// on memory that never changes). The job times out.
	Hang bool
}

// RunContext is passed to Work.Run.
type RunContext struct {
	// Now is the clock time at which the job starts executing.
	Now int64
	// Ring is the ring executing the job.
	Ring *Ring
	// Job is the job being executed.
	Job *Job
}

// Work is what a job executes: later layers plug in PM4/SDMA packet
// execution and page-table updates here. Run is called once, when the job
// starts on its ring, on the clock's event goroutine with no engine lock
// held, so its effects (reads and writes of emulated memory) happen at the
// job's start time on the clock. Its Usage sets the job's duration. Run
// must not block and must not push jobs synchronously to the same engine
// in a way that waits for them.
type Work interface {
	Run(rc RunContext) Usage
}

// Completer is implemented by Work with effects that land when the job
// completes rather than when it starts (a page-table update's entries are
// in place only once its SDMA job is done). Complete is called at the job's
// end, before its fences signal, on the clock's event goroutine. It is not
// called for a job that timed out.
type Completer interface {
	Complete(rc RunContext)
}

// WorkFunc adapts a function to Work.
type WorkFunc func(rc RunContext) Usage

// Run implements Work.Run.
func (f WorkFunc) Run(rc RunContext) Usage { return f(rc) }

// Busy is Work that keeps the ring busy for the given ns (plus the launch
// cost) and does nothing else.
type Busy int64

// Run implements Work.Run.
func (b Busy) Run(RunContext) Usage { return Usage{Busy: int64(b)} }

// JobState is the lifecycle state of a Job. Transitions:
//
//	Queued -> Ready -> Running -> Done | TimedOut
//	Queued -> Ready -> Skipped
type JobState uint8

const (
	// JobQueued: pushed to its entity, not yet runnable: not at the head of
	// the entity's queue, or blocked on a dependency.
	JobQueued JobState = iota
	// JobReady: at the head of its entity with every dependency satisfied,
	// waiting for the ring's scheduler to pick it.
	JobReady
	// JobRunning: executing on its ring; the scheduled and hardware fences
	// exist, the scheduled fence has signaled.
	JobRunning
	// JobDone: completed; the hardware and finished fences signaled (the
	// state changes just after the finished fence signals).
	JobDone
	// JobSkipped: picked with an error already set on its finished fence
	// (guilty entity, or an earlier job of the entity failed), so its work
	// was not run and it got no hardware fence, as amdgpu_job_run() skips
	// the IBs.
	JobSkipped
	// JobTimedOut: ran past its ring's timeout; its fences signaled with
	// -ETIME and the ring was reset.
	JobTimedOut
)

var jobStateNames = [...]string{"queued", "ready", "running", "done",
	"skipped", "timedout"}

func (s JobState) String() string {
	if int(s) < len(jobStateNames) {
		return jobStateNames[s]
	}
	return fmt.Sprintf("JobState(%d)", uint8(s))
}

// Job is a drm_sched_job / amdgpu_job: work pushed to an entity with
// dependencies, and the fences tracking it. It is created by Entity.Push.
type Job struct {
	entity *Entity
	work   Work
	id     uint64
	// The dependencies, deduplicated per context
	// (drm_sched_job_add_dependency()), immutable after Push: the first
	// ndeps of depsInline, or all of *depsMore when there are more than
	// two. See depList.
	depsInline [2]*fence.Fence
	depsMore   *[]*fence.Fence
	// fences holds the scheduled and finished fences in place, as struct
	// drm_sched_fence embeds its two fences: one allocation per job. Their
	// ops are the job itself (schedOps), so that JobOf finds it.
	fences [2]fence.Fence
	// hw is the hardware fence, made by the first HWFence call once the
	// job has reached the ring (nothing else in vmemu needs the object:
	// events carry its key). Protected by Engine.mu.
	hw *fence.Fence
	// hwSeq is the hardware fence's seqno on the ring's context, valid
	// with jobHasHW. Protected by Engine.mu.
	hwSeq uint64
	// next links the entity's queue. Protected by Engine.mu.
	next *Job

	// nextDep is the index of the next dependency to examine. Protected by
	// Engine.mu.
	nextDep int32
	// ndeps is the number of dependencies in depsInline.
	ndeps uint8
	// state is the lifecycle state. Protected by Engine.mu.
	state JobState
	// flags holds the job* bits. Protected by Engine.mu.
	flags uint8
	// queuedAt, start and end are clock times. Protected by Engine.mu.
	// end is set when the hardware fence signals (the finished fence
	// signals at the same time) and reported once the job has ended.
	queuedAt, start, end int64
	// usage is what Work.Run reported, set when the job ends. Protected by
	// Engine.mu.
	usage Usage
}

// Job flags.
const (
	// jobDontPipeline is DRM_SCHED_FENCE_DONT_PIPELINE on the finished
	// fence.
	jobDontPipeline uint8 = 1 << iota
	// jobHasHW: the job reached the ring and has a hardware fence (never
	// for a skipped job).
	jobHasHW
	// jobHWError: the hardware fence carries -ETIME (a timeout).
	jobHWError
	// jobHWSignaled: the hardware fence has signaled, at end.
	jobHWSignaled
)

// schedOps is the fence.Ops of scheduler fences: the job itself, converted.
// Scheduler fences are signaled explicitly; the ops only let JobOf map a
// fence back to its job, the Go form of to_drm_sched_fence().
type schedOps Job

// Signaled implements fence.Ops.Signaled.
func (*schedOps) Signaled(*fence.Fence) bool { return false }

// EnableSignaling implements fence.Ops.EnableSignaling.
func (*schedOps) EnableSignaling(*fence.Fence) bool { return true }

// JobOf returns the job whose scheduled or finished fence f is, or nil if f
// is not a scheduler fence. It mirrors to_drm_sched_fence().
func JobOf(f *fence.Fence) *Job {
	if f == nil {
		return nil
	}
	if o, ok := f.Ops().(*schedOps); ok {
		return (*Job)(o)
	}
	return nil
}

// ID returns the job id (drm_sched_job.id): unique per engine, increasing in
// push order.
func (j *Job) ID() uint64 { return j.id }

// Entity returns the job's entity.
func (j *Job) Entity() *Entity { return j.entity }

// Ring returns the ring the job runs on.
func (j *Job) Ring() *Ring { return j.entity.ring }

// Work returns the job's work (nil for a NOP).
func (j *Job) Work() Work { return j.work }

// Scheduled returns the scheduled fence: it signals when the job starts on
// its ring (drm_sched_fence.scheduled).
func (j *Job) Scheduled() *fence.Fence { return &j.fences[0] }

// Finished returns the finished fence: it signals when the job completes,
// with -ETIME after a timeout and -ECANCELED (or the entity's error) when
// skipped (drm_sched_fence.finished). This is the fence a CS returns.
func (j *Job) Finished() *fence.Fence { return &j.fences[1] }

// Deps returns the job's dependencies after per-context deduplication. The
// slice must not be modified.
func (j *Job) Deps() []*fence.Fence { return j.depList() }

// depList returns the dependencies.
func (j *Job) depList() []*fence.Fence {
	if j.depsMore != nil {
		return *j.depsMore
	}
	return j.depsInline[:j.ndeps:j.ndeps]
}

// setDeps records deps, deduplicated, without allocating for up to two.
func (j *Job) setDeps(deps []*fence.Fence) {
	d := dedupDeps(j.depsInline[:0], deps)
	if len(d) <= len(j.depsInline) {
		j.ndeps = uint8(len(d))
		return
	}
	j.depsInline = [2]*fence.Fence{}
	more := new([]*fence.Fence)
	*more = d
	j.depsMore = more
}

// SetDontPipeline sets DRM_SCHED_FENCE_DONT_PIPELINE on the finished fence:
// jobs on the same ring that depend on it wait for it to finish rather than
// for it to be scheduled. Set it before dependents are pushed.
func (j *Job) SetDontPipeline() {
	mu := &j.entity.e.mu
	mu.Lock()
	j.flags |= jobDontPipeline
	mu.Unlock()
}

// DontPipeline reports whether SetDontPipeline was called.
func (j *Job) DontPipeline() bool {
	mu := &j.entity.e.mu
	mu.Lock()
	defer mu.Unlock()
	return j.flags&jobDontPipeline != 0
}

// HWFence returns the hardware fence (amdgpu_fence on the ring's fence
// context), or nil before the job reaches the ring or if it was skipped.
// The fence is made by the first call; one made after the job completed
// is born signaled, with the job's end time and error.
func (j *Job) HWFence() *fence.Fence {
	e := j.entity.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if j.flags&jobHasHW == 0 {
		return nil
	}
	if j.hw == nil {
		f := e.domain.New(j.entity.ring.ctx, j.hwSeq)
		if j.flags&jobHWError != 0 {
			f.SetErrno(syscall.ETIME)
		}
		if j.flags&jobHWSignaled != 0 {
			f.SignalAt(j.end) // no callback yet: calls nothing out
		}
		j.hw = f
	}
	return j.hw
}

// State returns the job's lifecycle state.
func (j *Job) State() JobState {
	mu := &j.entity.e.mu
	mu.Lock()
	defer mu.Unlock()
	return j.state
}

// Times returns when the job was queued, started and ended (0 until then).
func (j *Job) Times() (queued, start, end int64) {
	mu := &j.entity.e.mu
	mu.Lock()
	defer mu.Unlock()
	end = j.end
	if j.state < JobDone {
		end = 0 // set at the hardware fence's signal, reported once ended
	}
	return j.queuedAt, j.start, end
}

// Usage returns what the job's work reported (zero until the job ended).
func (j *Job) Usage() Usage {
	mu := &j.entity.e.mu
	mu.Lock()
	defer mu.Unlock()
	return j.usage
}

func (j *Job) String() string {
	f := j.Finished()
	return fmt.Sprintf("job %d (%s %s)", j.id, j.entity.name, FenceKey{
		f.Context(), f.Seqno()})
}

// The become* methods are the only writers of Job.state. Engine.mu held.

func (j *Job) becomeReady() { j.state = JobReady }

func (j *Job) becomeRunning(now int64) {
	j.state = JobRunning
	j.start = now
}

func (j *Job) becomeDone(now int64, u Usage) {
	j.state = JobDone
	j.end, j.usage = now, u
}

func (j *Job) becomeSkipped(now int64) {
	j.state = JobSkipped
	j.start, j.end = now, now
}

func (j *Job) becomeTimedOut(now int64, u Usage) {
	j.state = JobTimedOut
	j.end, j.usage = now, u
}

// dedupDeps mirrors drm_sched_job_add_dependency(): nil and signaled fences
// are dropped and only the latest fence per context is kept. The result is
// appended to out.
func dedupDeps(out, deps []*fence.Fence) []*fence.Fence {
next:
	for _, f := range deps {
		if f == nil || f.SignaledFlag() {
			continue
		}
		for i, g := range out {
			if g.Context() == f.Context() {
				if fence.IsLater(f, g) {
					out[i] = f
				}
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}
