package fence

import (
	"sync"

	"github.com/vmemu/vmemu/errno"
)

// Chain is struct dma_fence_chain: one point of a timeline, holding the
// fence of that point and a link to the older point.
type Chain struct {
	base Fence

	// mu guards prev, the kernel's RCU pointer updated by cmpxchg.
	mu   sync.Mutex
	prev *Fence
	// prevSeqno is the seqno of prev when this node reused its context,
	// 0 otherwise. Immutable.
	prevSeqno uint64
	// fence is the contained fence. Immutable.
	fence *Fence
	// cb is the callback armed by EnableSignaling. Protected by mu.
	cb *Callback
}

// NewChain returns a chain node holding f at seqno on top of prev (which may
// be nil, a chain or a plain fence). It mirrors dma_fence_chain_init(): when
// prev is a chain and seqno is later than prev's, the node reuses prev's
// context and records prev's seqno; otherwise it gets a fresh context, and
// when prev is a chain its seqno is raised to prev's if that is higher, so a
// timeline head never goes backwards (spec/uapi.md §4.4 P1–P3).
func (d *Domain) NewChain(prev, f *Fence, seqno uint64) *Chain {
	c := &Chain{prev: prev, fence: f}
	var context uint64
	if prev != nil && ToChain(prev) != nil && isLaterSeqno(seqno, prev.seqno, true) {
		context = prev.context
		c.prevSeqno = prev.seqno
	} else {
		context = d.ContextAlloc(1)
		if prev != nil && ToChain(prev) != nil && prev.seqno > seqno {
			seqno = prev.seqno
		}
	}
	c.base = Fence{d: d, context: context, seqno: seqno, ops: (*chainOps)(c), is64: true}
	return c
}

// Fence returns the node as a fence.
func (c *Chain) Fence() *Fence { return &c.base }

// Contained returns the node's own fence.
func (c *Chain) Contained() *Fence { return c.fence }

// PrevSeqno returns the seqno of the node this one continues, or 0.
func (c *Chain) PrevSeqno() uint64 { return c.prevSeqno }

// Prev returns the older link (dma_fence_chain_get_prev()).
func (c *Chain) Prev() *Fence {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prev
}

func (c *Chain) casPrev(old, repl *Fence) {
	c.mu.Lock()
	if c.prev == old {
		c.prev = repl
	}
	c.mu.Unlock()
}

// ToChain returns f's chain node, or nil if f is not a chain
// (to_dma_fence_chain()).
func ToChain(f *Fence) *Chain {
	if f == nil {
		return nil
	}
	c, _ := f.ops.(*chainOps)
	return (*Chain)(c)
}

// Contained returns the fence held by a chain node, or f itself
// (dma_fence_chain_contained()).
func Contained(f *Fence) *Fence {
	if c := ToChain(f); c != nil {
		return c.fence
	}
	return f
}

// Walk mirrors dma_fence_chain_walk(): it returns the next older link after
// f, first unlinking every older node whose contained fence has signaled
// (the chain's garbage collection). It returns nil at the end, or when f is
// not a chain.
func Walk(f *Fence) *Fence {
	c := ToChain(f)
	if c == nil {
		return nil
	}
	var prev *Fence
	for {
		prev = c.Prev()
		if prev == nil {
			break
		}
		var repl *Fence
		if pc := ToChain(prev); pc != nil {
			if !pc.fence.IsSignaled() {
				break
			}
			repl = pc.Prev()
		} else {
			if !prev.IsSignaled() {
				break
			}
		}
		c.casPrev(prev, repl)
	}
	return prev
}

// ForEach calls fn for head and every older link reached by Walk
// (dma_fence_chain_for_each()), until fn returns false.
func ForEach(head *Fence, fn func(*Fence) bool) {
	for it := head; it != nil; it = Walk(it) {
		if !fn(it) {
			return
		}
	}
}

// FindSeqno mirrors dma_fence_chain_find_seqno(): it returns the node of the
// chain f that covers point seqno. seqno 0 returns f itself. If f is not a
// chain, or its seqno is below seqno (the point is not submitted yet), it
// returns EINVAL. A nil result with no error means the point has signaled
// and been collected.
func FindSeqno(f *Fence, seqno uint64) (*Fence, error) {
	if seqno == 0 {
		return f, nil
	}
	c := ToChain(f)
	if c == nil || c.base.seqno < seqno {
		return f, errno.EINVAL
	}
	for it := f; it != nil; it = Walk(it) {
		ic := ToChain(it)
		if it.context != f.context || ic == nil || ic.prevSeqno < seqno {
			return it, nil
		}
	}
	return nil, nil
}

// chainOps are dma_fence_chain_ops. The ops value of a chain's base fence
// is the chain itself, converted.
type chainOps Chain

// Signaled mirrors dma_fence_chain_signaled(): a node has signaled when the
// contained fences of it and of every older link have.
func (*chainOps) Signaled(f *Fence) bool {
	done := true
	ForEach(f, func(it *Fence) bool {
		if !Contained(it).IsSignaled() {
			done = false
			return false
		}
		return true
	})
	return done
}

// EnableSignaling mirrors dma_fence_chain_enable_signaling(): arm one
// callback on the first unsignaled contained fence; when it fires, re-arm,
// and signal the node once nothing is left.
func (*chainOps) EnableSignaling(f *Fence) bool {
	c := ToChain(f)
	armed := false
	ForEach(f, func(it *Fence) bool {
		cf := Contained(it)
		cb := cf.AddCallback(func(*Fence) {
			if !f.ops.EnableSignaling(f) {
				f.Signal()
			}
		})
		if cb != nil {
			c.mu.Lock()
			c.cb = cb
			c.mu.Unlock()
			armed = true
			return false
		}
		return true
	})
	return armed
}

func (c *Chain) setDeadline(ns int64) {
	ForEach(&c.base, func(it *Fence) bool {
		if cf := Contained(it); cf != &c.base {
			cf.SetDeadline(ns)
		}
		return true
	})
}
