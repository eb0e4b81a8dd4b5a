// Package resv models struct dma_resv (include/linux/dma-resv.h,
// drivers/dma-buf/dma-resv.c): the reservation object every buffer object
// carries, a ww_mutex plus a list of (fence, usage) slots.
//
// Usages order as in the kernel: KERNEL < WRITE < READ < BOOKKEEP, and a
// query "up to usage U" sees every fence whose usage is ≤ U. Adding a fence
// replaces, in place, a slot of the same context whose usage is ≥ the new
// one and whose fence is not later, or any slot whose fence has signaled;
// otherwise the fence takes a reserved slot (spec/uapi.md §5.2). So a usage
// can be promoted in place (READ → WRITE) but never demoted.
//
// # Locking
//
// The object's ww.Mutex (WW) must be held for ReserveFences, AddFence,
// ReplaceFences and the locked iterator Each; vmemu checks that it is held.
// As debug kernels do, reservations not used by Unlock are forgotten, so a
// caller must reserve again under every lock. The unlocked readers (Fences,
// Singleton, Wait, TestSignaled, SetDeadline) take an internal leaf lock and
// skip signaled fences. Lock order: ww.Mutex → the internal lock → fence
// locks.
package resv
