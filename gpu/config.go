package gpu

import "errors"

// Timeouts (ns). DefaultTimeout is amdgpu's lockup_timeout for non-compute
// rings on bare metal in 6.1–6.16 (10000 ms); compute had 60000 ms.
// Later kernels lowered the default for all queues to 2000 ms. Set
// Config.Timeout to model another kernel.
const (
	DefaultTimeout        int64 = 10_000_000_000
	DefaultComputeTimeout int64 = 60_000_000_000
	// NoTimeout disables hang detection on a ring (lockup_timeout < 0,
	// MAX_SCHEDULE_TIMEOUT).
	NoTimeout int64 = -1
)

// Cost is a per-IP cost model turning a job's Usage into a duration.
//
//	duration = Launch + Packets*PerPacket + Bytes*PicosPerByte/1000 + Busy
//
// The numbers are coarse: they order jobs plausibly, they do not predict a
// real GPU.
type Cost struct {
	// Launch is the fixed cost of a job in ns: ring fetch, IB jump, the
	// fence write and its interrupt.
	Launch int64
	// PerPacket is charged per packet processed, in ns.
	PerPacket int64
	// PicosPerByte is the transfer cost in ps per byte moved or written
	// (100 ps/B = 10 GB/s).
	PicosPerByte int64
}

// DefaultCost returns the default cost model of ip.
func DefaultCost(ip IP) Cost {
	switch ip {
	case SDMA:
		return Cost{Launch: 2_000, PerPacket: 20, PicosPerByte: 100}
	case GFX, COMPUTE:
		return Cost{Launch: 5_000, PerPacket: 10, PicosPerByte: 50}
	}
	return Cost{Launch: 10_000, PerPacket: 50, PicosPerByte: 200}
}

// Duration returns the time a job with usage u takes under c.
func (c Cost) Duration(u Usage) int64 {
	return c.Launch + u.Packets*c.PerPacket + u.Bytes*c.PicosPerByte/1000 +
		u.Busy
}

// Config configures an Engine.
type Config struct {
	// Rings is the number of rings per IP (amdgpu_ring instances, each with
	// its own drm_gpu_scheduler). IPs absent or with 0 rings have none.
	Rings map[IP]int
	// Cost overrides DefaultCost per IP.
	Cost map[IP]Cost
	// Timeout overrides the per-IP job timeout (ns); NoTimeout disables it.
	// A job whose duration exceeds its ring's timeout hangs (see Engine).
	Timeout map[IP]int64
	// ResetTime is how long a ring reset takes (ns) after a timeout; the
	// ring runs nothing meanwhile. 0 resets instantly.
	ResetTime int64
	// KeepEntityAfterError turns off the cancellation of an entity's later
	// jobs once one of its jobs finished with an error. Off (the zero
	// value) mirrors amdgpu_job_prepare_job() in recent kernels, which
	// copies drm_sched_entity_error() (the error of the entity's last
	// scheduled job) to the next job and skips its IBs; older kernels,
	// 6.1 among them, kept running such jobs.
	KeepEntityAfterError bool
	// Sink receives job lifecycle events. nil records nothing and costs
	// nothing.
	Sink Sink
	// OnTimeout, if set, is called after a hang has been handled (the
	// guilty job's fences signaled with -ETIME, the ring reset started).
	// The context layer uses it to mark the guilty context. It runs on the
	// clock's event goroutine with no engine lock held.
	OnTimeout func(TimeoutReport)
}

// TimeoutReport describes a job timeout (a hang).
type TimeoutReport struct {
	// Time is when the hang was detected: the job's start plus the ring's
	// timeout.
	Time int64
	// Ring is the ring that hung and was reset.
	Ring *Ring
	// Job is the guilty job; Entity is its entity.
	Job    *Job
	Entity *Entity
}

// Errors returned by NewEngine.
var (
	ErrNoRings   = errors.New("gpu: no rings configured")
	ErrBadConfig = errors.New("gpu: invalid configuration")
)
