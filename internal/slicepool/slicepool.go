// Package slicepool recycles large scratch slices (the per-CS lists of a
// submission over thousands of BOs) so that they do not become garbage on
// every ioctl. Slices are cleared when returned, so a pooled slice never
// keeps the objects it pointed to alive.
package slicepool

import "sync"

// Pool recycles slices of T with a capacity of at least Min.
type Pool[T any] struct {
	Min int
	p   sync.Pool
}

// Get returns an empty slice with room for n elements: a recycled one when
// n ≥ Min and one large enough is available, else a new one.
func (p *Pool[T]) Get(n int) []T {
	if n >= p.Min {
		if s, ok := p.p.Get().(*[]T); ok && cap(*s) >= n {
			return (*s)[:0]
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
	s = s[:0]
	p.p.Put(&s)
}
