package ww

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// stressConfig is one stress run: goroutines each run transactions that
// lock a random set of objects (duplicates included) out of objects via
// Exec, increment a counter on each while holding all, and unlock.
type stressConfig struct {
	alg        Algorithm
	goroutines int
	objects    int
	maxSet     int
	txs        int  // per goroutine; 0 in benchmarks
	yield      bool // runtime.Gosched while holding locks
}

type stressResult struct {
	increments []int64 // per object, as recorded by the goroutines
	retries    int64
}

// runStress runs cfg and returns what the goroutines recorded. next
// decides whether a goroutine starts another transaction.
func runStress(cfg stressConfig, seed int64, objs []*testObj, next func(g, i int) bool) stressResult {
	var wg sync.WaitGroup
	var retries atomic.Int64
	perG := make([][]int64, cfg.goroutines)
	for g := range cfg.goroutines {
		perG[g] = make([]int64, len(objs))
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(g)))
			e := NewExecClass(objs[0].mu.Class(), IgnoreDuplicates, cfg.maxSet)
			set := make([]*testObj, 0, cfg.maxSet)
			for i := 0; next(g, i); i++ {
				set = set[:0]
				for range 1 + rng.IntN(cfg.maxSet) {
					set = append(set, objs[rng.IntN(len(objs))])
				}
				passes := 0
				err := e.Run(func(e *Exec) error {
					passes++
					for _, o := range set {
						if err := e.Lock(o); err != nil {
							return err
						}
						if cfg.yield {
							// Let others run while holding locks, so
							// that transactions overlap.
							runtime.Gosched()
						}
					}
					return nil
				})
				if err != nil {
					panic(fmt.Sprintf("goroutine %d tx %d: %v", g, i, err))
				}
				for _, obj := range e.Objects() {
					o := obj.(*testObj)
					o.n++
				}
				for _, obj := range e.Objects() {
					perG[g][objIndex(objs, obj.(*testObj))]++
				}
				retries.Add(int64(passes - 1))
				e.Fini()
			}
		})
	}
	wg.Wait()
	res := stressResult{increments: make([]int64, len(objs)), retries: retries.Load()}
	for _, p := range perG {
		for i, v := range p {
			res.increments[i] += v
		}
	}
	return res
}

func objIndex(objs []*testObj, o *testObj) int {
	for i, x := range objs {
		if x == o {
			return i
		}
	}
	panic("unknown object")
}

func stressObjs(c *Class, n int) []*testObj {
	objs := make([]*testObj, n)
	for i := range objs {
		objs[i] = &testObj{name: fmt.Sprint(i)}
		objs[i].mu.Init(c)
	}
	return objs
}

// TestStress: no deadlock (the test finishes), no lost update (every
// counter equals the increments recorded), clean under -race.
func TestStress(t *testing.T) {
	seed := testSeed(t)
	txs := 400
	if testing.Short() {
		txs = 50
	}
	for _, alg := range []Algorithm{WaitDie, WoundWait} {
		for _, g := range []int{2, 4, 16} {
			cfg := stressConfig{alg: alg, goroutines: g, objects: 16, maxSet: 6, txs: txs, yield: true}
			t.Run(fmt.Sprintf("%v/%d", alg, g), func(t *testing.T) {
				t.Parallel()
				c := NewClass(t.Name(), alg)
				objs := stressObjs(c, cfg.objects)
				res := runStress(cfg, seed, objs, func(_, i int) bool { return i < cfg.txs })
				var total int64
				for i, o := range objs {
					if o.mu.IsLocked() || o.refs.Load() != 0 {
						t.Errorf("object %d left locked or referenced", i)
					}
					if int64(o.n) != res.increments[i] {
						t.Errorf("object %d: counter %d, recorded increments %d", i, o.n, res.increments[i])
					}
					total += int64(o.n)
				}
				t.Logf("%d transactions, %d increments, %d retries", cfg.goroutines*cfg.txs, total, res.retries)
			})
		}
	}
}
