package gpu

import "fmt"

// EventKind is the kind of a job lifecycle event. Each kind corresponds to a
// gpu_scheduler tracepoint (gpu_scheduler_trace.h), except EventTimeout,
// which has no tracepoint (amdgpu_job_timedout() prints "ring %s timeout").
type EventKind uint8

const (
	// EventQueued: a job was pushed to its entity. Tracepoint drm_sched_job
	// (6.1–6.16) / drm_sched_job_queue (6.17+), fired in
	// drm_sched_entity_push_job().
	EventQueued EventKind = iota
	// EventWaitDep: the entity's head job blocks on an unsignaled
	// dependency, Event.Dep. Tracepoint drm_sched_job_wait_dep /
	// drm_sched_job_unschedulable, fired in
	// drm_sched_entity_add_dependency_cb().
	EventWaitDep
	// EventRun: the scheduler hands the job to its ring; the scheduled
	// fence has just signaled. Tracepoint drm_run_job / drm_sched_job_run.
	EventRun
	// EventDone: the job's finished fence signaled (Event.Error is its
	// error). Tracepoint drm_sched_process_job / drm_sched_job_done, fired
	// in drm_sched_job_done().
	EventDone
	// EventTimeout: the job exceeded the ring's timeout and is treated as
	// hung (drm_sched_job_timedout() -> amdgpu_job_timedout()). It precedes
	// the job's EventDone, which carries -ETIME.
	EventTimeout
)

var eventNames = [...]struct{ old, new string }{
	EventQueued:  {"drm_sched_job", "drm_sched_job_queue"},
	EventWaitDep: {"drm_sched_job_wait_dep", "drm_sched_job_unschedulable"},
	EventRun:     {"drm_run_job", "drm_sched_job_run"},
	EventDone:    {"drm_sched_process_job", "drm_sched_job_done"},
	EventTimeout: {"amdgpu_job_timedout", "amdgpu_job_timedout"},
}

// String returns the 6.1–6.16 tracepoint name.
func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k].old
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Tracepoint617 returns the tracepoint name used from 6.17 on.
func (k EventKind) Tracepoint617() string {
	if int(k) < len(eventNames) {
		return eventNames[k].new
	}
	return k.String()
}

// FenceKey identifies a fence by (context, seqno), the join key of the
// scheduler and amdgpu tracepoints.
type FenceKey struct {
	Context, Seqno uint64
}

func (k FenceKey) String() string { return fmt.Sprintf("%d:%d", k.Context, k.Seqno) }

// Event is a job lifecycle event. Fields not meaningful for a kind are zero.
type Event struct {
	Kind EventKind
	// Time is the clock time of the event (ns).
	Time int64
	// Ring is the job's ring; RingName its name (the tracepoints' "name").
	Ring     *Ring
	RingName string
	// Job and Entity are the job and its entity.
	Job    *Job
	Entity *Entity
	// ID is the job id (drm_sched_job.id, 6.1–6.16), unique per engine.
	ID uint64
	// Fence is the job's finished fence (fence_context, fence_seqno).
	Fence FenceKey
	// HW is the hardware (ring) fence, for EventRun/EventDone/EventTimeout
	// of a job that reached the ring; zero for a skipped job.
	HW FenceKey
	// Dep is the dependency waited for (EventWaitDep: ctx, seqno).
	Dep FenceKey
	// JobCount is the entity's queue depth (job_count), HWJobCount the
	// number of jobs on the ring (hw_job_count), both after the event.
	JobCount   int
	HWJobCount int
	// Error is the finished fence's error (EventDone, EventTimeout).
	Error int32
}

func (ev *Event) String() string {
	s := fmt.Sprintf("t=%d %s ring=%s fence=%s", ev.Time, ev.Kind,
		ev.RingName, ev.Fence)
	switch ev.Kind {
	case EventWaitDep:
		s += " dep=" + ev.Dep.String()
	case EventRun, EventDone, EventTimeout:
		if ev.HW != (FenceKey{}) {
			s += " hw=" + ev.HW.String()
		}
	}
	if ev.Error != 0 {
		s += fmt.Sprintf(" err=%d", ev.Error)
	}
	return s
}

// Sink receives events. Event is called synchronously, with no engine lock
// held, from the goroutine that caused the event (the clock's event
// goroutine for runs, completions and timeouts; the pusher for EventQueued;
// the signaller of a dependency for EventWaitDep). The *Event is only valid
// during the call. Implementations must not block and must not call back
// into the engine.
type Sink interface {
	Event(ev *Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ev *Event)

// Event implements Sink.Event.
func (f SinkFunc) Event(ev *Event) { f(ev) }
