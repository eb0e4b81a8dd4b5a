// Package fence models the kernel's dma_fence and its containers.
//
//   - Fence is struct dma_fence (include/linux/dma-fence.h,
//     drivers/dma-buf/dma-fence.c): a 64-bit context and seqno, an error set
//     before signaling, a one-shot signal with a timestamp, callbacks, a
//     deadline hint, and optional ops for fences whose state is computed
//     (dma_fence_ops.signaled / enable_signaling).
//   - Chain is struct dma_fence_chain (drivers/dma-buf/dma-fence-chain.c):
//     timeline points with the kernel's context reuse, 64-bit seqnos, the
//     garbage-collecting walk and dma_fence_chain_find_seqno().
//   - Array is struct dma_fence_array (drivers/dma-buf/dma-fence-array.c):
//     signal-on-all or signal-on-any, first error wins.
//   - Unwrap and Merge are dma-fence-unwrap.c: flatten nested chains and
//     arrays; merge drops signaled fences and keeps the latest per context.
//
// Fences belong to a Domain, which allocates fence contexts
// (dma_fence_context_alloc()) and stamps signal times from the emulator's
// clock, so that runs are deterministic. spec/uapi.md §5 is the reference.
//
// # Concurrency
//
// Fences are safe for concurrent use. Callbacks run after the fence's lock
// is released, in registration order, on the goroutine that signaled; they
// must not block. Lock order: a chain's link lock, then a fence's lock; no
// fence lock is held while calling out. A fence's lock shares one atomic
// word with its flags and error, which are read without it; it is held for
// a few instructions at a time, and waiters spin, yielding.
package fence
