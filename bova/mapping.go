package bova

import "fmt"

// Where says which list holds a mapping.
type Where uint8

const (
	// WhereNone: on no list (not yet inserted, or destroyed).
	WhereNone Where = iota
	// WhereInvalid: on its bo_va's invalids: PTEs not (correctly) written.
	WhereInvalid
	// WhereValid: on its bo_va's valids: PTEs written (valid, or invalid
	// when the bo_va is cleared).
	WhereValid
	// WhereFreed: on the VM's freed list: out of the VA tree, PTEs still
	// live until clear_freed's PT_CLEAR job executes.
	WhereFreed
)

var whereNames = [...]string{"none", "invalid", "valid", "freed"}

func (w Where) String() string {
	if int(w) < len(whereNames) {
		return whereNames[w]
	}
	return fmt.Sprintf("Where(%d)", uint8(w))
}

// Mapping is struct amdgpu_bo_va_mapping. Start and Last are GPU page
// numbers (inclusive), Offset is the byte offset into the BO, Flags the
// uAPI AMDGPU_VM_PAGE_* bits (the 6.18+ representation; hardware bits are
// derived at update time).
//
// Preconditions for every method: the owning VM's mutex is held.
type Mapping struct {
	Start, Last uint64
	Offset      uint64
	Flags       uint32
	// where names the list holding the mapping.
	where Where
	// Explicit records, for a freed mapping, that it was unmapped by an
	// operation with AMDGPU_VM_EXPLICIT_SYNC (Tatsuyuki Ishi's per-mapping
	// sync_unmap bit, inverted): its PT_CLEAR depends only on the
	// operation's input fences and the VM order.
	Explicit bool
	// bova is the bo_va (kept when freed: see Origin).
	bova       *BoVA
	prev, next *Mapping
}

// Where returns the list holding m.
func (m *Mapping) Where() Where { return m.where }

// BoVA returns mapping->bo_va: nil once the mapping is freed.
func (m *Mapping) BoVA() *BoVA {
	if m.where == WhereFreed {
		return nil
	}
	return m.bova
}

// Origin returns the bo_va the mapping belonged to, freed or not; the
// kernel forgets it on freeing, vmemu keeps it for the last-unmap fence.
func (m *Mapping) Origin() *BoVA { return m.bova }

// SetOrigin sets the mapping's bo_va before it is put on a list.
func (m *Mapping) SetOrigin(b *BoVA) { m.bova = b }

// Pages returns the number of GPU pages mapped.
func (m *Mapping) Pages() uint64 { return m.Last - m.Start + 1 }

func (m *Mapping) String() string {
	return fmt.Sprintf("[%#x-%#x] off=%#x flags=%#x %v", m.Start, m.Last,
		m.Offset, m.Flags, m.where)
}

// List is a list_head of mappings: a bo_va's invalids or valids, or a VM's
// freed list.
type List struct {
	head, tail *Mapping
	n          int
	where      Where
	owner      *BoVA
}

// NewFreedList returns an empty freed list (vm->freed).
func NewFreedList() *List { return &List{where: WhereFreed} }

// Len returns the number of mappings on l.
func (l *List) Len() int { return l.n }

// Where returns the tag the list gives its members.
func (l *List) Where() Where { return l.where }

// First returns the first mapping, or nil.
func (l *List) First() *Mapping { return l.head }

// Next returns the mapping after m on its list, or nil.
func (m *Mapping) Next() *Mapping { return m.next }

// Add inserts m at the head of l (list_add()), as the kernel does for
// invalids, valids and freed.
//
// Preconditions: m is on no list.
func (l *List) Add(m *Mapping) {
	if m.where != WhereNone {
		panic(fmt.Sprintf("bova: Add of %v already on a list", m))
	}
	m.where = l.where
	if l.owner != nil {
		m.bova = l.owner
	}
	m.prev = nil
	m.next = l.head
	if l.head != nil {
		l.head.prev = m
	} else {
		l.tail = m
	}
	l.head = m
	l.n++
}

// Remove takes m off l (list_del()).
//
// Preconditions: m is on l.
func (l *List) Remove(m *Mapping) {
	if m.where != l.where || (l.owner != nil && m.bova != l.owner) {
		panic(fmt.Sprintf("bova: Remove of %v from a %v list", m, l.where))
	}
	if m.prev != nil {
		m.prev.next = m.next
	} else {
		l.head = m.next
	}
	if m.next != nil {
		m.next.prev = m.prev
	} else {
		l.tail = m.prev
	}
	m.prev, m.next = nil, nil
	m.where = WhereNone
	l.n--
}

// SpliceInit moves every mapping of l to the head of dst, keeping their
// order, and empties l (list_splice_init()).
func (l *List) SpliceInit(dst *List) {
	if l.n == 0 {
		return
	}
	for m := l.head; m != nil; m = m.next {
		m.where = dst.where
		if dst.owner != nil {
			m.bova = dst.owner
		}
	}
	l.tail.next = dst.head
	if dst.head != nil {
		dst.head.prev = l.tail
	} else {
		dst.tail = l.tail
	}
	dst.head = l.head
	dst.n += l.n
	l.head, l.tail, l.n = nil, nil, 0
}

// Each calls fn for every mapping of l in order until fn returns false. fn
// may remove the mapping it is given, and nothing else.
func (l *List) Each(fn func(*Mapping) bool) {
	for m := l.head; m != nil; {
		next := m.next
		if !fn(m) {
			return
		}
		m = next
	}
}

// Check verifies l's links, count and member tags.
func (l *List) Check() error {
	n := 0
	var prev *Mapping
	for m := l.head; m != nil; m = m.next {
		if m.where != l.where {
			return fmt.Errorf("%v on a %v list", m, l.where)
		}
		if l.owner != nil && m.bova != l.owner {
			return fmt.Errorf("%v on the %v list of another bo_va", m, l.where)
		}
		if m.prev != prev {
			return fmt.Errorf("%v: broken back link on a %v list", m, l.where)
		}
		prev = m
		n++
	}
	if prev != l.tail || n != l.n {
		return fmt.Errorf("%v list: %d members, count %d", l.where, n, l.n)
	}
	return nil
}
