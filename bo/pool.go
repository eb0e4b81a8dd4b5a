package bo

import (
	"container/list"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/uapi"
)

// PageSize is the CPU and GPU page size (PAGE_SIZE, AMDGPU_GPU_PAGE_SIZE).
const PageSize = 4096

// chunkSize is the granule of lazily allocated backing memory.
const chunkSize = 64 << 10

// Domain is an AMDGPU_GEM_DOMAIN_* mask. A placement is a single bit.
type Domain uint32

// The domains.
const (
	CPU       Domain = uapi.AMDGPU_GEM_DOMAIN_CPU
	GTT       Domain = uapi.AMDGPU_GEM_DOMAIN_GTT
	VRAM      Domain = uapi.AMDGPU_GEM_DOMAIN_VRAM
	GDS       Domain = uapi.AMDGPU_GEM_DOMAIN_GDS
	GWS       Domain = uapi.AMDGPU_GEM_DOMAIN_GWS
	OA        Domain = uapi.AMDGPU_GEM_DOMAIN_OA
	Doorbell  Domain = uapi.AMDGPU_GEM_DOMAIN_DOORBELL
	MMIORemap Domain = uapi.AMDGPU_GEM_DOMAIN_MMIO_REMAP
)

var domainNames = []struct {
	d    Domain
	name string
}{{CPU, "CPU"}, {GTT, "GTT"}, {VRAM, "VRAM"}, {GDS, "GDS"}, {GWS, "GWS"},
	{OA, "OA"}, {Doorbell, "DOORBELL"}, {MMIORemap, "MMIO_REMAP"}}

func (d Domain) String() string {
	if d == 0 {
		return "none"
	}
	s := ""
	for _, n := range domainNames {
		if d&n.d != 0 {
			if s != "" {
				s += "|"
			}
			s += n.name
			d &^= n.d
		}
	}
	if d != 0 {
		if s != "" {
			s += "|"
		}
		s += fmt.Sprintf("%#x", uint32(d))
	}
	return s
}

// Store is the backing memory of an allocation: bytes allocated per chunk
// on first write; unwritten bytes read as zero. Safe for concurrent use.
type Store struct {
	size uint64

	mu sync.Mutex
	// chunks maps a chunk index to its bytes. Protected by mu.
	chunks map[uint64][]byte
}

func newStore(size uint64) *Store { return &Store{size: size} }

// Size returns the store's size in bytes.
func (s *Store) Size() uint64 { return s.size }

// ReadAt copies len(p) bytes at off into p. Preconditions: the range is
// inside the store.
func (s *Store) ReadAt(p []byte, off uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(p) > 0 {
		idx, in := off/chunkSize, off%chunkSize
		n := min(uint64(len(p)), chunkSize-in)
		if c := s.chunks[idx]; c != nil {
			copy(p[:n], c[in:])
		} else {
			clear(p[:n])
		}
		p, off = p[n:], off+n
	}
}

// WriteAt copies p to off. Preconditions: the range is inside the store.
func (s *Store) WriteAt(p []byte, off uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(p) > 0 {
		idx, in := off/chunkSize, off%chunkSize
		n := min(uint64(len(p)), chunkSize-in)
		c := s.chunks[idx]
		if c == nil {
			if s.chunks == nil {
				s.chunks = map[uint64][]byte{}
			}
			// The last chunk is only as long as the store.
			c = make([]byte, min(chunkSize, s.size-idx*chunkSize))
			s.chunks[idx] = c
		}
		copy(c[in:], p[:n])
		p, off = p[n:], off+n
	}
}

// Resident returns the host bytes the store holds.
func (s *Store) Resident() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for _, c := range s.chunks {
		n += uint64(len(c))
	}
	return n
}

// copyFrom replaces the contents of s with those of src (up to the
// smaller size): the copy job of a move.
func (s *Store) copyFrom(src *Store) {
	if s == src {
		return
	}
	src.mu.Lock()
	snap := make(map[uint64][]byte, len(src.chunks))
	for i, c := range src.chunks {
		snap[i] = append([]byte(nil), c...)
	}
	src.mu.Unlock()
	limit := (min(s.size, src.size) + chunkSize - 1) / chunkSize
	s.mu.Lock()
	s.chunks = nil
	for i, c := range snap {
		if i < limit {
			if s.chunks == nil {
				s.chunks = map[uint64][]byte{}
			}
			s.chunks[i] = c
		}
	}
	s.mu.Unlock()
}

