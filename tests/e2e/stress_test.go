package e2e

import (
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

// TestConcurrentSubmitStress: goroutines share one file and submit CS with
// random BO lists drawn from a pool of VRAM BOs bigger than VRAM, so
// validation evicts and drm_exec contends on the same reservations, while
// others create and close BOs. It must finish (no deadlock: ww back-off),
// stay clean under -race, and never let the GPU reach released memory.
func TestConcurrentSubmitStress(t *testing.T) {
	seed := uint64(20261123)
	if s := os.Getenv("TEST_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (replay with TEST_SEED)", seed)
	chk := check.New(check.Options{MaxReports: 100})
	dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true, VRAMSize: 4 << 20, Check: chk})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	c, _ := client.New(dev)
	const nBOs = 24
	pool := make([]uint32, nBOs)
	for i := range pool {
		if pool[i], err = c.CreateBO(256<<10, uapi.AMDGPU_GEM_DOMAIN_VRAM, 0); err != nil {
			t.Fatal(err)
		}
	}
	var p pkt.PM4
	p.Gfx = pkt.GFX11
	p.Busy(1000)
	dw := p.Dwords()
	ib, _ := c.CreateBO(4096, gtt, 0)
	c.WriteIB(ib, 0, dw)
	c.Map(ib, ibVA, 4096, 0)

	const workers, rounds = 4, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			ctx, err := c.CreateContext(false)
			if err != nil {
				errs <- err
				return
			}
			ip := uint32(w % 2)
			for r := 0; r < rounds; r++ {
				if w == workers-1 && r%4 == 0 {
					// Churn: a BO created and closed while others submit.
					if h, err := c.CreateBO(128<<10, uapi.AMDGPU_GEM_DOMAIN_VRAM, 0); err == nil {
						c.CloseBO(h)
					}
				}
				n := 1 + rng.IntN(8)
				list := []uint32{ib}
				for _, i := range rng.Perm(nBOs)[:n] {
					list = append(list, pool[i])
				}
				if _, err := c.Submit(client.Submission{Ctx: ctx, BOs: list,
					IBs: []client.IBRef{{VA: ibVA, Dwords: uint32(len(dw)), IP: ip}}}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	dev.Clock().RunAll()
	if dev.Stats().Evictions == 0 {
		t.Error("no eviction happened: the stress did not stress memory")
	}
	for _, r := range chk.Reports() {
		if r.Kind == check.KindUseAfterFree {
			t.Fatalf("use after free: %s", r.Text())
		}
	}
	if err := dev.Mem().Check(); err != nil {
		t.Fatalf("memory invariants: %v", err)
	}
}
