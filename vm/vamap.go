package vm

import (
	"fmt"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/internal/spantree"
)

// vaMap is vm->va, the interval tree of mappings keyed by [Start, Last] in
// GPU pages. Mappings never overlap (amdgpu_vm_bo_map() refuses), so a map
// of disjoint spans ordered by Start answers every interval query in
// O(log n): the only mapping that can contain page p is the one with the
// greatest Start ≤ p. The spans live in a spantree.Tree, which checks a new
// mapping against both neighbours in the descent that inserts it and keeps
// Start and Last beside the pointer, so searches compare without
// dereferencing mappings (a cache miss each at 10^6 mappings).
//
// Preconditions for every method: the VM's mutex is held.
type vaMap struct {
	t spantree.Tree[*bova.Mapping]
}

func newVAMap() *vaMap { return &vaMap{} }

func (v *vaMap) Len() int { return v.t.Len() }

// lookup returns the mapping containing page (amdgpu_vm_bo_lookup_mapping()).
func (v *vaMap) lookup(page uint64) *bova.Mapping {
	if _, l, m, ok := v.t.Floor(page); ok && l >= page {
		return m
	}
	return nil
}

// overlapping appends every mapping overlapping [s, l] in address order.
func (v *vaMap) overlapping(s, l uint64, out []*bova.Mapping) []*bova.Mapping {
	v.t.AscendFrom(s, func(start, last uint64, m *bova.Mapping) bool {
		if start > l {
			return false
		}
		if last >= s {
			out = append(out, m)
		}
		return true
	})
	return out
}

// insertFree adds m if it overlaps no mapping, and otherwise returns a
// mapping it overlaps, leaving the tree unchanged: amdgpu_vm_bo_map()'s
// amdgpu_vm_it_iter_first() check and amdgpu_vm_it_insert() in one
// descent.
func (v *vaMap) insertFree(m *bova.Mapping) *bova.Mapping {
	if old, ok := v.t.Insert(m.Start, m.Last, m); !ok {
		if old == nil {
			panic(fmt.Sprintf("vm: insert of the empty mapping %v", m))
		}
		return old
	}
	return nil
}

// insert adds m (amdgpu_vm_it_insert()).
//
// Preconditions: m overlaps no mapping of the tree.
func (v *vaMap) insert(m *bova.Mapping) {
	if old := v.insertFree(m); old != nil {
		panic(fmt.Sprintf("vm: insert %v over %v", m, old))
	}
}

// remove deletes m (amdgpu_vm_it_remove()).
func (v *vaMap) remove(m *bova.Mapping) {
	if got, ok := v.t.Delete(m.Start, nil); !ok || got != m {
		panic(fmt.Sprintf("vm: remove of %v not in the tree", m))
	}
}

// removeStart deletes and returns the mapping starting at page if keep
// accepts it; otherwise the tree is unchanged.
func (v *vaMap) removeStart(page uint64, keep func(*bova.Mapping) bool) *bova.Mapping {
	m, _ := v.t.Delete(page, keep)
	return m
}

// each calls fn for every mapping in address order until it returns false.
func (v *vaMap) each(fn func(*bova.Mapping) bool) {
	v.t.Ascend(func(_, _ uint64, m *bova.Mapping) bool { return fn(m) })
}

// check verifies the tree's own invariants, then that every span is its
// mapping's [Start, Last] and every mapping is in a valid or invalid list
// (spec §2.13.5).
func (v *vaMap) check() error {
	if err := v.t.Check(); err != nil {
		return err
	}
	var err error
	v.t.Ascend(func(start, last uint64, m *bova.Mapping) bool {
		switch {
		case start != m.Start || last != m.Last:
			err = fmt.Errorf("mapping %v keyed at [%#x, %#x]", m, start, last)
		case m.Where() != bova.WhereInvalid && m.Where() != bova.WhereValid:
			err = fmt.Errorf("mapping %v in the tree is %v", m, m.Where())
		}
		return err == nil
	})
	return err
}