// drop releases the host memory (the store reads as zero again).
func (s *Store) drop() {
	s.mu.Lock()
	s.chunks = nil
	s.mu.Unlock()
}

// allocState is the life cycle of an Allocation.
type allocState uint32

const (
	// allocLive: the allocation backs a BO.
	allocLive allocState = iota
	// allocGhost: no BO uses it any more, but fences may still access it;
	// it returns to the pool when they signal.
	allocGhost
	// allocReleased: back in the pool; any access is a use after free.
	allocReleased
)

func (s allocState) String() string {
	switch s {
	case allocLive:
		return "live"
	case allocGhost:
		return "ghost"
	case allocReleased:
		return "released"
	}
	return fmt.Sprintf("allocState(%d)", uint32(s))
}

// Allocation is a struct ttm_resource: a range of a pool's pages with a
// unique generation and its backing store.
type Allocation struct {
	pool  *Pool
	start uint64 // first page
	pages uint64
	gen   uint64
	store *Store
	pin   bool // counted as pinned in the pool; protected by pool.mu
	// shared is set when the store passed to another allocation (a GTT ↔
	// system move keeps the pages).
	shared bool
	state  atomic.Uint32
}

// Ref identifies an allocation's memory for access checks.
type Ref struct {
	Domain Domain
	Start  uint64 // first page in the pool
	Pages  uint64
	Gen    uint64
}

func (r Ref) String() string {
	return fmt.Sprintf("%v[%#x+%#x]@gen%d", r.Domain, r.Start, r.Pages, r.Gen)
}

// Ref returns the allocation's identity.
func (a *Allocation) Ref() Ref {
	return Ref{Domain: a.pool.domain, Start: a.start, Pages: a.pages, Gen: a.gen}
}

// Domain returns the allocation's placement.
func (a *Allocation) Domain() Domain { return a.pool.domain }

// Gen returns the allocation's generation.
func (a *Allocation) Gen() uint64 { return a.gen }

// Store returns the backing store.
func (a *Allocation) Store() *Store { return a.store }

func (a *Allocation) stateOf() allocState { return allocState(a.state.Load()) }

// visiblePages is the part of [start, start+pages) below limit.
func overlap(start, pages, limit uint64) uint64 {
	if start >= limit {
		return 0
	}
	return min(start+pages, limit) - start
}

type span struct{ start, end uint64 } // [start, end)

// ghost is a TTM ghost object: an allocation no BO uses any more, released
// when all of fences have signaled.
type ghost struct {
	alloc  *Allocation
	fences []*fence.Fence
	left   atomic.Int64
	why    string
	since  int64
}

// Pool is a struct ttm_resource_manager: one memory domain with a page
// allocator, usage accounting, its LRU list and its ghosts. Safe for
// concurrent use.
type Pool struct {
	domain  Domain
	pages   uint64 // capacity
	visible uint64 // CPU-visible pages from 0 (VRAM); = pages elsewhere
	// hooks observe allocations; set once before use (SetAllocHooks).
	hooks *AllocHooks

	// lru is the LRU list of BOs placed here, least recently used first.
	// Protected by Manager.lruMu.
	lru list.List

	mu sync.Mutex
	// free is the sorted, coalesced free list. Protected by mu.
	free []span
	// live maps the first page to its allocation (live or ghost).
	// Protected by mu.
	live map[uint64]*Allocation
	// used, visUsed, pinned, visPinned and ghostPages are page counts.
	// Protected by mu.
	used, visUsed, pinned, visPinned, ghostPages uint64
	// ghosts are the pending ghosts. Protected by mu.
	ghosts map[*ghost]struct{}
}

func newPool(d Domain, pages, visible uint64) *Pool {
	p := &Pool{domain: d, pages: pages, visible: min(visible, pages),
		live: map[uint64]*Allocation{}, ghosts: map[*ghost]struct{}{}}
	if pages > 0 {
		p.free = []span{{0, pages}}
	}
	return p
}

// Domain returns the pool's domain.
func (p *Pool) Domain() Domain { return p.domain }

