// Package spantree is an ordered map of non-overlapping closed spans
// [start, last] of uint64 to values: a B+ tree whose leaves are linked, so
// that inserting a span and checking it against both neighbours is one
// descent, and deleting the span starting at an address is one more.
//
// It exists for the GPU VA space (package vm): amdgpu keeps a VM's
// mappings in an interval tree (vm->va, amdgpu_vm_it_*), and a GEM_VA MAP
// must refuse a range overlapping any mapping, which an ordered map keyed
// by start answers with the predecessor and the successor of the new
// start. A general ordered map needs a floor query and an insert for that
// (two descents) and a delete for the UNMAP; here MAP and UNMAP are one
// descent each, the leaves keep starts and lasts in flat arrays the search
// scans without dereferencing values, and deletion rebalances (borrow or
// merge) so the height stays logarithmic in the live count.
//
// A Tree is not safe for concurrent use; its owner serialises access.
package spantree

import "fmt"

// degree is the most items (leaves) or children (inner nodes) a node
// holds; minFill the fewest a non-root node keeps after a deletion.
// 48 keeps a leaf's starts in six cache lines; through the GEM_VA ioctl
// benchmark it beat 32 by 5–10 % at 1k–1M live mappings and matched 64.
const (
	degree  = 48
	minFill = degree / 4
)

// maxHeight bounds the descent path: with at least minFill children per
// inner node, 16 levels hold more than 2^48 spans.
const maxHeight = 16

// node is a leaf (kids == nil) or an inner node. In a leaf, starts, lasts
// and vals[:n] are the spans in order, prev and next the neighbouring
// leaves. In an inner node, kids[:n] are the children and starts[:n-1]
// the separators: starts[i] ≤ every start under kids[i+1] and > every
// start under kids[i].
type node[V any] struct {
	n          int
	starts     [degree]uint64
	lasts      [degree]uint64
	vals       [degree]V
	kids       []*node[V]
	prev, next *node[V]
}

func (x *node[V]) leaf() bool { return x.kids == nil }

// Tree is the map. The zero Tree is empty and ready to use.
type Tree[V any] struct {
	root   *node[V]
	count  int
	height int // 1 for a lone leaf
}

// Len returns the number of spans.
func (t *Tree[V]) Len() int { return t.count }

