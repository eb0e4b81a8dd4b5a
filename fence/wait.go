package fence

import "github.com/vmemu/vmemu/sim"

// Wait blocks until f signals or the clock reaches deadline (sim.Forever for
// no limit). It reports whether f signaled. In virtual mode the wait drives
// the clock (see package sim). It is dma_fence_wait_timeout() with absolute
// time; fence errors do not affect it.
func Wait(f *Fence, deadline int64) bool {
	if f.IsSignaled() {
		return true
	}
	wake := make(chan struct{}, 1)
	cb := f.AddCallback(func(*Fence) { poke(wake) })
	defer f.RemoveCallback(cb)
	return f.d.clock.Wait(deadline, f.IsSignaled, wake)
}

// WaitMany waits for all (all=true) or any of fences until deadline. It
// returns whether the condition was met and, for "any", the index of the
// first fence found signaled (-1 otherwise). nil entries count as signaled.
func WaitMany(clock *sim.Clock, fences []*Fence, all bool, deadline int64) (int, bool) {
	first := -1
	check := func() bool {
		for i, f := range fences {
			s := f == nil || f.IsSignaled()
			if all && !s {
				return false
			}
			if !all && s {
				first = i
				return true
			}
		}
		return all || len(fences) == 0
	}
	if check() {
		return first, true
	}
	wake := make(chan struct{}, 1)
	cbs := make([]*Callback, len(fences))
	for i, f := range fences {
		if f != nil {
			cbs[i] = f.AddCallback(func(*Fence) { poke(wake) })
		}
	}
	ok := clock.Wait(deadline, check, wake)
	for i, f := range fences {
		if f != nil {
			f.RemoveCallback(cbs[i])
		}
	}
	return first, ok
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
