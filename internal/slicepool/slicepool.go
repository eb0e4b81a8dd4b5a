// Package slicepool recycles large scratch slices (the per-CS lists of a
// submission over thousands of BOs) so that they do not become garbage on
// every ioctl. Slices are cleared when returned, so a pooled slice never
// keeps the objects it pointed to alive.
package slicepool

import "sync"

// Pool recycles slices of T with a capacity of at least Min. The zero Pool
// (with Min set) is ready to use.
type Pool[T any] struct {
	Min int
	// p holds recycled slices; holders holds the empty *[]T boxes that
	// carried them, so that Put needs no allocation either.
	p, holders sync.Pool
}

// Get returns an empty slice with room for n elements: a recycled one when
// n ≥ Min and one large enough is available, else a new one.
func (p *Pool[T]) Get(n int) []T {
	if n >= p.Min {
		if h, ok := p.p.Get().(*[]T); ok {
			s := *h
			*h = nil
			p.holders.Put(h)
			if cap(s) >= n {
				return s[:0]
			}
		}
	}
	return make([]T, 0, n)
}

// Put clears s (up to its capacity) and keeps it when its capacity is at
// least Min. The caller must not use s afterwards.
func (p *Pool[T]) Put(s []T) {
	if cap(s) < p.Min {
		return
	}
	s = s[:cap(s)]
	clear(s)
	h, ok := p.holders.Get().(*[]T)
	if !ok {
		h = new([]T)
	}
	*h = s[:0]
	p.p.Put(h)
}
