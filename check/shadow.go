package check

import (
	"fmt"
	"slices"
)

// AllocID names a backing-store allocation: a range of a memory pool
// (VRAM, GTT) handed to one BO. With a generation it names one use of that
// memory: releasing it for reuse ends the generation.
type AllocID uint64

// Access is one executed access to physical memory.
type Access struct {
	// Agent performed the access: a running job or a CPU thread.
	Agent *Agent
	// Alloc and Gen name the allocation the translation reached; Off and
	// Len the bytes, as offsets into it.
	Alloc    AllocID
	Gen      uint64
	Off, Len uint64
	Write    bool
	// VA is the virtual address of byte Off in the agent's address space
	// (GPU VA or CPU address); 0 if unknown.
	VA uint64
	// Mapping is the ioctl that created the mapping used (GEM_VA for the
	// GPU, GEM_MMAP for the CPU). The checker keeps the pointer: do not
	// modify the Origin afterwards.
	Mapping *Origin
	// TLB says the translation came from a cached TLB entry.
	TLB bool
	// Label names what executed the access ("PM4 WRITE_DATA", "annotation
	// write", "memcpy"); it is part of report keys.
	Label string
}

// accessRec is a stored access: the shadow's record of a write or read.
// Immutable once stored.
type accessRec struct {
	agent   *Agent
	comp    uint32 // agent's component
	clk     uint64 // agent's epoch on comp at the access
	write   bool
	tlb     bool
	off     uint64 // the access's first byte
	va      uint64
	mapping *Origin
	label   string
	time    int64
}

// segState is the shadow state of one interval: the last write of its
// bytes and, since that write, the last read per component. Each interval
// owns its state.
type segState struct {
	w     *accessRec
	reads readSet
}

func (s *segState) same(o *segState) bool {
	return s.w == o.w && s.reads.equal(&o.reads)
}

// inlineReads is how many components' reads a state holds without
// allocating: the rings and threads touching one interval between two
// writes are few.
const inlineReads = 4

// readSet holds at most one read per component, sorted by component: the
// first inlineReads in r (nil-terminated), the rest in more.
type readSet struct {
	r    [inlineReads]*accessRec
	more []*accessRec // owned; cloned when a state is copied
}

// len returns the number of reads.
func (rs *readSet) len() int {
	n := 0
	for n < inlineReads && rs.r[n] != nil {
		n++
	}
	return n + len(rs.more)
}

// at returns read i.
func (rs *readSet) at(i int) *accessRec {
	if i < inlineReads {
		return rs.r[i]
	}
	return rs.more[i-inlineReads]
}

func (rs *readSet) setAt(i int, x *accessRec) {
	if i < inlineReads {
		rs.r[i] = x
		return
	}
	rs.more[i-inlineReads] = x
}

// put sets the read of x's component to x, keeping the order.
func (rs *readSet) put(x *accessRec) {
	n := rs.len()
	i := 0
	for i < n && rs.at(i).comp < x.comp {
		i++
	}
	if i < n && rs.at(i).comp == x.comp {
		rs.setAt(i, x)
		return
	}
	// Insert at i: shift the tail right by one.
	if n >= inlineReads {
		rs.more = append(rs.more, nil)
	}
	for k := n; k > i; k-- {
		rs.setAt(k, rs.at(k-1))
	}
	rs.setAt(i, x)
}

func (rs *readSet) equal(o *readSet) bool {
	return rs.r == o.r && slices.Equal(rs.more, o.more)
}

// clone returns a copy that shares no memory with rs.
func (rs readSet) clone() readSet {
	if rs.more != nil {
		rs.more = slices.Clone(rs.more)
	}
	return rs
}

// shadow is the shadow memory of one live allocation generation, an
// interval map: interval k is [ivs[k].start, ivs[k+1].start or size) with
// state states[ivs[k].st]. ivs is sorted and begins at 0; adjacent states
// differ. States live in an arena apart from the intervals, which hold no
// pointers, so that inserting an interval moves plain words.
type shadow struct {
	gen    uint64
	size   uint64
	ivs    []interval
	states []segState // arena; free slots are listed in free
	free   []uint32
}

type interval struct {
	start uint64
	st    uint32 // index in states
}

func newShadow(gen, size uint64) *shadow {
	return &shadow{gen: gen, size: size, ivs: []interval{{}}, states: []segState{{}}}
}

// st returns interval k's state.
func (sh *shadow) st(k int) *segState { return &sh.states[sh.ivs[k].st] }

func (sh *shadow) newState(s segState) uint32 {
	if n := len(sh.free); n > 0 {
		i := sh.free[n-1]
		sh.free = sh.free[:n-1]
		sh.states[i] = s
		return i
	}
	sh.states = append(sh.states, s)
	return uint32(len(sh.states) - 1)
}

func (sh *shadow) freeState(i uint32) {
	sh.states[i] = segState{}
	sh.free = append(sh.free, i)
}

// release is the last release of an allocation id.
type release struct {
	gen   uint64
	cause Origin
}

