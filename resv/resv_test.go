package resv

import (
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/ww"
)

// Reference: dma_resv_add_fence(), dma_resv_reserve_fences(),
// dma_resv_usage_rw(), dma_resv_test_signaled() in drivers/dma-buf/dma-resv.c.

func env() (*fence.Domain, *Resv) {
	return fence.NewDomain(sim.NewVirtual(0)), New()
}

func locked(t *testing.T, r *Resv, fn func()) {
	t.Helper()
	if err := r.Lock(nil); err != nil {
		t.Fatal(err)
	}
	defer r.Unlock()
	fn()
}

type entry struct {
	f *fence.Fence
	u Usage
}

func entries(t *testing.T, r *Resv, u Usage) []entry {
	var out []entry
	locked(t, r, func() {
		r.Each(u, func(f *fence.Fence, usage Usage) bool {
			out = append(out, entry{f, usage})
			return true
		})
	})
	return out
}

func TestUsageOrderAndRW(t *testing.T) {
	if !(KERNEL < WRITE && WRITE < READ && READ < BOOKKEEP) {
		t.Fatal("usage order")
	}
	if UsageRW(true) != READ || UsageRW(false) != WRITE {
		t.Fatal("dma_resv_usage_rw")
	}
}

func TestAddFenceReplacement(t *testing.T) {
	d, r := env()
	ctx := d.ContextAlloc(2)
	a1 := d.New(ctx, 1)
	a2 := d.New(ctx, 2)
	b1 := d.New(ctx+1, 1)
	locked(t, r, func() {
		if err := r.ReserveFences(4); err != nil {
			t.Fatal(err)
		}
		r.AddFence(a1, READ)
		r.AddFence(b1, WRITE)
		// Same context, later, usage READ over READ: replaced in place.
		r.AddFence(a2, READ)
	})
	got := entries(t, r, BOOKKEEP)
	if len(got) != 2 || got[0] != (entry{a2, READ}) || got[1] != (entry{b1, WRITE}) {
		t.Fatalf("after replace: %v", got)
	}

	// Promotion: READ slot replaced by the same context's later WRITE? Only
	// when the old usage >= new: READ(2) >= WRITE(1), so yes, in place.
	a3 := d.New(ctx, 3)
	locked(t, r, func() {
		r.ReserveFences(1)
		r.AddFence(a3, WRITE)
	})
	got = entries(t, r, BOOKKEEP)
	if len(got) != 2 || got[0] != (entry{a3, WRITE}) {
		t.Fatalf("promotion: %v", got)
	}
	// Demotion never happens: the same context as READ over WRITE appends.
	a4 := d.New(ctx, 4)
	locked(t, r, func() {
		r.ReserveFences(1)
		r.AddFence(a4, READ)
	})
	got = entries(t, r, BOOKKEEP)
	if len(got) != 3 || got[0] != (entry{a3, WRITE}) || got[2] != (entry{a4, READ}) {
		t.Fatalf("no demotion: %v", got)
	}
	// A signaled slot is reused by any fence.
	b1.Signal()
	c := d.New(d.ContextAlloc(1), 1)
	locked(t, r, func() {
		r.ReserveFences(1)
		r.AddFence(c, BOOKKEEP)
	})
	got = entries(t, r, BOOKKEEP)
	if len(got) != 3 || got[1] != (entry{c, BOOKKEEP}) {
		t.Fatalf("signaled slot reuse: %v", got)
	}
}

func TestIterationByUsage(t *testing.T) {
	d, r := env()
	fs := make([]*fence.Fence, 4)
	locked(t, r, func() {
		r.ReserveFences(4)
		for u := KERNEL; u <= BOOKKEEP; u++ {
			fs[u] = d.New(d.ContextAlloc(1), 1)
			r.AddFence(fs[u], u)
		}
	})
	for u := KERNEL; u <= BOOKKEEP; u++ {
		if n := len(r.Fences(u)); n != int(u)+1 {
			t.Errorf("Fences(%v) = %d, want %d", u, n, u+1)
		}
	}
	if r.TestSignaled(READ) {
		t.Error("TestSignaled(READ) with pending fences")
	}
	for u := KERNEL; u <= READ; u++ {
		fs[u].Signal()
	}
	if !r.TestSignaled(READ) || r.TestSignaled(BOOKKEEP) {
		t.Error("TestSignaled after signaling up to READ")
	}
	// The locked iterator still sees signaled slots; the unlocked one not.
	if n := len(entries(t, r, BOOKKEEP)); n != 4 {
		t.Errorf("locked iterator saw %d, want 4", n)
	}
	if n := len(r.Fences(BOOKKEEP)); n != 1 {
		t.Errorf("Fences(BOOKKEEP) = %d, want 1", n)
	}
}

