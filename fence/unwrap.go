package fence

import "sort"

// Unwrap calls fn for every leaf fence of f: chains are walked (collecting
// signaled links, as dma_fence_chain_for_each does) and arrays expanded. It
// mirrors dma_fence_unwrap_for_each().
func Unwrap(f *Fence, fn func(*Fence)) {
	if f == nil {
		return
	}
	ForEach(f, func(it *Fence) bool {
		leaf := Contained(it)
		if a := ToArray(leaf); a != nil {
			for _, c := range a.fences {
				fn(c)
			}
		} else {
			fn(leaf)
		}
		return true
	})
}

// Merge mirrors dma_fence_unwrap_merge(): it flattens its arguments, drops
// signaled fences (remembering the latest timestamp), and keeps the latest
// fence per context. Nothing left gives a signaled private stub with that
// timestamp; one fence gives that fence; more give a new signal-on-all
// Array on a fresh context. nil arguments are skipped.
func (d *Domain) Merge(fences ...*Fence) *Fence {
	var ts int64
	var live []*Fence
	for _, f := range fences {
		Unwrap(f, func(leaf *Fence) {
			if leaf.IsSignaled() {
				if t := leaf.Timestamp(); t > ts {
					ts = t
				}
				return
			}
			live = append(live, leaf)
		})
	}
	switch len(live) {
	case 0:
		return d.PrivateStub(ts)
	case 1:
		return live[0]
	}
	// fence_cmp() in dma-fence-unwrap.c: by context, later seqno first.
	sort.SliceStable(live, func(i, j int) bool {
		a, b := live[i], live[j]
		if a.context != b.context {
			return a.context < b.context
		}
		return isLaterSeqno(a.seqno, b.seqno, a.is64)
	})
	j := 0
	for i := 1; i < len(live); i++ {
		if live[i].context != live[j].context {
			j++
			live[j] = live[i]
		}
	}
	live = live[:j+1]
	if len(live) == 1 {
		return live[0]
	}
	return d.NewArray(live, d.ContextAlloc(1), 1, false).Fence()
}
