package scenario

import (
	"fmt"

	"github.com/vmemu/vmemu/check"
)

// Result is what one run of a script produced.
type Result struct {
	Script *Script
	// Policy is the policy the run used.
	Policy Policy
	Stats  Stats
	// Reports are the hazard checker's reports (empty when the device does
	// not feed a checker).
	Reports []check.Report
	// Checked says the hazard checker was on (races and CPU accesses are
	// only detected then).
	Checked bool
	// Log is one entry per command executed.
	Log      []LogEntry
	Timeline Timeline
	// Failures are fails= and read want= checks that did not hold, and
	// expect lines that did not hold, in that order.
	Failures []Failure
	// Err is set when the run stopped early: an ioctl failed that the
	// script did not expect to fail.
	Err *RunError
}

// Failed reports whether a check failed or the run stopped.
func (r *Result) Failed() bool { return r.Err != nil || len(r.Failures) > 0 }

// Stats are the run's counters.
type Stats struct {
	Ioctls int `json:"ioctls"`
	// Jobs counts executed GPU jobs: CS jobs, page-table updates, kernel
	// moves and clears.
	Jobs       int `json:"jobs"`
	CSJobs     int `json:"cs_jobs"`
	PTJobs     int `json:"pt_jobs"`
	KernelJobs int `json:"kernel_jobs"`
	// Rings is per-ring busy time, in first-use order.
	Rings []RingBusy `json:"rings"`
	// BusyNS is the total busy time of all rings.
	BusyNS       int64  `json:"busy_ns"`
	Faults       int    `json:"faults"`
	ForcedWaits  int    `json:"forced_waits"`
	ForcedWaitNS int64  `json:"forced_wait_ns"`
	Stalls       int    `json:"stalls"`
	StallNS      int64  `json:"stall_ns"`
	Evictions    uint64 `json:"evictions"`
	BytesMoved   uint64 `json:"bytes_moved"`
	// VRAMHigh and GTTHigh are the pools' high-water marks (bytes used,
	// ghosts included), sampled after every command and GPU event.
	VRAMHigh     uint64 `json:"vram_high_water"`
	GTTHigh      uint64 `json:"gtt_high_water"`
	UseAfterFree int    `json:"use_after_free"`
	Deadlocks    uint64 `json:"deadlocks"`
	// Hazards counts checker reports by kind (unique reports).
	Hazards []HazardCount `json:"hazards"`
	// EndNS is the clock when the GPU went idle.
	EndNS int64 `json:"end_ns"`
}

// RingBusy is one ring's work.
type RingBusy struct {
	Name   string `json:"name"`
	Jobs   int    `json:"jobs"`
	BusyNS int64  `json:"busy_ns"`
}

// HazardCount is the number of reports of one kind.
type HazardCount struct {
	Kind   string `json:"kind"`
	Unique int    `json:"unique"`
	Total  int    `json:"total"`
}

// LogEntry records one executed command.
type LogEntry struct {
	Pos    Pos    `json:"-"`
	Line   int    `json:"line"`
	Client string `json:"client,omitempty"`
	Src    string `json:"src"`
	// Start and End are clock times around the command.
	Start int64 `json:"start_ns"`
	End   int64 `json:"end_ns"`
	// Outcome is "ok", an errno name ("EINVAL, as expected"), or what a
	// wait or read found.
	Outcome string `json:"outcome"`
}

// Failure is a check that did not hold.
type Failure struct {
	Pos Pos    `json:"-"`
	Msg string `json:"msg"`
	// Expect is set for a failed expect line (others are fails= and
	// want= checks, which an expect line may count with checks-failed).
	Expect bool `json:"expect,omitempty"`
}

func (f Failure) String() string { return fmt.Sprintf("%s: %s", f.Pos, f.Msg) }

// RunError is an unexpected ioctl error that stopped a run.
type RunError struct {
	Pos Pos
	Src string
	Err error
}