func TestReserveFences(t *testing.T) {
	d, r := env()
	locked(t, r, func() {
		if err := r.ReserveFences(0); err != errno.EINVAL {
			t.Fatalf("reserve 0: %v, want EINVAL", err)
		}
		if err := r.ReserveFences(3); err != nil {
			t.Fatal(err)
		}
		if r.max != 4 { // max(4, roundup_pow_of_two(3))
			t.Fatalf("first allocation %d, want 4", r.max)
		}
		for i := 0; i < 3; i++ {
			r.AddFence(d.New(d.ContextAlloc(1), 1), READ)
		}
		if err := r.ReserveFences(5); err != nil {
			t.Fatal(err)
		}
		if r.max != 8 { // max(3+5, 2*4)
			t.Fatalf("growth %d, want 8", r.max)
		}
	})
	// Unlock forgets unused reservations: adding without reserving again
	// is the kernel's BUG_ON.
	defer func() {
		if recover() == nil {
			t.Error("AddFence without a reservation did not panic")
		}
	}()
	locked(t, r, func() { r.AddFence(d.New(d.ContextAlloc(1), 1), READ) })
}

func TestLockRequired(t *testing.T) {
	d, r := env()
	defer func() {
		if recover() == nil {
			t.Error("AddFence without the lock did not panic")
		}
	}()
	r.AddFence(d.New(1, 1), READ)
}

func TestWaitSingletonReplace(t *testing.T) {
	d, r := env()
	clock := d.Clock()
	f1 := d.New(d.ContextAlloc(1), 1)
	f2 := d.New(d.ContextAlloc(1), 1)
	locked(t, r, func() {
		r.ReserveFences(2)
		r.AddFence(f1, WRITE)
		r.AddFence(f2, BOOKKEEP)
	})
	if r.Singleton(d, READ) != f1 {
		t.Fatal("singleton of one fence is the fence")
	}
	if fence.ToArray(r.Singleton(d, BOOKKEEP)) == nil {
		t.Fatal("singleton of two fences is an array")
	}
	clock.After(100, func() { f1.Signal() })
	if !r.Wait(clock, READ, 1000) || clock.Now() != 100 {
		t.Fatalf("wait READ: now %d", clock.Now())
	}
	if r.Wait(clock, BOOKKEEP, 500) || clock.Now() != 500 {
		t.Fatalf("wait BOOKKEEP should time out at 500, now %d", clock.Now())
	}
	repl := d.New(d.ContextAlloc(1), 1)
	locked(t, r, func() { r.ReplaceFences(f2.Context(), repl, KERNEL) })
	if got := r.Fences(KERNEL); len(got) != 1 || got[0] != repl {
		t.Fatalf("replace_fences: %v", got)
	}
	r.SetDeadline(BOOKKEEP, 42)
	if ns, ok := repl.DeadlineSet(); !ok || ns != 42 {
		t.Fatal("deadline not passed on")
	}
}

func TestContainerWarning(t *testing.T) {
	d, r := env()
	a := d.NewArray([]*fence.Fence{d.New(d.ContextAlloc(1), 1), d.New(d.ContextAlloc(1), 1)}, d.ContextAlloc(1), 1, false)
	locked(t, r, func() {
		r.ReserveFences(1)
		r.AddFence(a.Fence(), READ)
	})
	if r.ContainerAdds() != 1 {
		t.Fatal("container add not counted")
	}
}

func TestImplementsWWObject(t *testing.T) {
	var _ ww.Object = New()
	var _ ww.FenceReserver = New()
}
