// Package sim is vmemu's clock and discrete-event core.
//
// GPU activity in vmemu is a discrete-event simulation: jobs start and
// complete, fences signal and page-table updates land as events on a Clock.
// The kernel has no such object; the Clock stands in for the passage of time
// on the real machine (CLOCK_MONOTONIC, to which DRM's absolute ioctl
// timeouts refer: drm_timeout_abs_to_jiffies() in drm_syncobj.c,
// amdgpu_gem_timeout() in amdgpu_gem.c).
//
// # Modes
//
// In virtual mode (NewVirtual, the default everywhere) time passes only when
// somebody waits: a waiting ioctl runs the pending events in time order until
// its condition holds, and when no event is due before its deadline it
// advances the clock to the deadline and times out at once. A single-client
// scenario is therefore deterministic end to end and takes no wall time.
// A wait with no deadline (Forever) and no pending event blocks until another
// goroutine changes something (signals a fence, schedules an event).
//
// In real-time mode (NewRealTime) the clock follows the wall clock,
// optionally scaled, and a runner goroutine executes events when they fall
// due, so that several clients of a server see time pass. Close stops it.
//
// # Determinism
//
// Events run one at a time, ordered by (time, order of scheduling). Nothing in
// sim reads the wall clock in virtual mode.
//
// # Concurrency
//
// A Clock is safe for concurrent use. Event functions run with no Clock lock
// held (they may schedule further events and signal fences) but never two at
// once. Event functions must not block.
package sim
