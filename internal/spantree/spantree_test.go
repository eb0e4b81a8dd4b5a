package spantree

import (
	"encoding/binary"
	"math/rand"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// span is the model's element.
type span struct{ Start, Last, V uint64 }

// model is the naive reference: a sorted slice of spans.
type model []span

// overlap returns a span overlapping [s, l]. The model's spans are sorted
// and disjoint, so only the last one starting at or before l can.
func (m model) overlap(s, l uint64) (span, bool) {
	i := sort.Search(len(m), func(i int) bool { return m[i].Start > l })
	if i > 0 && m[i-1].Last >= s {
		return m[i-1], true
	}
	return span{}, false
}

func (m *model) insert(s, l, v uint64) bool {
	if l < s {
		return false
	}
	if _, ok := m.overlap(s, l); ok {
		return false
	}
	i, _ := slices.BinarySearchFunc(*m, s, func(x span, s uint64) int { return cmpU(x.Start, s) })
	*m = slices.Insert(*m, i, span{s, l, v})
	return true
}

func (m *model) delete(s uint64, keep func(uint64) bool) (uint64, bool) {
	i, ok := slices.BinarySearchFunc(*m, s, func(x span, s uint64) int { return cmpU(x.Start, s) })
	if !ok || (keep != nil && !keep((*m)[i].V)) {
		return 0, false
	}
	v := (*m)[i].V
	*m = slices.Delete(*m, i, i+1)
	return v, true
}

func (m model) floor(x uint64) (span, bool) {
	i := sort.Search(len(m), func(i int) bool { return m[i].Start > x })
	if i == 0 {
		return span{}, false
	}
	return m[i-1], true
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func contents(t *Tree[uint64]) model {
	var out model
	t.Ascend(func(s, l, v uint64) bool {
		out = append(out, span{s, l, v})
		return true
	})
	return out
}

// run applies ops decoded from r to a tree and the model and fails on the
// first difference. space bounds the addresses so that overlaps happen.
func run(t *testing.T, r *rand.Rand, ops int, space uint64, checkEvery int) {
	t.Helper()
	var tr Tree[uint64]
	var m model
	for i := 0; i < ops; i++ {
		a := uint64(r.Int63n(int64(space)))
		switch op := r.Intn(10); {
		case op < 5: // insert, mostly short spans
			l := a + uint64(r.Intn(4))
			if r.Intn(50) == 0 {
				l = a + uint64(r.Intn(200))
			}
			want := m.insert(a, l, uint64(i))
			conflict, got := tr.Insert(a, l, uint64(i))
			if got != want {
				t.Fatalf("op %d: Insert(%d, %d) = %v, model %v", i, a, l, got, want)
			}
			if !got && l >= a {
				k := slices.IndexFunc(m, func(x span) bool { return x.V == conflict })
				if k < 0 || m[k].Start > l || m[k].Last < a {
					t.Fatalf("op %d: Insert(%d, %d) reports value %d, which is not a span overlapping it", i, a, l, conflict)
				}
			}
		case op < 8: // delete at an existing start (or a miss)
			if len(m) > 0 && r.Intn(4) != 0 {
				a = m[r.Intn(len(m))].Start
			}
			var keep func(uint64) bool
			if r.Intn(5) == 0 {
				keep = func(v uint64) bool { return v%2 == 0 }
			}
			wv, wok := m.delete(a, keep)
			gv, gok := tr.Delete(a, keep)
			if gok != wok || gv != wv {
				t.Fatalf("op %d: Delete(%d) = %d,%v, model %d,%v", i, a, gv, gok, wv, wok)
			}
		default: // floor and AscendFrom
			ws, wok := m.floor(a)
			s, l, v, ok := tr.Floor(a)
			if ok != wok || (ok && (span{s, l, v} != ws)) {
				t.Fatalf("op %d: Floor(%d) = %v %v, model %v %v", i, a, span{s, l, v}, ok, ws, wok)
			}
			var got model
			tr.AscendFrom(a, func(s, l, v uint64) bool {
				got = append(got, span{s, l, v})
				return len(got) < 5
			})
			from := 0
			if wok {
				from = slices.Index(m, ws)
			}
			want := m[from:min(from+5, len(m))]
			if !slices.Equal(want, got) {
				t.Fatalf("op %d: AscendFrom(%d) = %v, model %v", i, a, got, want)
			}
		}
		if tr.Len() != len(m) {
			t.Fatalf("op %d: Len %d, model %d", i, tr.Len(), len(m))
		}
		if checkEvery > 0 && i%checkEvery == 0 {
			if err := tr.Check(); err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
		}
	}
	if err := tr.Check(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, contents(&tr)); diff != "" {
		t.Fatalf("contents (-model +tree):\n%s", diff)
	}
}

// TestOracle compares the tree with the naive model on seeded random op
// streams, small and dense (many overlaps) to large (several levels).
func TestOracle(t *testing.T) {
	for _, c := range []struct {
		name       string
		ops        int
		space      uint64
		checkEvery int
	}{
		{"dense", 20_000, 300, 1},
		{"levels", 60_000, 1 << 20, 97},
	} {
		t.Run(c.name, func(t *testing.T) {
			for seed := int64(1); seed <= 4; seed++ {
				t.Logf("seed %d", seed)
				run(t, rand.New(rand.NewSource(seed)), c.ops, c.space, c.checkEvery)
			}
		})
	}
}

// TestGrowShrink fills a tree to several levels in order and in reverse,
// then empties it from both ends and the middle, checking the invariants
// and the height on the way.
func TestGrowShrink(t *testing.T) {
	const n = 40_000
	for _, order := range []string{"ascending", "descending", "shuffled"} {
		t.Run(order, func(t *testing.T) {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = uint64(i) * 10
			}
			switch order {
			case "descending":
				slices.Reverse(keys)
			case "shuffled":
				rand.New(rand.NewSource(7)).Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			}
			var tr Tree[uint64]
			for i, k := range keys {
				if _, ok := tr.Insert(k, k+9, k); !ok {
					t.Fatalf("insert %d refused", k)
				}
				if i%1000 == 0 {
					if err := tr.Check(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tr.height < 3 {
				t.Fatalf("height %d after %d inserts: the test does not reach inner splits", tr.height, n)
			}
			// Every span is adjacent to the next: any insert overlaps.
			if _, ok := tr.Insert(55, 55, 0); ok {
				t.Fatal("insert inside a span accepted")
			}
			slices.Sort(keys)
			del := append(append(keys[n/2:n/2+n/4:n/2+n/4], keys[:n/4]...), keys[n/4:n/2]...)
			del = append(del, keys[n/2+n/4:]...)
			for i, k := range del {
				if v, ok := tr.Delete(k, nil); !ok || v != k {
					t.Fatalf("delete %d = %d, %v", k, v, ok)
				}
				if i%1000 == 0 {
					if err := tr.Check(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tr.Len() != 0 || tr.height != 1 {
				t.Fatalf("emptied tree: len %d, height %d", tr.Len(), tr.height)
			}
			if err := tr.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEdges(t *testing.T) {
	var tr Tree[string]
	if _, _, _, ok := tr.Floor(5); ok {
		t.Fatal("Floor on an empty tree")
	}
	if _, ok := tr.Delete(5, nil); ok {
		t.Fatal("Delete on an empty tree")
	}
	tr.AscendFrom(0, func(uint64, uint64, string) bool { t.Fatal("visit on an empty tree"); return false })
	if _, ok := tr.Insert(9, 3, "backwards"); ok {
		t.Fatal("span ending before its start accepted")
	}
	if _, ok := tr.Insert(^uint64(0)-1, ^uint64(0), "top"); !ok {
		t.Fatal("span at the top of the space refused")
	}
	if c, ok := tr.Insert(0, ^uint64(0), "all"); ok || c != "top" {
		t.Fatalf("span over everything: %q, %v", c, ok)
	}
	if _, ok := tr.Delete(^uint64(0)-1, func(v string) bool { return v != "top" }); ok {
		t.Fatal("Delete ignored keep")
	}
	if v, ok := tr.Delete(^uint64(0)-1, nil); !ok || v != "top" {
		t.Fatalf("Delete = %q, %v", v, ok)
	}
	if err := tr.Check(); err != nil {
		t.Fatal(err)
	}
}

// FuzzOps decodes op streams from the fuzzer's bytes, four per op (op and
// length, a 16-bit address, a shift that packs addresses closer) and
// checks every step against the model.
func FuzzOps(f *testing.F) {
	f.Add([]byte{12, 10, 0, 0, 0, 12, 0, 0, 1, 10, 0, 0, 2, 11, 0, 0})
	f.Add(make([]byte, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tr Tree[uint64]
		var m model
		for i := 0; i+4 <= len(data); i += 4 {
			op, n := data[i]%3, uint64(data[i]>>2)
			a := uint64(binary.LittleEndian.Uint16(data[i+1:])) >> (data[i+3] % 9)
			switch op {
			case 0:
				want := m.insert(a, a+n, uint64(i))
				if _, got := tr.Insert(a, a+n, uint64(i)); got != want {
					t.Fatalf("step %d: Insert(%d, %d) = %v, model %v", i/4, a, a+n, got, want)
				}
			case 1:
				wv, wok := m.delete(a, nil)
				if gv, gok := tr.Delete(a, nil); gv != wv || gok != wok {
					t.Fatalf("step %d: Delete(%d) = %d %v, model %d %v", i/4, a, gv, gok, wv, wok)
				}
			case 2:
				ws, wok := m.floor(a)
				s, l, v, ok := tr.Floor(a)
				if ok != wok || (ok && (span{s, l, v} != ws)) {
					t.Fatalf("step %d: Floor(%d) differs", i/4, a)
				}
			}
			if err := tr.Check(); err != nil {
				t.Fatalf("step %d: %v", i/4, err)
			}
		}
	})
}