// Pages returns the capacity in pages.
func (p *Pool) Pages() uint64 { return p.pages }

// alloc takes pages pages aligned to align pages (0 or 1: none). With
// limit > 0 the range must end at or below limit and is searched
// bottom-up; otherwise top-down.
func (p *Pool) alloc(pages, align, limit uint64, topDown bool, gen uint64, store *Store) *Allocation {
	if pages == 0 {
		pages = 1 // a resource always covers at least one page
	}
	if align == 0 {
		align = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	start, ok := uint64(0), false
	if topDown && limit == 0 {
		for i := len(p.free) - 1; i >= 0 && !ok; i-- {
			s := p.free[i]
			if s.end-s.start < pages {
				continue
			}
			st := (s.end - pages) / align * align
			if st >= s.start {
				start, ok = st, true
			}
		}
	} else {
		for _, s := range p.free {
			st := (s.start + align - 1) / align * align
			if st+pages > s.end || st < s.start {
				continue
			}
			if limit > 0 && st+pages > limit {
				break
			}
			start, ok = st, true
			break
		}
	}
	if !ok {
		return nil
	}
	p.take(start, start+pages)
	a := &Allocation{pool: p, start: start, pages: pages, gen: gen, store: store}
	if h := p.hooks; h != nil && h.Create != nil {
		h.Create(a.Ref(), pages*PageSize)
	}
	p.live[start] = a
	p.used += pages
	p.visUsed += overlap(start, pages, p.visible)
	return a
}

// take removes [start, end) from the free list. mu held.
func (p *Pool) take(start, end uint64) {
	i := sort.Search(len(p.free), func(i int) bool { return p.free[i].end > start })
	s := p.free[i]
	var repl []span
	if s.start < start {
		repl = append(repl, span{s.start, start})
	}
	if end < s.end {
		repl = append(repl, span{end, s.end})
	}
	p.free = append(p.free[:i], append(repl, p.free[i+1:]...)...)
}

// release returns a to the free list. It is idempotent.
func (p *Pool) release(a *Allocation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releaseLocked(a)
}

func (p *Pool) releaseLocked(a *Allocation) {
	old := allocState(a.state.Swap(uint32(allocReleased)))
	if old == allocReleased {
		return
	}
	if h := p.hooks; h != nil && h.Release != nil {
		h.Release(a.Ref())
	}
	if old == allocGhost {
		p.ghostPages -= a.pages
	}
	delete(p.live, a.start)
	p.used -= a.pages
	p.visUsed -= overlap(a.start, a.pages, p.visible)
	if a.pin {
		a.pin = false
		p.pinned -= a.pages
		p.visPinned -= overlap(a.start, a.pages, p.visible)
	}
	start, end := a.start, a.start+a.pages
	i := sort.Search(len(p.free), func(i int) bool { return p.free[i].start >= end })
	// Merge with the previous and next spans.
	if i > 0 && p.free[i-1].end == start {
		i--
		start = p.free[i].start
		p.free = append(p.free[:i], p.free[i+1:]...)
	}
	if i < len(p.free) && p.free[i].start == end {
		end = p.free[i].end
		p.free = append(p.free[:i], p.free[i+1:]...)
	}
	p.free = append(p.free, span{})
	copy(p.free[i+1:], p.free[i:])
	p.free[i] = span{start, end}
}

func (p *Pool) setPinned(a *Allocation, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a.pin == on || a.stateOf() == allocReleased {
		return
	}
	a.pin = on
	v := overlap(a.start, a.pages, p.visible)
	if on {
		p.pinned += a.pages
		p.visPinned += v
	} else {
		p.pinned -= a.pages
		p.visPinned -= v
	}
}

// lookup returns the allocation starting at page start, if any.
func (p *Pool) lookup(start uint64) *Allocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live[start]
}

// PoolStats is a pool's accounting, in bytes (GDS, GWS and OA count one
// page per byte or resource, as the kernel does).
type PoolStats struct {
	Size, Used, VisibleUsed, Pinned, VisiblePinned, Ghost uint64
	Ghosts, Allocations                                   int
}

