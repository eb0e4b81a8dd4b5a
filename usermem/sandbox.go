package usermem

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Errors from Sandbox.Map and Sandbox.Unmap. They are Go-side errors of the
// emulator's plumbing, not errnos a handler returns.
var (
	// ErrBadRegion is returned by Map for an empty region, one containing
	// address 0, or one that wraps past 2^64.
	ErrBadRegion = errors.New("bad sandbox region")
	// ErrOverlap is returned by Map for a region overlapping a mapped one.
	ErrOverlap = errors.New("sandbox region overlaps a mapped region")
	// ErrNotMapped is returned by Unmap when no region starts at the address.
	ErrNotMapped = errors.New("no sandbox region at address")
)

// Sandbox is an IO over a fake address space made of mapped regions, each
// backed by a caller's byte slice. Every address outside a region is
// unmapped: a copy touching one byte of it fails with errno.EFAULT, as does
// a range that wraps past 2^64. A range may span adjacent regions, as a user
// range may span adjacent VMAs.
//
// Copies are all or nothing: a failing copy transfers no byte. CopyOut
// writes into the slices given to Map, so the owner reads results back from
// them (the socket server returns them to its client; replay compares them
// with the capture).
//
// Its zero value is an empty address space. Sandbox is safe for concurrent
// use: copies run in parallel with each other, Map and Unmap exclude them.
// Concurrent copies to the same bytes race as user memory does, and so does
// the owner touching a mapped slice while a copy runs.
//
// Lock order: mu is a leaf; nothing is called with it held.
type Sandbox struct {
	mu sync.RWMutex
	// regions is sorted by start, and regions do not overlap. Protected by
	// mu.
	regions []region
}

var _ IO = (*Sandbox)(nil)

// region is one mapping: the bytes b at addresses [start, start+len(b)).
type region struct {
	start uint64
	b     []byte
}

// last is the address of the region's last byte. It does not overflow even
// for a region ending at 2^64.
func (r *region) last() uint64 { return r.start + uint64(len(r.b)) - 1 }

// Map maps b at addresses [addr, addr+len(b)). The sandbox keeps b (it does
// not copy it) until Unmap.
//
// It returns ErrBadRegion for an empty b, addr 0 or a wrapping range, and
// ErrOverlap if the range overlaps a mapped region.
func (s *Sandbox) Map(addr uint64, b []byte) error {
	n := uint64(len(b))
	if n == 0 || !rangeOK(addr, n) {
		return fmt.Errorf("map %#x+%#x: %w", addr, n, ErrBadRegion)
	}
	r := region{start: addr, b: b}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.regions), func(i int) bool { return s.regions[i].start > addr })
	// s.regions[i-1] is the last region starting at or before addr.
	if i > 0 && s.regions[i-1].last() >= addr {
		return fmt.Errorf("map %#x+%#x: %w", addr, n, ErrOverlap)
	}
	if i < len(s.regions) && s.regions[i].start <= r.last() {
		return fmt.Errorf("map %#x+%#x: %w", addr, n, ErrOverlap)
	}
	s.regions = slices.Insert(s.regions, i, r)
	return nil
}

// Unmap removes the region that Map mapped at addr. It returns ErrNotMapped
// if no region starts at addr.
func (s *Sandbox) Unmap(addr uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.regions), func(i int) bool { return s.regions[i].start >= addr })
	if i == len(s.regions) || s.regions[i].start != addr {
		return fmt.Errorf("unmap %#x: %w", addr, ErrNotMapped)
	}
	s.regions = slices.Delete(s.regions, i, i+1) // zeroes the tail: drops b
	return nil
}

// CopyIn implements IO.CopyIn.
func (s *Sandbox) CopyIn(addr uint64, dst []byte) error {
	return s.copy(addr, dst, false)
}

// CopyOut implements IO.CopyOut.
func (s *Sandbox) CopyOut(addr uint64, src []byte) error {
	return s.copy(addr, src, true)
}

// copy moves p from (out == false) or to (out == true) the range at addr,
// after checking that every byte of the range is mapped.
func (s *Sandbox) copy(addr uint64, p []byte, out bool) error {
	n := uint64(len(p))
	if n == 0 {
		return nil
	}
	if !rangeOK(addr, n) {
		return errFault
	}
	last := addr + n - 1

	s.mu.RLock()
	defer s.mu.RUnlock()
	first := sort.Search(len(s.regions), func(i int) bool { return s.regions[i].start > addr }) - 1
	if first < 0 {
		return errFault
	}
	// Check the whole range first, so that a failing copy moves nothing.
	for i, cur := first, addr; ; {
		r := &s.regions[i]
		if cur < r.start || cur > r.last() {
			return errFault
		}
		if last <= r.last() {
			break
		}
		cur = r.last() + 1
		if i++; i == len(s.regions) {
			return errFault
		}
	}
	for i, off := first, uint64(0); off < n; i++ {
		r := &s.regions[i]
		ro := addr + off - r.start
		if out {
			off += uint64(copy(r.b[ro:], p[off:]))
		} else {
			off += uint64(copy(p[off:], r.b[ro:]))
		}
	}
	return nil
}
