// Package gpu is vmemu's emulated GPU execution engine: hardware rings, the
// DRM GPU scheduler in front of each, scheduler entities, jobs and their
// fences, job timeouts and ring resets, on the discrete-event clock of
// package sim.
//
// # Kernel objects modelled
//
//   - Ring is struct amdgpu_ring (drivers/gpu/drm/amd/amdgpu/amdgpu_ring.c,
//     amdgpu_ring.h) with its fence driver (amdgpu_fence.c): one hardware
//     queue of an IP (gfx, compute, sdma, …), its own fence context, seqnos
//     emitted when a job reaches the ring and signaled in order.
//   - Each Ring carries its struct drm_gpu_scheduler
//     (drivers/gpu/drm/scheduler/sched_main.c): it picks the next job from
//     its entities when the ring is free, and runs the timeout handler
//     (drm_sched_job_timedout()).
//   - Entity is struct drm_sched_entity
//     (drivers/gpu/drm/scheduler/sched_entity.c): a FIFO of jobs at a
//     priority, with two fence contexts (scheduled, finished).
//   - Job is struct drm_sched_job (include/drm/gpu_scheduler.h) and struct
//     amdgpu_job (drivers/gpu/drm/amd/amdgpu/amdgpu_job.c): work, its
//     dependencies, and the drm_sched_fence pair.
//   - Job.Scheduled and Job.Finished are struct drm_sched_fence
//     (drivers/gpu/drm/scheduler/sched_fence.c); JobOf is
//     to_drm_sched_fence(). Job.HWFence is the amdgpu_fence the job's IBs
//     end with (the scheduler fence's parent).
//
// # Execution
//
// A job is pushed to an entity with its dependencies (Entity.Push). When it
// is at the head of its entity, its dependencies are examined one at a
// time; the entity blocks on the first unsignaled one (EventWaitDep). A
// dependency that is a scheduled or finished fence of the same entity is
// ignored. One that is a scheduler fence of a job on the same ring only
// needs that job to be scheduled (the ring executes in order), unless it
// carries an error or DRM_SCHED_FENCE_DONT_PIPELINE (Job.SetDontPipeline).
// Errors of dependencies do not propagate to the job, as in drm_sched.
//
// When its ring is idle, the scheduler picks among the ready entities the
// one with the highest priority (PriorityKernel first) and, among equal
// priorities, the one whose head job was pushed first: drm_sched's FIFO
// policy (drm_sched_rq_select_entity_fifo(), keyed on the job's submit
// time), with ties broken by push order. Round-robin and the fair
// scheduler of later kernels are not modelled.
//
// The picked job's scheduled fence signals (EventRun), then its Work runs
// at once, at that clock time, and reports a Usage that the ring's Cost
// turns into a duration. After the duration the hardware fence signals,
// then the finished fence (EventDone), and the scheduler picks the next
// job. A ring runs one job at a time: this is the kernel with a hardware
// submission limit of one, so the scheduled fence signals when the job
// actually starts executing.
//
// A job picked while its entity is guilty (Entity.SetGuilty) is skipped:
// its finished fence signals with -ECANCELED, without hardware fence and
// without running its Work (drm_sched_entity_pop_job(), amdgpu_job_run()).
// Likewise, unless Config.KeepEntityAfterError, a job picked after an
// earlier job of its entity finished with an error inherits that error and
// is skipped (amdgpu_job_prepare_job() with drm_sched_entity_error()).
//
// # Timeouts
//
// A job whose duration exceeds its ring's timeout (or whose Usage reports
// Hang) is detected at start+timeout (EventTimeout), as
// drm_sched_job_timedout() fires then. As amdgpu_job_timedout() does, the
// finished fence gets -ETIME; the ring is reset (per-queue reset, taking
// Config.ResetTime), which force-completes the hardware fence, with -ETIME
// too (amdgpu_fence_driver_guilty_force_completion(), 6.17+). Other jobs
// continue after the reset: with one job on the ring there is nothing to
// re-emit. Config.OnTimeout reports the guilty entity so that the context
// layer can mark its context guilty; full GPU resets, karma and VRAM loss
// belong to that layer.
//
// # Events
//
// Config.Sink receives EventQueued, EventWaitDep, EventRun, EventDone and
// EventTimeout, named after the gpu_scheduler tracepoints (drm_sched_job,
// drm_sched_job_wait_dep, drm_run_job, drm_sched_process_job; 6.17+ names
// from EventKind.Tracepoint617) and keyed by the finished fence's (context,
// seqno). A nil Sink costs a comparison per event.
//
// # Determinism and concurrency
//
// All times come from the clock; the engine starts no goroutine. Runs,
// completions, timeouts and scheduler wake-ups are clock events, ordered by
// (time, scheduling order), and ready entities are ordered by push order,
// so a scenario replays identically. Push and the fence callbacks may run
// on any goroutine; a callback that makes an idle ring's entity ready
// schedules a wake-up event at the current time rather than running the
// job on the signaller's goroutine.
//
// Lock order: Engine.mu, then the clock's lock or a fence's lock. No engine
// lock is held while signaling fences or calling Work, Sink or OnTimeout.
package gpu
