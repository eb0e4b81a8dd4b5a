package vm

import (
	"fmt"

	"github.com/google/btree"

	"github.com/vmemu/vmemu/bova"
)

// vaMap is vm->va, the interval tree of mappings keyed by [Start, Last] in
// GPU pages. Mappings never overlap (amdgpu_vm_bo_map() refuses), so a
// B-tree ordered by Start answers every interval query in O(log n): the
// only mapping that can contain page p is the one with the greatest
// Start ≤ p.
//
// Preconditions for every method: the VM's mutex is held.
type vaMap struct {
	t *btree.BTreeG[vaItem]
}

// vaItem keeps the key beside the pointer, so that searches compare
// without dereferencing mappings (a cache miss each at 10^6 mappings).
type vaItem struct {
	start uint64
	m     *bova.Mapping
}

func lessItem(a, b vaItem) bool { return a.start < b.start }

// btreeDegree is the B-tree degree; 32 keeps nodes about 512 bytes of
// pointers, a good fit for 10^3..10^6 items.
const btreeDegree = 32

func newVAMap() *vaMap {
	return &vaMap{t: btree.NewG(btreeDegree, lessItem)}
}

func (v *vaMap) Len() int { return v.t.Len() }

// floor returns the mapping with the greatest Start ≤ page, or nil.
func (v *vaMap) floor(page uint64) *bova.Mapping {
	var got *bova.Mapping
	v.t.DescendLessOrEqual(vaItem{start: page}, func(it vaItem) bool {
		got = it.m
		return false
	})
	return got
}

// lookup returns the mapping containing page (amdgpu_vm_bo_lookup_mapping()).
func (v *vaMap) lookup(page uint64) *bova.Mapping {
	if m := v.floor(page); m != nil && m.Last >= page {
		return m
	}
	return nil
}

// firstOverlap returns a mapping overlapping [s, l], or nil
// (amdgpu_vm_it_iter_first() != NULL).
func (v *vaMap) firstOverlap(s, l uint64) *bova.Mapping {
	if m := v.floor(l); m != nil && m.Last >= s {
		return m
	}
	return nil
}

// overlapping appends every mapping overlapping [s, l] in address order.
func (v *vaMap) overlapping(s, l uint64, out []*bova.Mapping) []*bova.Mapping {
	if m := v.floor(s); m != nil && m.Last >= s {
		out = append(out, m)
	}
	if s == l || s+1 == 0 {
		return out
	}
	v.t.AscendGreaterOrEqual(vaItem{start: s + 1}, func(it vaItem) bool {
		if it.start > l {
			return false
		}
		out = append(out, it.m)
		return true
	})
	return out
}

// insert adds m (amdgpu_vm_it_insert()).
//
// Preconditions: m overlaps no mapping of the tree.
func (v *vaMap) insert(m *bova.Mapping) {
	if old, ok := v.t.ReplaceOrInsert(vaItem{m.Start, m}); ok {
		panic(fmt.Sprintf("vm: insert %v over %v", m, old.m))
	}
}

// remove deletes m (amdgpu_vm_it_remove()).
func (v *vaMap) remove(m *bova.Mapping) {
	if got, ok := v.t.Delete(vaItem{start: m.Start}); !ok || got.m != m {
		panic(fmt.Sprintf("vm: remove of %v not in the tree", m))
	}
}

// removeStart deletes and returns the mapping starting at page if keep
// accepts it; otherwise the tree is unchanged.
func (v *vaMap) removeStart(page uint64, keep func(*bova.Mapping) bool) *bova.Mapping {
	it, ok := v.t.Delete(vaItem{start: page})
	if !ok {
		return nil
	}
	if !keep(it.m) {
		v.t.ReplaceOrInsert(it) // rare: another bo_va's mapping
		return nil
	}
	return it.m
}

// each calls fn for every mapping in address order until it returns false.
func (v *vaMap) each(fn func(*bova.Mapping) bool) {
	v.t.Ascend(func(it vaItem) bool { return fn(it.m) })
}

// check verifies order and non-overlap (spec §2.13.5).
func (v *vaMap) check() error {
	var prev *bova.Mapping
	var err error
	v.t.Ascend(func(it vaItem) bool {
		m := it.m
		switch {
		case it.start != m.Start:
			err = fmt.Errorf("mapping %v keyed at %#x", m, it.start)
		case m.Last < m.Start:
			err = fmt.Errorf("mapping %v ends before it starts", m)
		case prev != nil && prev.Last >= m.Start:
			err = fmt.Errorf("mappings %v and %v overlap", prev, m)
		case m.Where() != bova.WhereInvalid && m.Where() != bova.WhereValid:
			err = fmt.Errorf("mapping %v in the tree is %v", m, m.Where())
		}
		prev = m
		return err == nil
	})
	return err
}
