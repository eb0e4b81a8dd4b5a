package bo

import (
	"testing"

	"github.com/vmemu/vmemu/ww"
)

// TestValidateAfterVictimDeadlock: a CS validates, after its locking loop,
// a BO that prefers VRAM while VRAM is full of a BO an older transaction
// holds. The walk's sleeping victim lock must back off (EDEADLK, the
// validating transaction is younger and holds the BO); as in
// ttm_lru_walk_ticketlock() that ends the walk with ENOSPC, nothing is
// recorded as contended, and amdgpu_cs_bo_validate() falls back to the
// allowed domains, where the BO already is: the validation succeeds.
func TestValidateAfterVictimDeadlock(t *testing.T) {
	const page = 4096
	e := newEnv(t, 3*page, 3*page, 16*page)
	victim, err := e.m.Create(CreateParams{Size: 2 * page, Domain: VRAM})
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Put()
	x, err := e.m.Create(CreateParams{Size: 2 * page, Domain: GTT})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Put()
	x.SetDomains(VRAM, VRAM|GTT)

	var older ww.AcquireCtx
	older.Init(ww.ReservationClass) // older stamp than the CS's
	if err := victim.Resv().Lock(&older); err != nil {
		t.Fatal(err)
	}
	ex := ww.NewExec(ww.IgnoreDuplicates, 1)
	if err := ex.Run(func(ex *ww.Exec) error { return ex.Lock(x) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := e.m.ValidateCS(ex, x); err != nil {
		t.Fatalf("ValidateCS: %v, want the fallback to GTT", err)
	}
	if d, _ := x.Placement(); d != GTT {
		t.Errorf("x in %v, want GTT", d)
	}
	if d, _ := victim.Placement(); d != VRAM || victim.WW().Owner() != &older {
		t.Errorf("victim in %v owned by %p, want VRAM and the older transaction", d, victim.WW().Owner())
	}
	if ex.Contended() {
		t.Error("the victim's EDEADLK after the loop was recorded as contention")
	}
	for range ex.Victims() {
		t.Error("a victim stayed locked")
	}
	ex.Fini()
	victim.Resv().Unlock()
	older.Fini()
	if err := e.m.Check(); err != nil {
		t.Fatal(err)
	}
}