// AllocCreate records that allocation id, generation gen, of size bytes is
// live: its bytes have no accesses yet. Creating an id that is still live
// replaces it (and counts as misuse). Safe for concurrent use.
func (c *Checker) AllocCreate(id AllocID, gen, size uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.allocs[id]; ok {
		c.misuse()
	}
	c.allocs[id] = newShadow(gen, size)
}

// AllocRelease records that generation gen of allocation id is released
// for reuse, by cause (the GEM_CLOSE, eviction or delayed destroy). Any
// later access with that generation is a use-after-free. Releasing a
// generation that is not live counts as misuse. Safe for concurrent use.
func (c *Checker) AllocRelease(id AllocID, gen uint64, cause Origin) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sh := c.allocs[id]
	if sh == nil || sh.gen != gen {
		c.misuse()
		return
	}
	delete(c.allocs, id)
	c.freed[id] = release{gen: gen, cause: cause}
}

// Access checks one executed access against the shadow state, reports
// races, CPU accesses without sync and uses after free, and records it.
// Safe for concurrent use; accesses must arrive in execution order.
func (c *Checker) Access(a Access) {
	if c == nil {
		return
	}
	c.access(&a)
}

// conflict is a race found by access, before it becomes a report.
type conflict struct {
	h      Hazard
	prior  *accessRec
	lo, hi uint64
}

func (c *Checker) access(a *Access) {
	mustAgent(a.Agent, "Access")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Accesses++
	ag := a.Agent
	if !ag.cpu && ag.ended {
		c.misuse()
	}
	sh := c.allocs[a.Alloc]
	if sh == nil || sh.gen != a.Gen || a.Off > sh.size || a.Len > sh.size-a.Off {
		c.useAfterFree(a, sh)
		return
	}
	if a.Len == 0 {
		return
	}
	end := a.Off + a.Len
	i := sh.split(a.Off)
	j := sh.splitFrom(i, end)

	// Check against the state of each segment.
	cvc := ag.vc
	ordered := func(r *accessRec) bool { return r.agent == ag || cvc.get(r.comp) >= r.clk }
	cs := c.conflicts[:0]
	add := func(h Hazard, p *accessRec, lo, hi uint64) {
		for k := range cs {
			if x := &cs[k]; x.h == h && x.prior == p && x.hi == lo {
				x.hi = hi
				return
			}
		}
		cs = append(cs, conflict{h, p, lo, hi})
	}
	for k := i; k < j; k++ {
		s := sh.st(k)
		lo, hi := sh.ivs[k].start, sh.end(k)
		if s.w != nil && !ordered(s.w) {
			h := RAW
			if a.Write {
				h = WAW
			}
			add(h, s.w, lo, hi)
		}
		if a.Write {
			for n, ri := s.reads.len(), 0; ri < n; ri++ {
				if r := s.reads.at(ri); !ordered(r) {
					add(WAR, r, lo, hi)
				}
			}
		}
	}
	c.conflicts = cs

	now := c.time()
	rec := &accessRec{agent: ag, comp: ag.comp, clk: ag.epoch(), write: a.Write, tlb: a.TLB,
		off: a.Off, va: a.VA, mapping: a.Mapping, label: a.Label, time: now}
	for _, x := range cs {
		c.emitRace(a, rec, sh, x)
	}

	// Update: a write replaces [i, j) by one segment; a read adds itself to
	// each segment's read set.
	if a.Write {
		*sh.st(i) = segState{w: rec}
		for k := i + 1; k < j; k++ {
			sh.freeState(sh.ivs[k].st)
		}
		sh.ivs = slices.Delete(sh.ivs, i+1, j)
		j = i + 1
	} else {
		for k := i; k < j; k++ {
			sh.st(k).reads.put(rec)
		}
	}
	sh.merge(max(i, 1)-1, min(j+1, len(sh.ivs)))
}

// end is the end of interval k.
func (sh *shadow) end(k int) uint64 {
	if k+1 < len(sh.ivs) {
		return sh.ivs[k+1].start
	}
	return sh.size
}