func (e *RunError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Pos, e.Src, e.Err) }
func (e *RunError) Unwrap() error { return e.Err }

// Metric returns the value of an expect metric.
func (r *Result) Metric(name string) int64 {
	s := &r.Stats
	h := func(kind string) int64 {
		for _, k := range s.Hazards {
			if k.Kind == kind {
				return int64(k.Unique)
			}
		}
		return 0
	}
	switch name {
	case "faults":
		return int64(s.Faults)
	case "forced-waits":
		return int64(s.ForcedWaits)
	case "stalls":
		return int64(s.Stalls)
	case "races":
		return h("race")
	case "cpu-unsync":
		return h("cpu-unsync")
	case "use-after-free":
		return max(int64(s.UseAfterFree), h("use-after-free"))
	case "hazards":
		return r.Metric("races") + r.Metric("cpu-unsync") + r.Metric("use-after-free") + r.Metric("faults")
	case "evictions":
		return int64(s.Evictions)
	case "jobs":
		return int64(s.Jobs)
	case "deadlocks":
		return int64(s.Deadlocks)
	case "checks-failed":
		n := 0
		for _, f := range r.Failures {
			if !f.Expect {
				n++
			}
		}
		return int64(n)
	}
	return 0
}

func (c Cond) holds(v int64) bool {
	switch c.Op {
	case "=":
		return v == c.Value
	case "!=":
		return v != c.Value
	case ">=":
		return v >= c.Value
	case "<=":
		return v <= c.Value
	case ">":
		return v > c.Value
	case "<":
		return v < c.Value
	}
	return false
}

// Timeline is what the GPU and the clients did over time.
type Timeline struct {
	Tracks []Track `json:"tracks"`
	Slices []Slice `json:"slices"`
	Flows  []Flow  `json:"flows"`
	Marks  []Mark  `json:"marks"`
	// End is the time of the last event.
	End int64 `json:"end_ns"`
}

// TrackKind says what a track shows.
type TrackKind string

const (
	// TrackCPU is a client's thread: its ioctls and waits.
	TrackCPU TrackKind = "cpu"
	// TrackRing is a hardware ring: the user jobs it ran.
	TrackRing TrackKind = "ring"
	// TrackVM is a VM's page-table update queue (vm->delayed).
	TrackVM TrackKind = "vm"
	// TrackKernel is a kernel entity other than page tables (TTM moves).
	TrackKernel TrackKind = "kernel"
)

// Track is one row of the timeline.
type Track struct {
	ID   int       `json:"id"`
	Name string    `json:"name"`
	Kind TrackKind `json:"kind"`
}

// Slice is a span on a track: a job from start to end, or a client's wait.
type Slice struct {
	Track int    `json:"track"`
	Name  string `json:"name"`
	// Kind is "cs", "pt", "move", "wait" or "ioctl".
	Kind   string `json:"kind"`
	Queued int64  `json:"queued_ns,omitempty"`
	Start  int64  `json:"start_ns"`
	End    int64  `json:"end_ns"`
	// Job is the scheduler job id (0 for CPU slices).
	Job   uint64 `json:"job,omitempty"`
	Fence string `json:"fence,omitempty"`
	Line  int    `json:"line,omitempty"`
	Error int32  `json:"error,omitempty"`
}

// Flow is a fence edge: the From job's fence ordered the To job.
type Flow struct {
	From, To uint64 // job ids
	// Kind is "dep" (asked for), "kernel" (the kernel added it: page-table
	// update, move, implicit sync), "forced" (E4), "stall", or "race" (no
	// order at all: the two sides of a race the checker reported).
	Kind string `json:"kind"`
}

// Mark is an instant: a fault, a forced wait, a stall, a race, a timeout,
// or (kind "ioctl") a client's command.
type Mark struct {
	Track  int    `json:"track"`
	Time   int64  `json:"time_ns"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
	CostNS int64  `json:"cost_ns,omitempty"`
}
