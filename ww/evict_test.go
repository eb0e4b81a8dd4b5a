package ww

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmemu/vmemu/errno"
)

// TestLockVictim checks the victim list: trylock first, one sleeping
// ticketed lock per walk, EBUSY after, EALREADY for the transaction's own
// objects, and release only at Fini.
// Reference: ttm_lru_walk_trylock(), ttm_lru_walk_ticketlock() in
// drivers/gpu/drm/ttm/ttm_bo_util.c; transaction lock lists (dri-devel,
// 2021-04-13).
func TestLockVictim(t *testing.T) {
	w := watchBlocked(t)
	objs := newObjs(ReservationClass, "bo", "free", "busy1", "busy2")
	bo, free, busy1, busy2 := objs[0], objs[1], objs[2], objs[3]
	mustLock(t, &busy1.mu, nil)
	mustLock(t, &busy2.mu, nil)

	e := NewExec(0, 0)
	if err := e.Run(func(e *Exec) error { return e.Lock(bo) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Validation after the loop, as amdgpu_cs_parser_bos() does: evict.
	e.BeginWalk()
	got := map[string]error{}
	got["bo"] = e.LockVictim(bo)
	got["free"] = e.LockVictim(free)
	// busy1 takes the walk's one sleeping lock; release it once the lock
	// sleeps.
	go func() { w.wait(&busy1.mu); busy1.mu.Unlock() }()
	got["busy1"] = e.LockVictim(busy1)
	got["busy2"] = e.LockVictim(busy2)
	got["free again"] = e.LockVictim(free)
	want := map[string]error{
		"bo":         errno.EALREADY,
		"free":       nil,
		"busy1":      nil,
		"busy2":      errno.EBUSY,
		"free again": errno.EALREADY,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("LockVictim (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bo"}, names(e.Objects())); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"free", "busy1"}, names(e.Victims())); diff != "" {
		t.Errorf("Victims (-want +got):\n%s", diff)
	}
	if free.mu.Owner() != e.Ticket() || busy1.mu.Owner() != e.Ticket() {
		t.Errorf("victims not held in the ticket's name")
	}
	// A new walk may sleep once more.
	e.BeginWalk()
	go func() { w.wait(&busy2.mu); busy2.mu.Unlock() }()
	if err := e.LockVictim(busy2); err != nil {
		t.Errorf("LockVictim(busy2) in a new walk = %v", err)
	}
	// Unlocking the lock list's last object leaves the victims locked.
	e.Unlock(bo)
	for _, o := range []*testObj{free, busy1, busy2} {
		if !o.mu.IsLocked() {
			t.Errorf("victim %s released before Fini", o.name)
		}
	}
	e.Fini()
	checkReleased(t, objs...)
}

// TestLockVictimContention: a victim lock that must back off makes the
// pass retry; the retry drops every lock (victims too), waits for the
// contended victim without keeping it, and keeps the ticket.
func TestLockVictimContention(t *testing.T) {
	w := watchBlocked(t)
	c := NewClass(t.Name(), WaitDie)
	objs := newObjs(c, "mine", "theirs", "victim")
	mine, theirs, victim := objs[0], objs[1], objs[2]

	older := newCtx(c)
	mustLock(t, &victim.mu, older)

	e := NewExecClass(c, 0, 0)
	e.Begin() // younger than older
	stamp := e.Ticket().Stamp()
	passes := 0
	var victimErrs []error
	errc := async(func() error {
		return e.Run(func(e *Exec) error {
			passes++
			if err := e.Lock(mine); err != nil {
				return err
			}
			e.BeginWalk()
			if err := e.LockVictim(theirs); err != nil {
				return err
			}
			err := e.LockVictim(victim)
			victimErrs = append(victimErrs, err)
			if err == errno.EDEADLK {
				return err
			}
			return nil
		})
	})
	// Pass 2 waits for the victim on the slow path; let the older go.
	w.wait(&victim.mu)
	finish(older, &victim.mu)
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := e.Ticket().Stamp(); got != stamp || passes != 2 {
		t.Errorf("stamp %d passes %d, want %d and 2", got, passes, stamp)
	}
	if diff := cmp.Diff([]error{errno.EDEADLK, nil}, victimErrs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("victim errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mine"}, names(e.Objects())); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"theirs", "victim"}, names(e.Victims())); diff != "" {
		t.Errorf("Victims (-want +got):\n%s", diff)
	}
	e.Fini()
	checkReleased(t, objs...)
}

// TestLockVictimDeadlockAfterDone: after the locking loop, a victim lock
// that must back off returns EDEADLK without recording contention, as
// TTM's walk locks with dma_resv_lock() on the ticket rather than through
// drm_exec (ttm_lru_walk_ticketlock(): "Caller needs to exit the ww
// transaction"). Nothing is slow-locked later; the walk for the next
// placement may lock other victims with the ticket, as TTM does (the
// lockdep build lets that through); Fini releases everything.
func TestLockVictimDeadlockAfterDone(t *testing.T) {
	c := NewClass(t.Name(), WaitDie)
	objs := newObjs(c, "mine", "victim", "free")
	mine, victim, free := objs[0], objs[1], objs[2]
	older := newCtx(c)
	mustLock(t, &victim.mu, older)

	e := NewExecClass(c, 0, 0) // younger than older
	if err := e.Run(func(e *Exec) error { return e.Lock(mine) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	e.BeginWalk()
	if err := e.LockVictim(victim); err != errno.EDEADLK {
		t.Fatalf("LockVictim of a victim an older transaction holds = %v, want EDEADLK", err)
	}
	if e.Contended() {
		t.Error("EDEADLK after Done recorded contention")
	}
	if len(names(e.Victims())) != 0 || victim.mu.Owner() != older {
		t.Errorf("victims %v, victim owned by %p: want none, and the older transaction", names(e.Victims()), victim.mu.Owner())
	}
	e.BeginWalk() // the next placement's walk
	if err := e.LockVictim(free); err != nil {
		t.Fatalf("LockVictim(free) after the EDEADLK: %v", err)
	}
	if diff := cmp.Diff([]string{"free"}, names(e.Victims())); diff != "" {
		t.Errorf("Victims (-want +got):\n%s", diff)
	}
	e.Fini()
	finish(older, &victim.mu)
	checkReleased(t, objs...)
}

// TestTrylockVictims: with TrylockVictims a walk never sleeps on a busy
// victim (a new BO's validation has no ticket: trylocks only), while a
// free one is still taken.
func TestTrylockVictims(t *testing.T) {
	objs := newObjs(ReservationClass, "bo", "free", "busy")
	bo, free, busy := objs[0], objs[1], objs[2]
	mustLock(t, &busy.mu, nil)
	e := NewExec(TrylockVictims, 0)
	e.Begin()
	if err := e.Lock(bo); err != nil {
		t.Fatal(err)
	}
	e.BeginWalk()
	if err := e.LockVictim(busy); err != errno.EBUSY {
		t.Errorf("LockVictim(busy) = %v, want EBUSY without sleeping", err)
	}
	if err := e.LockVictim(free); err != nil {
		t.Errorf("LockVictim(free) = %v", err)
	}
	e.Fini()
	busy.mu.Unlock()
	checkReleased(t, objs...)
}
