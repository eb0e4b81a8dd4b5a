// Package vm models amdgpu's GPU virtual memory: struct amdgpu_vm and
// adev->vm_manager (drivers/gpu/drm/amd/amdgpu/amdgpu_vm.c, amdgpu_vm.h,
// amdgpu_vm_pt.c, amdgpu_vm_sdma.c), the GEM_VA ioctl
// (amdgpu_gem.c: amdgpu_gem_va_ioctl()), the AMDGPU_VM ioctl and VMIDs
// (amdgpu_ids.c), and the execution of command streams through the page
// tables, with faults (gmc_v10_0.c). spec/amdgpu.md §2.1–§2.6, §2.11,
// §2.13 and §2.14 are the reference; the per-(BO, VM) objects are package
// bova's.
//
// # Model
//
//   - The VA space is an interval map of mappings (internal/spantree, a
//     B+ tree of disjoint spans keyed by start page: mappings never
//     overlap, and a MAP's overlap check is part of the descent that
//     inserts it) with split and trim for CLEAR and
//     REPLACE; every mapping is on exactly one of its bo_va's invalids or
//     valids, or on the VM's freed list (VM.Check asserts spec §2.13.5).
//   - Page tables are a second interval structure that changes only when
//     a page-table job executes on the GPU timeline: every update is a job
//     on the VM's single FIFO entity (rule E5), its finished fence on the
//     root resv as BOOKKEEP, flagged DONT_PIPELINE, tagged with its Origin
//     (USER or KERNEL). A job captures the BO's placement when it is
//     built, as the kernel does: after a move the PTEs point at the old
//     placement until HandleMoved rewrites them.
//   - VMIDs: one GFX-hub manager per device with VMID 0 reserved and at
//     most one dedicated VMID (VMIoctl). A CS job grabs a VMID when it
//     starts; it flushes that VMID's TLB when the VMID changes hands or
//     its flushed tlb_seq is older than the VM's, which a flushing update
//     bumps when it completes. Translations are cached per VMID until a
//     flush, so a job may reach an old placement through a stale entry;
//     the Memory reports a released generation as ErrStale.
//   - Faults: an access without a valid translation is recorded (address,
//     time, ring, job, VMID, read/write), reported to the Observer and
//     answered by GPUVMFaultInfo (AMDGPU_INFO_GPUVM_FAULT); no retry faults
//     (RDNA2+ default): reads see zeros, writes are dropped, the job
//     completes.
//
// # Usage (the CS ioctl)
//
// With the root resv and every listed BO locked (drm_exec), a CS calls, in
// the kernel's order (amdgpu_cs_vm_handling()):
//
//	vm.Validate(validateBO)         // amdgpu_vm_validate()
//	if !vm.Ready() { return EINVAL }
//	vm.ClearFreed()                 // result ignored, as the kernel passes NULL
//	vm.BoUpdate(vm.PRT(), false)    // then each listed bo_va:
//	vm.BoUpdate(bv, false)          //   dep on bv.LastPTUpdate()
//	vm.HandleMoved(exec.Ticket())
//	vm.UpdatePDEs()                 // dep on vm.LastUpdate()
//	deps = append(deps, vm.Mandatory()...)   // rule E4, every mode
//	job := entity.Push(vm.NewCSWork(v, program), deps...)
//
// The CS entity's Owner must be the *VM (or implement OwnerVM), so that
// the sync rules recognise the VM's own fences. Baseline: depend on every
// collected page-table fence and add the job's fence to the root resv (and
// the BOs) as WRITE. EXPLICIT: keep only the page-table fences for which
// PTOrigin reports OriginKernel, and add the fence as BOOKKEEP.
//
// GEM_OPEN and GEM_CLOSE call OpenBO/AddBO and CloseBO; TTM calls
// Manager.MoveNotify before a move; the eviction path calls AddMandatory.
//
// # Locking
//
// Lock order: reservations (ww, any order, through drm_exec) → VM.mu →
// Manager.mu → the VMID manager's mu → VM.ptMu → VM.faultMu. GemVA,
// OpenBO and CloseBO take their reservations themselves; the other
// operations state their preconditions. Page-table and CS jobs run on the
// clock's event goroutine and take only the VMID manager's lock and ptMu.
// No lock is held while calling Memory or the Observer, or while waiting on
// a fence (the CPU wait of GEM_VA's input syncobjs happens before any
// lock, as upstream).
//
// # Kernel version
//
// GEM_VA follows 7.0 / 6.18.y: input syncobjs waited on the CPU, the
// out-fence rule of "drm/amdgpu: fix some more bug in amdgpu_gem_va_ioctl"
// (68bd4f6b8310: merge of last_update and last_pt_update for MAP/REPLACE of
// own-resv BOs, last_update otherwise, a stub if the VM is not ready) and
// its DELAY_UPDATE+out-syncobj EINVAL; 6.18+ mapping flags (uAPI bits);
// dependency rules of 6.16+ (amdgpu_sync_resv up to READ). The vmemu
// extension AMDGPU_VM_EXPLICIT_SYNC (Config.Explicit) is DESIGN.md §2.
package vm
