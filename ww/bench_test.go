package ww

import (
	"fmt"
	"sync/atomic"
	"testing"
)

func BenchmarkLockUnlock(b *testing.B) {
	b.Run("ctx", func(b *testing.B) {
		var m Mutex
		var ctx AcquireCtx
		ctx.Init(ReservationClass)
		for b.Loop() {
			if err := m.Lock(&ctx); err != nil {
				b.Fatal(err)
			}
			m.Unlock()
		}
		ctx.Fini()
	})
	b.Run("plain", func(b *testing.B) {
		var m Mutex
		for b.Loop() {
			_ = m.Lock(nil)
			m.Unlock()
		}
	})
}

// BenchmarkExec: one uncontended transaction over n objects per op.
func BenchmarkExec(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			objs := make([]Object, n)
			for i := range objs {
				objs[i] = &testObj{}
			}
			e := NewExec(0, n)
			lockAll := func(e *Exec) error {
				for _, o := range objs {
					if err := e.Lock(o); err != nil {
						return err
					}
				}
				return nil
			}
			for b.Loop() {
				if err := e.Run(lockAll); err != nil {
					b.Fatal(err)
				}
				e.Fini()
			}
		})
	}
}

// BenchmarkStress reports transactions per second of the stress workload
// with 2, 4 and 16 goroutines (Wait-Die, 16 objects, sets of 1 to 6).
func BenchmarkStress(b *testing.B) {
	for _, g := range []int{2, 4, 16} {
		b.Run(fmt.Sprint(g), func(b *testing.B) {
			cfg := stressConfig{alg: WaitDie, goroutines: g, objects: 16, maxSet: 6}
			objs := stressObjs(NewClass(b.Name(), cfg.alg), cfg.objects)
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ResetTimer()
			res := runStress(cfg, 1, objs, func(int, int) bool { return left.Add(-1) >= 0 })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			b.ReportMetric(float64(res.retries)/float64(b.N), "retries/tx")
		})
	}
}