// split makes off an interval boundary and returns the index of the
// interval starting there (len(ivs) if off == size).
//
// Preconditions: off <= sh.size.
func (sh *shadow) split(off uint64) int {
	if off >= sh.size {
		return len(sh.ivs)
	}
	// Find the first start > off; the interval before it contains off.
	lo, hi := 0, len(sh.ivs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sh.ivs[m].start <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if sh.ivs[lo-1].start == off {
		return lo - 1
	}
	prev := sh.st(lo - 1)
	st := sh.newState(segState{w: prev.w, reads: prev.reads.clone()})
	sh.ivs = slices.Insert(sh.ivs, lo, interval{off, st})
	return lo
}

// splitFrom is split for an off at or after interval i's start: it scans
// forward from i (the access iterates those intervals anyway) instead of
// searching.
func (sh *shadow) splitFrom(i int, off uint64) int {
	if off >= sh.size {
		return len(sh.ivs)
	}
	k := i
	for k < len(sh.ivs) && sh.ivs[k].start < off {
		k++
	}
	if k < len(sh.ivs) && sh.ivs[k].start == off {
		return k
	}
	prev := sh.st(k - 1)
	st := sh.newState(segState{w: prev.w, reads: prev.reads.clone()})
	sh.ivs = slices.Insert(sh.ivs, k, interval{off, st})
	return k
}

// merge joins adjacent intervals with equal state within [lo, hi).
func (sh *shadow) merge(lo, hi int) {
	if hi-lo < 2 {
		return
	}
	w := lo
	for k := lo + 1; k < hi; k++ {
		if sh.st(w).same(sh.st(k)) {
			sh.freeState(sh.ivs[k].st)
			continue
		}
		w++
		sh.ivs[w] = sh.ivs[k]
	}
	sh.ivs = slices.Delete(sh.ivs, w+1, hi)
}

// check verifies the shadow's invariants (for tests).
func (sh *shadow) check() error {
	if len(sh.ivs) == 0 || sh.ivs[0].start != 0 {
		return fmt.Errorf("shadow does not start at 0")
	}
	if n := len(sh.ivs) + len(sh.free); n != len(sh.states) {
		return fmt.Errorf("%d intervals and %d free states for %d states", len(sh.ivs), len(sh.free), len(sh.states))
	}
	used := map[uint32]bool{}
	for k := range sh.ivs {
		if used[sh.ivs[k].st] {
			return fmt.Errorf("state %d shared", sh.ivs[k].st)
		}
		used[sh.ivs[k].st] = true
		if k == 0 {
			continue
		}
		if sh.ivs[k].start <= sh.ivs[k-1].start || sh.ivs[k].start >= sh.size {
			return fmt.Errorf("interval %d start %#x out of order", k, sh.ivs[k].start)
		}
		if sh.st(k).same(sh.st(k - 1)) {
			return fmt.Errorf("intervals %d and %d not merged", k-1, k)
		}
	}
	for k := range sh.ivs {
		seen := map[uint32]bool{}
		rs := &sh.st(k).reads
		for ri := range rs.len() {
			r := rs.at(ri)
			if seen[r.comp] || (ri > 0 && rs.at(ri-1).comp > r.comp) {
				return fmt.Errorf("interval %d: reads unsorted or two on component %d", k, r.comp)
			}
			seen[r.comp] = true
		}
	}
	return nil
}

// side describes rec's bytes [lo, hi) as a report side.
func (rec *accessRec) side(lo, hi uint64) Side {
	s := Side{
		CPU: rec.agent.cpu, Write: rec.write, Phys: Range{lo, hi - lo},
		Label: rec.label, Mapping: rec.mapping, TLB: rec.tlb, Time: rec.time,
	}
	if rec.agent.cpu {
		s.Thread = rec.agent.name
	} else {
		s.Job = rec.agent.origin
	}
	if rec.va != 0 {
		s.VA = Range{rec.va + (lo - rec.off), hi - lo}
	}
	return s
}

// emitRace reports conflict x between the current access a (rec) and an
// earlier one.
//
// Preconditions: c.mu held.
func (c *Checker) emitRace(a *Access, rec *accessRec, sh *shadow, x conflict) {
	cur, prior := rec.side(x.lo, x.hi), x.prior.side(x.lo, x.hi)
	r := &Report{
		Kind: KindRace, Hazard: x.h, Time: rec.time,
		Alloc: a.Alloc, Gen: sh.gen, Phys: cur.Phys, VA: cur.VA,
		Access: cur, Prior: &prior,
	}
	if rec.agent.cpu != x.prior.agent.cpu {
		r.Kind = KindCPUUnsync
		r.InFlight = rec.agent.cpu && !x.prior.agent.ended
	}
	c.emit(r)
}

// useAfterFree reports an access outside any live allocation generation.
//
// Preconditions: c.mu held.
func (c *Checker) useAfterFree(a *Access, sh *shadow) {
	rec := &accessRec{agent: a.Agent, write: a.Write, tlb: a.TLB, off: a.Off, va: a.VA,
		mapping: a.Mapping, label: a.Label, time: c.time()}
	r := &Report{
		Kind: KindUseAfterFree, ModelBug: true, Time: rec.time,
		Alloc: a.Alloc, Gen: a.Gen, Phys: Range{a.Off, a.Len},
		Access: rec.side(a.Off, a.Off+a.Len),
	}
	r.VA = r.Access.VA
	fr, freed := c.freed[a.Alloc]
	switch {
	case sh != nil && sh.gen == a.Gen:
		r.Reason = fmt.Sprintf("outside the allocation's %#x bytes", sh.size)
	case freed && fr.gen == a.Gen:
		r.Reason = "generation released"
		if sh != nil {
			r.Reason += fmt.Sprintf(", memory reused by generation %d", sh.gen)
		}
		cause := fr.cause
		r.Cause = &cause
	case sh != nil:
		r.Reason = fmt.Sprintf("stale generation, memory now generation %d", sh.gen)
	default:
		r.Reason = "no live allocation"
	}
	c.emit(r)
}
