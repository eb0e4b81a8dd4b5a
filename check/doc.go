// Package check is vmemu's hazard checker (DESIGN.md §4): it receives the
// emulated machine's events — jobs starting and ending on rings, fences
// signaled and waited for, CPU submissions, every executed memory access,
// allocation lifetimes — and reports what a real GPU could get wrong:
//
//   - race: two accesses to the same bytes of one allocation, at least one
//     a write, not ordered by happens-before; RAW, WAR or WAW, with both
//     sides (KindRace between two jobs or two CPU threads);
//   - cpu-unsync: the same between a CPU thread and GPU work: a CPU access
//     with GPU work on the bytes that the thread never waited for
//     (GEM_WAIT_IDLE, syncobj WAIT, WAIT_CS, DMA_BUF_IOCTL_SYNC START), or a
//     CPU access after the CS ioctl of a job that then touches the bytes
//     (KindCPUUnsync; InFlight says the job was still running);
//   - use-after-free: an access to an allocation generation already
//     released, through a stale TLB entry or otherwise. The model must never
//     let this happen (DESIGN.md §2): the report says it is a vmemu
//     kernel-model bug;
//   - fault, forced-wait (E4) and implicit-stall, delivered by the VM and CS
//     models as events; the checker drops a forced wait or stall for a
//     fence the job had asked for.
//
// It is the kernel-uAPI counterpart of Vulkan synchronization validation
// (spec/peers.md §5): the same hazard vocabulary and "last write plus reads
// since" range state, but over physical bytes, across contexts, rings,
// VMs and files sharing a BO, and including kernel-side VM updates.
//
// # Usage
//
//	c := check.New(check.Options{Now: clock.Now, Reporter: &check.TextReporter{W: os.Stderr}})
//	gfx := c.Ring("gfx_0.0.0")              // one per hardware ring
//	t := c.CPU("file1")                     // one per client file or thread
//	c.AllocCreate(id, gen, size)            // the memory model hands out memory
//	snap := c.Submit(t)                     // in the CS ioctl
//	j := c.JobStart(check.JobInfo{Ring: gfx, Fence: key, Origin: o,
//		Submit: snap, Deps: userDeps, KernelDeps: implicitDeps})
//	c.Access(check.Access{Agent: j, Alloc: id, Gen: gen, Off: off, Len: n, Write: true})
//	c.JobEnd(j)                             // its fence signals
//	c.CPUWait(t, key)                       // GEM_WAIT_IDLE, syncobj WAIT, …
//	c.Access(check.Access{Agent: t, …})     // CPU access through an mmap
//	c.AllocRelease(id, gen, closeIoctl)     // delayed destroy returns the memory
//	fmt.Println(c.Summary())
//
// The caller's obligations:
//
//   - Deliver events in execution order: an access is checked against the
//     state the earlier events left.
//   - Jobs on one Ring run one after another (JobStart order is ring
//     order); register rings whose jobs overlap as separate rings.
//   - Publish every fence that orders tracked work: a job's fence through
//     JobInfo.Fence, its other keys (hardware fence, timeline points) and
//     CPU signals through FenceSignal. Pass leaf keys: flatten chains and
//     arrays. Dependencies on unknown keys add no order and are counted in
//     Stats.UnknownFences, which a correct wiring keeps at 0.
//   - Pass every fence a job waited for: JobInfo.Deps for what user space
//     asked for, KernelDeps for what the kernel added (implicit sync, E4
//     mandatory fences, page-table updates, moves). Both order.
//   - Feed page-table updates and page walks as accesses to the page-table
//     allocation if latent E1 faults (a CS that ran after its map's update
//     by luck, not by a dependency) are to be reported as races.
//
// # Happens-before
//
// Events are job executions (one event per job, from JobStart to JobEnd:
// its accesses are not ordered among themselves, nor need to be) and CPU
// thread steps. Edges:
//
//   - program order between the steps of one CPU thread;
//   - ring order: a job after the previous job started on its ring;
//   - submission: a CPU thread's steps up to Submit before the job that
//     carries the Snapshot;
//   - fences: a fence's producer (the job, or the CPU thread's steps up to
//     its FenceSignal) before every job that depends on the fence and every
//     CPU step after a CPUWait on it.
//
// Happens-before is the transitive closure of these edges. It is computed
// with vector clocks whose components are the rings and CPU threads, so
// clocks stay as small as the machine: a job on ring R is epoch R:k (k
// counts JobStarts on R) and its clock is the join of the previous job on
// R, its Snapshot and its fences' clocks, with R set to k; a CPU thread
// enters a new epoch after each release (Submit, FenceSignal) and joins the
// clock of every fence it waits for.
//
// Exactness: the events of one component are totally ordered by the
// closure (ring order, program order), and clocks flow only along edges,
// each event's clock being the join of its predecessors'. So clock(f)[R] is
// the highest epoch of an R event that reaches f, and e happens before f
// iff clock(f)[comp(e)] ≥ epoch(e). Clocks are never truncated or bounded:
// no false positives, no misses. TestOracle checks this against an explicit
// graph with its transitive closure.
//
// # Shadow memory and what is reported
//
// Each live allocation generation has an interval map over its bytes:
// per interval the last write and, since it, the last read per component
// (FastTrack epochs on byte ranges; a 256 MiB write is one interval).
// Intervals are split where accesses begin and end and merged when equal.
// For an access A to byte b the checker reports
//
//   - the last earlier write of b, if it does not happen before A (RAW, or
//     WAW if A writes);
//   - if A writes: for each component, the last read of b since that write
//     on that component, if it does not happen before A (WAR).
//
// Conflicts of one access with one earlier access over contiguous bytes are
// one report. This set is what TestOracle's naive per-byte model computes,
// and it misses no racy byte: if any two accesses to b race, at least one
// race on b is reported. Take the racing pair whose later access L is
// earliest: the write or read the checker compares L with is the pair's
// first access or happens after it (no earlier race, and one component's
// events are ordered), so it cannot happen before L.
// Races implied by a reported one — a write racing W1, then W2 ordered after
// the write but not after W1 — are not reported again: fixing the first
// fixes them.
//
// # Reports
//
// Report carries the kind, the hazard, both sides (the job's submission:
// file, CS ioctl number, context, ring, fence context and seqno; or the CPU
// thread; the mapping ioctl; the label), physical and VA ranges, and the
// fence, its origin and the causing ioctl where they apply. Key hashes the
// stable parts — kind, hazard, allocation and generation, ranges, both
// sides, fences, causes, reason — not times, costs, counts or InFlight.
// Reports with equal keys are one report with a Count. Summary counts
// unique reports and occurrences by kind.
//
// Report.Text is sanitizer-style text; Report.JSON one JSON object per line
// with these fields (absent when zero):
//
//	kind          "race" | "cpu-unsync" | "use-after-free" | "fault" |
//	              "forced-wait" | "implicit-stall"
//	hazard        "RAW" | "WAR" | "WAW"
//	key           16 hex digits; count; time_ns (first occurrence)
//	alloc, gen    the allocation generation
//	phys, va      {"start": n, "len": n}
//	vmid          for faults
//	access        the later access (or the faulting/waiting job): a side
//	prior         the earlier access of a race: a side
//	fence         {"context": n, "seqno": n}; fence_origin: an origin
//	cause         an origin: the free, map or unmap ioctl
//	cost_ns, reason, in_flight, model_bug
//
//	side:   cpu, thread, job (an origin), write, phys, va, label,
//	        mapping (an origin), tlb, time_ns
//	origin: file, ioctl_seq, ioctl, context, ring, fence_context, seqno, label
//
// # What the checker cannot see
//
//   - Accesses nobody reports: shader memory traffic without vmemu
//     annotations, unknown packets (the engine must report such a job as
//     touching everything it can reach), registers, GDS, scratch.
//   - Order inside one job: all accesses of a job are one event.
//   - Fences it was not told about (Stats.UnknownFences).
//   - Caches and coherence (HDP flushes, snooped GTT): a happens-before
//     edge is taken to make memory visible.
//   - CPU accesses that bypass the emulator (userptr memory written
//     directly by the process).
//
// Races are reported whether or not the run's timing hid them: a race that
// "worked" in vmemu may not on hardware.
//
// # Concurrency and cost
//
// A Checker is safe for concurrent use: one mutex serialises every event.
// Options.Now and Reporter are called with it held and must not call back.
// A nil *Checker (New with Options.Off) is the switched-off checker: every
// method is a no-op after one nil check, allocates nothing, and returns
// zero values. BenchmarkFrame measures a frame-like workload on and off.
package check
