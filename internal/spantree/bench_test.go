package spantree

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/google/btree"
)

// BenchmarkInsertDelete: a one-page span inserted (with its overlap check)
// and deleted at random free slots among n live spans, next to the same
// keys inserted and deleted in github.com/google/btree (no overlap check).
func BenchmarkInsertDelete(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		rng := rand.New(rand.NewSource(1))
		keys := make([]uint64, 1<<16)
		for i := range keys {
			keys[i] = uint64(2*rng.Intn(n) + 1)
		}
		b.Run(fmt.Sprintf("n=%d/spantree", n), func(b *testing.B) {
			var t Tree[*int]
			v := new(int)
			for i := range n {
				t.Insert(uint64(2*i), uint64(2*i), v)
			}
			for i := 0; b.Loop(); i++ {
				k := keys[i&(len(keys)-1)]
				if _, ok := t.Insert(k, k, v); !ok {
					b.Fatal("refused")
				}
				if _, ok := t.Delete(k, nil); !ok {
					b.Fatal("missing")
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/btree", n), func(b *testing.B) {
			t := btree.NewG(32, func(a, b uint64) bool { return a < b })
			for i := range n {
				t.ReplaceOrInsert(uint64(2 * i))
			}
			for i := 0; b.Loop(); i++ {
				k := keys[i&(len(keys)-1)]
				t.ReplaceOrInsert(k)
				t.Delete(k)
			}
		})
	}
}
