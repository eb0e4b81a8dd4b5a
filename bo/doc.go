// Package bo models amdgpu's buffer objects and the TTM memory manager
// behind them: VRAM, GTT and the small GDS/GWS/OA/doorbell pools with real
// capacities, an allocator per pool, LRU eviction with moves as fenced
// kernel jobs on an SDMA ring, and TTM's delayed destroy with ghost objects.
//
// # Kernel objects modelled
//
//   - BO is struct amdgpu_bo with its struct ttm_buffer_object and
//     drm_gem_object (drivers/gpu/drm/amd/amdgpu/amdgpu_object.c,
//     drivers/gpu/drm/ttm/ttm_bo.c, drivers/gpu/drm/drm_gem.c): size, page
//     alignment, preferred and allowed domains, creation flags, the
//     reservation object (bo->base.resv, possibly the VM root's) and the
//     private one (bo->base._resv), pin count, LRU position, GEM reference
//     and handle counts, tiling flags and metadata.
//   - Pool is a struct ttm_resource_manager (amdgpu_vram_mgr.c,
//     amdgpu_gtt_mgr.c, the GDS/GWS/OA range managers of amdgpu_ttm.c) with
//     its LRU list; Allocation is a struct ttm_resource.
//   - Manager is struct ttm_device with amdgpu_mman: the pools, the
//     buffer-move entity (adev->mman.high_pr, a kernel entity on SDMA),
//     the eviction walk (ttm_bo_evict_alloc(), ttm_lru_walk_for_evict() in
//     ttm_bo_util.c) and the counters of struct amdgpu_device
//     (num_bytes_moved, num_evictions, num_vram_cpu_page_faults).
//
// # Allocator
//
// Each pool keeps a sorted, coalesced interval free list of pages. A request
// that must be CPU visible (AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED, pins for
// CPU access) is placed first-fit from the bottom, inside the visible
// window; every other request first-fit from the top, as
// amdgpu_bo_placement_from_domain() sets TTM_PL_FLAG_TOPDOWN for them. It is
// not drm_buddy: fragmentation differs from the kernel's, capacities and
// accounting do not.
//
// Backing bytes are lazy: a Store allocates host memory per 64 KiB chunk on
// first write, and unwritten bytes read as zero (new BOs are always cleared:
// the kernel adds AMDGPU_GEM_CREATE_VRAM_CLEARED), so a 24 GiB profile costs
// no host memory until written. Every Allocation carries a generation from a
// device-wide counter; Manager.Access checks a (domain, start, generation)
// triple and returns a *UseAfterFreeError when the range was released or
// reused.
//
// # Placement and eviction
//
// Placement follows ttm_bo_alloc_resource(): the BO's places (VRAM,
// DOORBELL, GTT, CPU, GDS, GWS, OA, in amdgpu's order) are tried first
// without eviction, then again evicting. Eviction walks the pool's LRU from
// the least recently used BO, skipping pinned BOs and the BO being placed;
// each victim is locked with ww.Exec.LockVictim (trylock, then one ticketed
// sleeping lock per walk) and stays locked until the transaction ends. A
// VRAM victim moves to GTT, or to system memory when GTT has no room (the
// busy placement amdgpu_evict_flags() gives; vmemu does not evict GTT to
// make room for an eviction). The move is a copy job on the SDMA move
// entity that depends on every fence of the victim's reservation object up
// to BOOKKEEP (amdgpu_ttm_prepare_job()); its fence is added to the
// reservation as KERNEL (ttm_bo_move_accel_cleanup()). A GTT victim goes to
// system memory after a CPU wait for idle (amdgpu_bo_move() with TT →
// SYSTEM): its pages stay, nothing is copied.
//
// A BO reaches its LRU tail when it is placed or moved, and when it is
// unpinned. Validation of a BO already in place leaves its position alone
// (ttm_bo_validate() returns at once for a compatible resource), and a CS
// does not bump the BOs of its list, as amdgpu has not since the drm_exec
// rework (6.6); it moves the VM's per-VM BOs to their tails together
// (Manager.BulkMoveToTail, amdgpu_vm_move_to_lru_tail()).
//
// The old range of a move becomes a ghost object (ttm_buffer_object_transfer):
// it returns to the pool only when the move fence signals. K7.0 instead
// frees the old VRAM range of a pipelined eviction at once and makes the
// next allocation from that manager wait for the move fence (the manager's
// eviction fences); vmemu keeps the range until the copy is done, so the
// allocation that needed the room waits for the copy on the CPU (with the
// 15 s limit of ttm_bo_wait_ctx()), as TTM's LRU walk waits for deleted BOs.
// Both guarantee that no user touches the range before the copy completes.
//
// # Delayed destroy
//
// When the last reference to a BO goes away (BO.Put), release mirrors
// ttm_bo_release(): the reservation is individualised (a BO sharing the VM
// root's resv gets copies of all its fences in its private one,
// ttm_bo_individualize_resv()), a VRAM BO with VRAM_WIPE_ON_RELEASE gets a
// wipe job whose fence is added as KERNEL (amdgpu_bo_release_notify()), and
// the backing store returns to its pool only when every fence of the
// private reservation, BOOKKEEP included, has signaled: the BO is a ghost
// meanwhile, counted in the pool's usage. The release runs from fence
// callbacks, never by polling.
//
// # Locking
//
// Lock order: reservation objects (ww, through ww.Exec) → Manager.lruMu →
// BO.mu → Pool.mu → Store.mu. Fence callbacks take only Pool.mu and the
// Manager's leaf locks. No lock of this package is held while waiting for a
// fence or pushing a job.
package bo
