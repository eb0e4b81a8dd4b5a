package vm

import (
	"sync"
	"testing"

	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/ww"
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

// TestLockPairBackOff drives lockPair through drm_exec's wait-die back-off:
// an older transaction holds the root while lockPair, younger, holds the
// BO and wants the root, so it must drop the BO (the older one then takes
// it), take the root with the slow path once the older one is done, and
// end holding both.
func TestLockPairBackOff(t *testing.T) {
	root, bo := resv.New(), resv.New()
	var old, young ww.AcquireCtx
	old.Init(ww.ReservationClass) // older stamp: wins under wait-die
	if err := root.Lock(&old); err != nil {
		t.Fatal(err)
	}
	holdsBO := make(chan struct{})
	testLockPairHook = func() { close(holdsBO) }
	defer func() { testLockPairHook = nil }()
	done := make(chan error, 1)
	go func() { done <- lockPair(&young, root, bo) }()
	<-holdsBO
	// The older transaction waits for the BO; it gets it only when
	// lockPair, younger, backs off and drops it.
	if err := bo.Lock(&old); err != nil {
		t.Fatalf("older transaction: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("lockPair returned %v while the older transaction held the root", err)
	default:
	}
	bo.Unlock()
	root.Unlock()
	old.Fini()
	if err := <-done; err != nil {
		t.Fatalf("lockPair: %v", err)
	}
	if root.WW().Owner() != &young || bo.WW().Owner() != &young {
		t.Fatalf("after lockPair: root owned by %p, BO by %p, want %p",
			root.WW().Owner(), bo.WW().Owner(), &young)
	}
	unlockPair(&young, root, bo)
	if root.WW().IsLocked() || bo.WW().IsLocked() {
		t.Fatal("unlockPair left a reservation locked")
	}
}