// Stats returns a snapshot of the pool's accounting.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{Size: p.pages * PageSize, Used: p.used * PageSize,
		VisibleUsed: p.visUsed * PageSize, Pinned: p.pinned * PageSize,
		VisiblePinned: p.visPinned * PageSize, Ghost: p.ghostPages * PageSize,
		Ghosts: len(p.ghosts), Allocations: len(p.live)}
}

// check verifies the pool's invariants: sorted, coalesced, disjoint free
// spans; allocations disjoint from each other and from free space; free +
// used = capacity; the counters match the allocations.
func (p *Pool) check(gens map[uint64]Ref) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var freePages uint64
	for i, s := range p.free {
		if s.start >= s.end || s.end > p.pages {
			return fmt.Errorf("%v: bad free span %v", p.domain, s)
		}
		if i > 0 && p.free[i-1].end >= s.start {
			return fmt.Errorf("%v: free spans %v %v overlap or are not coalesced", p.domain, p.free[i-1], s)
		}
		freePages += s.end - s.start
	}
	allocs := make([]*Allocation, 0, len(p.live))
	for _, a := range p.live {
		allocs = append(allocs, a)
	}
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].start < allocs[j].start })
	var used, vis, pinned, visPinned, ghostPages uint64
	for i, a := range allocs {
		if st := a.stateOf(); st == allocReleased {
			return fmt.Errorf("%v: released allocation %v still live", p.domain, a.Ref())
		} else if st == allocGhost {
			ghostPages += a.pages
		}
		if i > 0 && allocs[i-1].start+allocs[i-1].pages > a.start {
			return fmt.Errorf("%v: allocations %v and %v overlap", p.domain, allocs[i-1].Ref(), a.Ref())
		}
		j := sort.Search(len(p.free), func(k int) bool { return p.free[k].end > a.start })
		if j < len(p.free) && p.free[j].start < a.start+a.pages {
			return fmt.Errorf("%v: allocation %v overlaps free span %v", p.domain, a.Ref(), p.free[j])
		}
		if prev, dup := gens[a.gen]; dup {
			return fmt.Errorf("generation %d shared by %v and %v", a.gen, prev, a.Ref())
		}
		gens[a.gen] = a.Ref()
		used += a.pages
		vis += overlap(a.start, a.pages, p.visible)
		if a.pin {
			pinned += a.pages
			visPinned += overlap(a.start, a.pages, p.visible)
		}
	}
	if freePages+used != p.pages {
		return fmt.Errorf("%v: free %d + used %d pages != capacity %d", p.domain, freePages, used, p.pages)
	}
	if used != p.used || vis != p.visUsed || pinned != p.pinned || visPinned != p.visPinned {
		return fmt.Errorf("%v: counters used=%d vis=%d pinned=%d/%d, allocations say %d %d %d/%d",
			p.domain, p.used, p.visUsed, p.pinned, p.visPinned, used, vis, pinned, visPinned)
	}
	var gp uint64
	for g := range p.ghosts {
		if g.alloc.stateOf() != allocGhost {
			return fmt.Errorf("%v: ghost %v in state %v", p.domain, g.alloc.Ref(), g.alloc.stateOf())
		}
		gp += g.alloc.pages
	}
	if gp != ghostPages || gp != p.ghostPages {
		return fmt.Errorf("%v: ghost pages %d, allocations say %d, counter %d", p.domain, gp, ghostPages, p.ghostPages)
	}
	return nil
}

// becomeGhost turns a into a ghost tracked by g.
func (p *Pool) becomeGhost(g *ghost) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g.alloc.state.CompareAndSwap(uint32(allocLive), uint32(allocGhost)) {
		p.ghostPages += g.alloc.pages
		p.ghosts[g] = struct{}{}
	}
}

// releaseGhost returns a ghost's range to the pool.
func (p *Pool) releaseGhost(g *ghost) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.ghosts, g)
	p.releaseLocked(g.alloc)
}

// pendingGhosts returns the fences of the pool's ghosts.
func (p *Pool) pendingGhosts() []*fence.Fence {
	p.mu.Lock()
	defer p.mu.Unlock()
	var fs []*fence.Fence
	for g := range p.ghosts {
		for _, f := range g.fences {
			if !f.SignaledFlag() { // no Ops calls (and callbacks) under mu
				fs = append(fs, f)
			}
		}
	}
	return fs
}
