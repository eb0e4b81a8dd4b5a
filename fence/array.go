package fence

import (
	"sync"
)

// Array is struct dma_fence_array: a fence that signals when all of its
// fences have signaled, or when any one has (signal_on_any).
type Array struct {
	base        Fence
	fences      []*Fence
	signalOnAny bool

	mu sync.Mutex
	// pending counts fences still awaited once signaling is enabled.
	// Protected by mu.
	pending int
	// firstErr is the first component error seen. Protected by mu.
	firstErr int32
}

// NewArray mirrors dma_fence_array_create(). The array must not contain
// containers (flatten with Merge first); the kernel warns, vmemu panics.
func (d *Domain) NewArray(fences []*Fence, context, seqno uint64, signalOnAny bool) *Array {
	for _, f := range fences {
		if ToChain(f) != nil || ToArray(f) != nil {
			panic("fence: NewArray with a container fence; flatten first")
		}
	}
	a := &Array{fences: fences, signalOnAny: signalOnAny}
	a.pending = len(fences)
	if signalOnAny && len(fences) > 0 {
		a.pending = 1
	}
	a.base = Fence{d: d, context: context, seqno: seqno, ops: (*arrayOps)(a)}
	return a
}

// Fence returns the array as a fence.
func (a *Array) Fence() *Fence { return &a.base }

// Fences returns the component fences.
func (a *Array) Fences() []*Fence { return a.fences }

// SignalOnAny reports the array's mode.
func (a *Array) SignalOnAny() bool { return a.signalOnAny }

// ToArray returns f's array, or nil (to_dma_fence_array()).
func ToArray(f *Fence) *Array {
	if f == nil {
		return nil
	}
	a, _ := f.ops.(*arrayOps)
	return (*Array)(a)
}

// arrayOps are dma_fence_array_ops. The ops value of an array's base fence
// is the array itself, converted.
type arrayOps Array

// Signaled counts signaled components; it also fixes the error the array
// will carry: the first component error, in index order on this path.
func (*arrayOps) Signaled(f *Fence) bool {
	a := ToArray(f)
	need := len(a.fences)
	if a.signalOnAny && need > 0 {
		need = 1
	}
	done := 0
	var firstErr int32
	for _, c := range a.fences {
		if c.IsSignaled() {
			done++
			if e := c.Error(); e != 0 && firstErr == 0 {
				firstErr = e
			}
		}
	}
	if done < need {
		return false
	}
	a.mu.Lock()
	if a.firstErr == 0 {
		a.firstErr = firstErr
	}
	e := a.firstErr
	a.mu.Unlock()
	a.setError(e)
	return true
}

func (a *Array) setError(e int32) {
	if e == 0 {
		return
	}
	s := a.base.mu.Lock()
	if s&flagSignaled == 0 && errorOf(s) == 0 {
		s = withError(s, e)
	}
	a.base.mu.unlockTo(s)
}

// EnableSignaling mirrors dma_fence_array_enable_signaling(): a callback on
// each component; the first error wins; the array signals when the pending
// count reaches zero.
func (*arrayOps) EnableSignaling(f *Fence) bool {
	a := ToArray(f)
	if len(a.fences) == 0 {
		return false
	}
	for _, c := range a.fences {
		cb := c.AddCallback(func(c *Fence) {
			if a.complete(c) {
				f.Signal()
			}
		})
		if cb == nil && a.complete(c) {
			return false
		}
	}
	return true
}

// complete records one component's completion and reports whether the
// array is now done.
func (a *Array) complete(c *Fence) bool {
	e := c.Error()
	a.mu.Lock()
	if e != 0 && a.firstErr == 0 {
		a.firstErr = e
	}
	if a.pending == 0 {
		a.mu.Unlock()
		return false
	}
	a.pending--
	done := a.pending == 0
	fe := a.firstErr
	a.mu.Unlock()
	if done {
		a.setError(fe)
	}
	return done
}

func (a *Array) setDeadline(ns int64) {
	for _, c := range a.fences {
		c.SetDeadline(ns)
	}
}
