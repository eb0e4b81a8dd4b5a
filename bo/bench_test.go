package bo

import (
	"sync"
	"testing"
)

// BenchmarkEvict1000 creates 1,000 VRAM BOs filling VRAM, then one BO as
// large as VRAM that evicts all of them to GTT (1,000 SDMA copy jobs).
func BenchmarkEvict1000(b *testing.B) {
	const n, size = 1000, 16 << 10
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, n*size+size, n*size+size, 2*n*size)
		bos := make([]*BO, 0, n)
		for j := 0; j < n; j++ {
			x, err := e.m.Create(CreateParams{Size: size, Domain: VRAM})
			if err != nil {
				b.Fatal(err)
			}
			x.mem.store.WriteAt([]byte{byte(j)}, 0)
			bos = append(bos, x)
		}
		b.StartTimer()
		big, err := e.m.Create(CreateParams{Size: n * size, Domain: VRAM})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := e.m.Stats().Evictions; got < n-1 {
			b.Fatalf("%d evictions", got)
		}
		big.Put()
		for _, x := range bos {
			x.Put()
		}
		b.StartTimer()
	}
}

// TestConcurrentEviction creates, pins, validates and releases BOs from
// several goroutines on a small VRAM, checking the invariants throughout.
// Run with -race.
func TestConcurrentEviction(t *testing.T) {
	e := newEnv(t, 128<<10, 32<<10, 512<<10)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var mine []*BO
			for i := 0; i < 80; i++ {
				x, err := e.m.Create(CreateParams{Size: uint64(4096 * (1 + (g+i)%5)), Domain: VRAM | GTT})
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				if v, err := x.CPUView(); err == nil {
					// A CPU fault on invisible VRAM with no visible VRAM and
					// no GTT free fails (SIGBUS): allowed, but then no read.
					if _, err := v.WriteAt([]byte{byte(g), byte(i)}, 1); err == nil {
						buf := make([]byte, 2)
						if _, err := v.ReadAt(buf, 1); err == nil && (buf[0] != byte(g) || buf[1] != byte(i)) {
							t.Errorf("read back %v", buf)
						}
					}
					v.Close()
				}
				mine = append(mine, x)
				if len(mine) > 6 {
					mine[0].Put()
					mine = mine[1:]
				}
				if err := e.m.Check(); err != nil {
					t.Errorf("invariant: %v", err)
					return
				}
			}
			for _, x := range mine {
				x.Put()
			}
		}(g)
	}
	wg.Wait()
	e.clock.RunAll()
	if err := e.m.Check(); err != nil {
		t.Fatal(err)
	}
	if s := e.m.Stats(); s.LiveBOs != 0 || s.Pools[VRAM].Used != 0 || s.Pools[GTT].Used != 0 {
		t.Errorf("leak: %+v", s)
	}
}

// TestLazyBacking: a VRAM-sized BO on a 24 GiB pool costs no host memory
// until written, and reads zeros.
func TestLazyBacking(t *testing.T) {
	e := newEnv(t, 24<<30, 256<<20, 32<<30)
	b, err := e.m.Create(CreateParams{Size: 20 << 30, Domain: VRAM})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Put()
	if r := b.mem.store.Resident(); r != 0 {
		t.Fatalf("resident %d before any write", r)
	}
	v, err := b.CPUView()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	// Invisible VRAM: the fault moves it to GTT (no visible room), copying
	// nothing since nothing was written.
	if _, err := v.WriteAt([]byte("x"), 10<<30); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := v.ReadAt(buf, 10<<30); err != nil || string(buf) != "x\x00" {
		t.Fatalf("read %q %v", buf, err)
	}
	if d, _ := b.Placement(); d != GTT || e.m.Stats().VRAMCPUPageFaults != 1 {
		t.Errorf("placement %v, faults %d", d, e.m.Stats().VRAMCPUPageFaults)
	}
	if r := b.mem.store.Resident(); r != chunkSize {
		t.Errorf("resident %d after one write, want %d", r, chunkSize)
	}
	if err := e.m.Check(); err != nil {
		t.Fatal(err)
	}
}