// upper returns the number of keys in k[:n] that are ≤ x.
func upper(k *[degree]uint64, n int, x uint64) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if k[m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// step is one level of a descent: the node and the child taken.
type step[V any] struct {
	x *node[V]
	i int
}

// descend walks from the root to the leaf that holds (or would hold) start
// s, recording the inner nodes and child indices in path. It returns the
// leaf and the path length.
func (t *Tree[V]) descend(s uint64, path *[maxHeight]step[V]) (*node[V], int) {
	x, d := t.root, 0
	for !x.leaf() {
		i := upper(&x.starts, x.n-1, s)
		path[d] = step[V]{x, i}
		d++
		x = x.kids[i]
	}
	return x, d
}

// Insert adds the span [start, last] with value v if it overlaps no span
// of the tree, and reports true. Otherwise the tree is unchanged, and
// Insert returns an overlapping span's value and false. last < start is
// refused the same way, with the zero V.
func (t *Tree[V]) Insert(start, last uint64, v V) (V, bool) {
	var zero V
	if last < start {
		return zero, false
	}
	if t.root == nil {
		t.root, t.height = &node[V]{}, 1
	}
	var path [maxHeight]step[V]
	x, d := t.descend(start, &path)
	// pos: the first span starting after start; the predecessor is the
	// one before it, possibly the last of the previous leaf.
	pos := upper(&x.starts, x.n, start)
	if pos > 0 {
		if x.lasts[pos-1] >= start {
			return x.vals[pos-1], false
		}
	} else if p := x.prev; p != nil && p.lasts[p.n-1] >= start {
		return p.vals[p.n-1], false
	}
	if pos < x.n {
		if x.starts[pos] <= last {
			return x.vals[pos], false
		}
	} else if nx := x.next; nx != nil && nx.starts[0] <= last {
		return nx.vals[0], false
	}
	t.count++
	if x.n < degree {
		x.insertAt(pos, start, last, v)
		return zero, true
	}
	// Split the full leaf, then put the span in its half.
	r := &node[V]{}
	half := degree / 2
	r.n = degree - half
	copy(r.starts[:], x.starts[half:])
	copy(r.lasts[:], x.lasts[half:])
	copy(r.vals[:], x.vals[half:])
	clear(x.vals[half:])
	x.n = half
	r.prev, r.next = x, x.next
	if x.next != nil {
		x.next.prev = r
	}
	x.next = r
	if pos <= half {
		x.insertAt(pos, start, last, v)
	} else {
		r.insertAt(pos-half, start, last, v)
	}
	t.addChild(&path, d, r.starts[0], r)
	return zero, true
}

func (x *node[V]) insertAt(i int, start, last uint64, v V) {
	copy(x.starts[i+1:x.n+1], x.starts[i:x.n])
	copy(x.lasts[i+1:x.n+1], x.lasts[i:x.n])
	copy(x.vals[i+1:x.n+1], x.vals[i:x.n])
	x.starts[i], x.lasts[i], x.vals[i] = start, last, v
	x.n++
}

// addChild inserts child r, whose smallest start is sep, right after the
// child path[d-1] descended into, splitting inner nodes up to the root as
// needed.
func (t *Tree[V]) addChild(path *[maxHeight]step[V], d int, sep uint64, r *node[V]) {
	for ; d > 0; d-- {
		p, i := path[d-1].x, path[d-1].i
		if p.n < degree {
			p.insertKid(i, sep, r)
			return
		}
		// Split p: the left keeps half its children, the separator
		// between the halves moves up.
		q := &node[V]{kids: make([]*node[V], degree)}
		half := degree / 2
		// Insert first into a degree+1 view, simpler to split: build
		// the combined lists in place of q and p.
		var keys [degree]uint64 // degree-1 old separators + 1 new
		var kids [degree + 1]*node[V]
		copy(keys[:i], p.starts[:i])
		keys[i] = sep
		copy(keys[i+1:], p.starts[i:p.n-1])
		copy(kids[:i+1], p.kids[:i+1])
		kids[i+1] = r
		copy(kids[i+2:], p.kids[i+1:p.n])
		// Left: kids[:half+1], keys[:half]; up: keys[half];
		// right: kids[half+1:], keys[half+1:].
		p.n = half + 1
		copy(p.starts[:], keys[:half])
		copy(p.kids, kids[:half+1])
		clear(p.kids[half+1:])
		q.n = degree + 1 - (half + 1)
		copy(q.starts[:], keys[half+1:])
		copy(q.kids, kids[half+1:])
		sep, r = keys[half], q
	}
	// The root split: grow a level.
	root := &node[V]{n: 2, kids: make([]*node[V], degree)}
	root.starts[0] = sep
	root.kids[0], root.kids[1] = t.root, r
	t.root = root
	t.height++
}

// insertKid puts child r with separator sep after child i.
func (p *node[V]) insertKid(i int, sep uint64, r *node[V]) {
	copy(p.starts[i+1:p.n], p.starts[i:p.n-1])
	p.starts[i] = sep
	copy(p.kids[i+2:p.n+1], p.kids[i+1:p.n])
	p.kids[i+1] = r
	p.n++
}

// Floor returns the span with the greatest start ≤ x.
func (t *Tree[V]) Floor(x uint64) (start, last uint64, v V, ok bool) {
	if t.root == nil {
		return 0, 0, v, false
	}
	var path [maxHeight]step[V]
	l, _ := t.descend(x, &path)
	if pos := upper(&l.starts, l.n, x); pos > 0 {
		return l.starts[pos-1], l.lasts[pos-1], l.vals[pos-1], true
	}
	if p := l.prev; p != nil {
		return p.starts[p.n-1], p.lasts[p.n-1], p.vals[p.n-1], true
	}
	return 0, 0, v, false
}

// Delete removes the span starting exactly at start if keep is nil or
// accepts its value, and returns the value and true. Otherwise the tree
// is unchanged.
func (t *Tree[V]) Delete(start uint64, keep func(V) bool) (V, bool) {
	var zero V
	if t.root == nil {
		return zero, false
	}
	var path [maxHeight]step[V]
	x, d := t.descend(start, &path)
	pos := upper(&x.starts, x.n, start) - 1
	if pos < 0 || x.starts[pos] != start || (keep != nil && !keep(x.vals[pos])) {
		return zero, false
	}
	v := x.vals[pos]
	copy(x.starts[pos:], x.starts[pos+1:x.n])
	copy(x.lasts[pos:], x.lasts[pos+1:x.n])
	copy(x.vals[pos:], x.vals[pos+1:x.n])
	x.n--
	x.vals[x.n] = zero
	t.count--
	t.rebalance(&path, d, x)
	return v, true
}

// rebalance restores the minimum fill of x, the node at depth d, by
// borrowing from or merging with a sibling, and goes up while merges
// leave parents short.
func (t *Tree[V]) rebalance(path *[maxHeight]step[V], d int, x *node[V]) {
	for d > 0 && x.n < minFill {
		p, i := path[d-1].x, path[d-1].i
		var l, r *node[V]
		if i > 0 {
			l = p.kids[i-1]
		}
		if i+1 < p.n {
			r = p.kids[i+1]
		}
		switch {
		case l != nil && l.n > minFill:
			borrowLeft(p, i, l, x)
			return
		case r != nil && r.n > minFill:
			borrowRight(p, i, x, r)
			return
		case l != nil:
			merge(p, i-1, l, x)
		default:
			merge(p, i, x, r)
		}
		x, d = p, d-1
	}
	if d == 0 && !x.leaf() && x.n == 1 {
		// The root has one child left: drop a level.
		t.root = x.kids[0]
		t.height--
	}
}

// borrowLeft moves l's last item (or child) to the front of x, l and x
// being children i-1 and i of p.
func borrowLeft[V any](p *node[V], i int, l, x *node[V]) {
	var zero V
	if x.leaf() {
		x.insertAt(0, l.starts[l.n-1], l.lasts[l.n-1], l.vals[l.n-1])
		l.n--
		l.vals[l.n] = zero
		p.starts[i-1] = x.starts[0]
		return
	}
	copy(x.starts[1:x.n], x.starts[:x.n-1])
	copy(x.kids[1:x.n+1], x.kids[:x.n])
	x.starts[0] = p.starts[i-1]
	x.kids[0] = l.kids[l.n-1]
	x.n++
	p.starts[i-1] = l.starts[l.n-2]
	l.kids[l.n-1] = nil
	l.n--
}

// borrowRight moves r's first item (or child) to the end of x, x and r
// being children i and i+1 of p.
func borrowRight[V any](p *node[V], i int, x, r *node[V]) {
	var zero V
	if x.leaf() {
		x.starts[x.n], x.lasts[x.n], x.vals[x.n] = r.starts[0], r.lasts[0], r.vals[0]
		x.n++
		copy(r.starts[:], r.starts[1:r.n])
		copy(r.lasts[:], r.lasts[1:r.n])
		copy(r.vals[:], r.vals[1:r.n])
		r.n--
		r.vals[r.n] = zero
		p.starts[i] = r.starts[0]
		return
	}
	x.starts[x.n-1] = p.starts[i]
	x.kids[x.n] = r.kids[0]
	x.n++
	p.starts[i] = r.starts[0]
	copy(r.starts[:], r.starts[1:r.n-1])
	copy(r.kids, r.kids[1:r.n])
	r.n--
	r.kids[r.n] = nil
}

// merge appends r (child i+1 of p) to l (child i) and removes r from p.
func merge[V any](p *node[V], i int, l, r *node[V]) {
	if l.leaf() {
		copy(l.starts[l.n:], r.starts[:r.n])
		copy(l.lasts[l.n:], r.lasts[:r.n])
		copy(l.vals[l.n:], r.vals[:r.n])
		l.n += r.n
		l.next = r.next
		if r.next != nil {
			r.next.prev = l
		}
	} else {
		l.starts[l.n-1] = p.starts[i]
		copy(l.starts[l.n:], r.starts[:r.n-1])
		copy(l.kids[l.n:], r.kids[:r.n])
		l.n += r.n
	}
	*r = node[V]{} // drop references held by the dead node
	copy(p.starts[i:], p.starts[i+1:p.n-1])
	copy(p.kids[i+1:], p.kids[i+2:p.n])
	p.n--
	p.kids[p.n] = nil
}

// AscendFrom calls fn for the span with the greatest start ≤ x (if any)
// and every later span, in order, until fn returns false.
func (t *Tree[V]) AscendFrom(x uint64, fn func(start, last uint64, v V) bool) {
	if t.root == nil {
		return
	}
	var path [maxHeight]step[V]
	l, _ := t.descend(x, &path)
	pos := upper(&l.starts, l.n, x) - 1
	if pos < 0 {
		if l.prev != nil {
			l, pos = l.prev, l.prev.n-1
		} else {
			pos = 0
		}
	}
	for ; l != nil; l, pos = l.next, 0 {
		for ; pos < l.n; pos++ {
			if !fn(l.starts[pos], l.lasts[pos], l.vals[pos]) {
				return
			}
		}
	}
}

// Ascend calls fn for every span in order until fn returns false.
func (t *Tree[V]) Ascend(fn func(start, last uint64, v V) bool) {
	if t.root == nil {
		return
	}
	l := t.root
	for !l.leaf() {
		l = l.kids[0]
	}
	for ; l != nil; l = l.next {
		for i := 0; i < l.n; i++ {
			if !fn(l.starts[i], l.lasts[i], l.vals[i]) {
				return
			}
		}
	}
}

// Check verifies the tree's invariants (order, no overlap, separators,
// fill, equal leaf depth, leaf links, count) and returns the first
// violation. It is for tests and debug checks; it visits every node.
func (t *Tree[V]) Check() error {
	if t.root == nil {
		if t.count != 0 {
			return fmt.Errorf("empty tree counts %d", t.count)
		}
		return nil
	}
	var leaves []*node[V]
	var walk func(x *node[V], depth int, lo, hi uint64, hasLo, hasHi bool) error
	walk = func(x *node[V], depth int, lo, hi uint64, hasLo, hasHi bool) error {
		if x != t.root && x.n < minFill {
			return fmt.Errorf("node at depth %d holds %d < %d", depth, x.n, minFill)
		}
		if x.n > degree {
			return fmt.Errorf("node at depth %d holds %d > %d", depth, x.n, degree)
		}
		if x.leaf() {
			if depth != t.height {
				return fmt.Errorf("leaf at depth %d, height %d", depth, t.height)
			}
			for i := 0; i < x.n; i++ {
				s := x.starts[i]
				if (hasLo && s < lo) || (hasHi && s >= hi) {
					return fmt.Errorf("start %#x outside its separators", s)
				}
			}
			leaves = append(leaves, x)
			return nil
		}
		if x.n < 2 {
			return fmt.Errorf("inner node at depth %d has %d children", depth, x.n)
		}
		for i := 0; i < x.n; i++ {
			clo, chi, cHasLo, cHasHi := lo, hi, hasLo, hasHi
			if i > 0 {
				clo, cHasLo = x.starts[i-1], true
			}
			if i < x.n-1 {
				chi, cHasHi = x.starts[i], true
			}
			if i > 0 && i < x.n-1 && x.starts[i-1] >= x.starts[i] {
				return fmt.Errorf("separators out of order at depth %d", depth)
			}
			if err := walk(x.kids[i], depth+1, clo, chi, cHasLo, cHasHi); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(t.root, 1, 0, 0, false, false); err != nil {
		return err
	}
	n := 0
	var prevLast uint64
	for k, l := range leaves {
		var want *node[V]
		if k > 0 {
			want = leaves[k-1]
		}
		if l.prev != want {
			return fmt.Errorf("leaf %d: prev link broken", k)
		}
		want = nil
		if k+1 < len(leaves) {
			want = leaves[k+1]
		}
		if l.next != want {
			return fmt.Errorf("leaf %d: next link broken", k)
		}
		for i := 0; i < l.n; i++ {
			if l.lasts[i] < l.starts[i] {
				return fmt.Errorf("span [%#x, %#x] ends before it starts", l.starts[i], l.lasts[i])
			}
			if n > 0 && l.starts[i] <= prevLast {
				return fmt.Errorf("span at %#x overlaps or precedes the one ending at %#x", l.starts[i], prevLast)
			}
			prevLast = l.lasts[i]
			n++
		}
	}
	if n != t.count {
		return fmt.Errorf("%d spans, count says %d", n, t.count)
	}
	return nil
}
