package vm

import (
	"sync"
	"testing"

	"github.com/vmemu/vmemu/uapi"
)

// TestConcurrentGemVA issues GEM_VA from several goroutines on one VM (each
// on its own BO and range, some through the shared per-VM BO) while the
// clock runs page-table jobs, then checks the invariants. Run with -race.
func TestConcurrentGemVA(t *testing.T) {
	r := newOracleRig(t)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			env := &GemVAEnv{Objects: r.objs}
			for i := 0; i < 200; i++ {
				va := uint64(0x1000+g*0x100+i%64) * GPUPageSize
				a := uapi.GemVA{Operation: uapi.AMDGPU_VA_OP_MAP, Handle: uint32(g + 1),
					VAAddress: va, MapSize: GPUPageSize,
					Flags: uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE}
				if i%3 == 0 {
					a.Flags |= uapi.AMDGPU_VM_DELAY_UPDATE
				}
				if err := r.vm.GemVA(&a, env); err != nil {
					t.Error(err)
					return
				}
				a.Operation = uapi.AMDGPU_VA_OP_UNMAP
				if err := r.vm.GemVA(&a, env); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				r.clock.Step()
			}
		}
	}()
	wg.Wait()
	close(done)
	r.clock.RunAll()
	if err := r.vm.Check(); err != nil {
		t.Fatal(err)
	}
	if n := r.vm.va.Len(); n != 0 {
		t.Fatalf("%d mappings left", n)
	}
}
