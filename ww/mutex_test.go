package ww

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmemu/vmemu/errno"
)

func TestClassDefaults(t *testing.T) {
	// Reference: drivers/dma-buf/dma-resv.c DEFINE_WD_CLASS(reservation_ww_class).
	if got, want := ReservationClass.Algorithm(), WaitDie; got != want {
		t.Errorf("ReservationClass algorithm = %v, want %v", got, want)
	}
	var m Mutex
	if got := m.Class(); got != ReservationClass {
		t.Errorf("zero Mutex class = %v, want ReservationClass", got)
	}
	c := NewClass("test", WaitDie)
	a, b := newCtx(c), newCtx(c)
	if !(a.Stamp() < b.Stamp()) || !b.younger(a) || a.younger(b) {
		t.Errorf("stamps a=%d b=%d: later Init must be younger", a.Stamp(), b.Stamp())
	}
	a.Fini()
	b.Fini()
}

// TestLockReturnCodes pins each return code of Lock under each algorithm.
// Reference: kernel/locking/ww_mutex.h (__ww_mutex_add_waiter,
// __ww_mutex_check_kill, __ww_mutex_wound), kernel/locking/mutex.c
// (__ww_mutex_lock).
func TestLockReturnCodes(t *testing.T) {
	tests := []struct {
		name string
		alg  Algorithm
		// run plays the scenario and returns the error of the call under
		// test.
		run  func(t *testing.T, c *Class) error
		want error
	}{
		{
			name: "plain lock without context",
			alg:  WaitDie,
			run: func(t *testing.T, c *Class) error {
				ms := newMutexes(c, 1)
				err := ms[0].Lock(nil)
				if ms[0].Owner() != nil || !ms[0].IsLocked() {
					t.Errorf("plain lock: owner %v locked %v", ms[0].Owner(), ms[0].IsLocked())
				}
				ms[0].Unlock()
				return err
			},
		},
		{
			name: "EALREADY wait-die",
			alg:  WaitDie,
			run:  runAlready,
			want: errno.EALREADY,
		},
		{
			name: "EALREADY wound-wait",
			alg:  WoundWait,
			run:  runAlready,
			want: errno.EALREADY,
		},
		{
			name: "wait-die younger holding locks dies",
			alg:  WaitDie,
			run: func(t *testing.T, c *Class) error {
				ms := newMutexes(c, 2)
				old, young := newCtx(c), newCtx(c)
				mustLock(t, ms[0], old)
				mustLock(t, ms[1], young)
				err := ms[0].Lock(young)
				finish(young, ms[1])
				finish(old, ms[0])
				return err
			},
			want: errno.EDEADLK,
		},
		{
			name: "wait-die younger queued behind older waiter dies at once",
			alg:  WaitDie,
			run: func(t *testing.T, c *Class) error {
				w := watchBlocked(t)
				ms := newMutexes(c, 3)
				old, young := newCtx(c), newCtx(c)
				mustLock(t, ms[0], nil) // plain holder: no ctx to die against
				mustLock(t, ms[1], old)
				mustLock(t, ms[2], young)
				oldErr := async(func() error { return ms[0].Lock(old) })
				w.wait(ms[0])
				err := ms[0].Lock(young)
				ms[0].Unlock()
				if e := <-oldErr; e != nil {
					t.Errorf("older waiter: %v, want nil", e)
				}
				finish(young, ms[2])
				finish(old, ms[0], ms[1])
				return err
			},
			want: errno.EDEADLK,
		},
		{
			name: "wait-die queued younger is woken to die when an older one queues",
			alg:  WaitDie,
			run: func(t *testing.T, c *Class) error {
				w := watchBlocked(t)
				ms := newMutexes(c, 3)
				old, young := newCtx(c), newCtx(c)
				mustLock(t, ms[0], nil)
				mustLock(t, ms[1], old)
				mustLock(t, ms[2], young)
				youngErr := async(func() error { return ms[0].Lock(young) })
				w.wait(ms[0])
				oldErr := async(func() error { return ms[0].Lock(old) })
				err := <-youngErr // woken by the older waiter, dies
				ms[0].Unlock()
				if e := <-oldErr; e != nil {
					t.Errorf("older waiter: %v, want nil", e)
				}
				finish(young, ms[2])
				finish(old, ms[0], ms[1])
				return err
			},
			want: errno.EDEADLK,
		},
		{
			name: "wait-die older waits for younger",
			alg:  WaitDie,
			run:  runOlderWaits,
		},
		{
			name: "wound-wait younger waits for older",
			alg:  WoundWait,
			run: func(t *testing.T, c *Class) error {
				w := watchBlocked(t)
				ms := newMutexes(c, 2)
				old, young := newCtx(c), newCtx(c)
				mustLock(t, ms[0], old)
				mustLock(t, ms[1], young)
				youngErr := async(func() error { return ms[0].Lock(young) })
				w.wait(ms[0])
				finish(old, ms[0])
				err := <-youngErr
				finish(young, ms[0], ms[1])
				return err
			},
		},
		{
			name: "wound-wait older wounds holder, holder dies at next contended lock",
			alg:  WoundWait,
			run: func(t *testing.T, c *Class) error {
				w := watchBlocked(t)
				ms := newMutexes(c, 2)
				old, young := newCtx(c), newCtx(c)
				mustLock(t, ms[0], young)
				mustLock(t, ms[1], old)
				oldErr := async(func() error { return ms[0].Lock(old) })
				w.wait(ms[0])
				if !young.wounded.Load() {
					t.Errorf("holder not wounded")
				}
				err := ms[1].Lock(young) // held by the older: dies
				finish(young, ms[0])
				if e := <-oldErr; e != nil {
					t.Errorf("older: %v, want nil", e)
				}
				finish(old, ms[0], ms[1])
				return err
			},
			want: errno.EDEADLK,
		},
		{
			name: "wound-wait wounded holder blocked elsewhere is woken and dies",
			alg:  WoundWait,
			run: func(t *testing.T, c *Class) error {
				w := watchBlocked(t)
				ms := newMutexes(c, 3)
				old, young := newCtx(c), newCtx(c)
				mustLock(t, ms[2], nil) // plain holder: young waits on it
				mustLock(t, ms[0], young)
				mustLock(t, ms[1], old)
				youngErr := async(func() error { return ms[2].Lock(young) })
				w.wait(ms[2])
				oldErr := async(func() error { return ms[0].Lock(old) })
				err := <-youngErr // the wound wakes it
				finish(young, ms[0])
				if e := <-oldErr; e != nil {
					t.Errorf("older: %v, want nil", e)
				}
				ms[2].Unlock()
				finish(old, ms[0], ms[1])
				return err
			},
			want: errno.EDEADLK,
		},
		{
			name: "wound-wait wounded holder still takes free locks",
			alg:  WoundWait,
			run: func(t *testing.T, c *Class) error {
				w := watchBlocked(t)
				ms := newMutexes(c, 3)
				old, young := newCtx(c), newCtx(c)
				mustLock(t, ms[0], young)
				mustLock(t, ms[1], old)
				oldErr := async(func() error { return ms[0].Lock(old) })
				w.wait(ms[0])
				err := ms[2].Lock(young) // free: the wound is lazy
				finish(young, ms[0], ms[2])
				if e := <-oldErr; e != nil {
					t.Errorf("older: %v, want nil", e)
				}
				finish(old, ms[0], ms[1])
				return err
			},
		},
		{
			name: "wait-die first lock of a context never EDEADLK",
			alg:  WaitDie,
			run:  runFirstLock,
		},
		{
			name: "wound-wait first lock of a context never EDEADLK",
			alg:  WoundWait,
			run:  runFirstLock,
		},
		{
			name: "wait-die slow path after EDEADLK",
			alg:  WaitDie,
			run:  runSlowPath,
		},
		{
			name: "wound-wait slow path after EDEADLK",
			alg:  WoundWait,
			run:  runSlowPath,
		},
		{
			name: "EINTR when cancel fires while waiting",
			alg:  WaitDie,
			run: func(t *testing.T, c *Class) error {
				w := watchBlocked(t)
				ms := newMutexes(c, 1)
				holder, ctx := newCtx(c), newCtx(c)
				mustLock(t, ms[0], holder)
				cancel := make(chan struct{})
				errc := async(func() error { return ms[0].LockInterruptible(ctx, cancel) })
				w.wait(ms[0])
				close(cancel)
				err := <-errc
				if n := ctx.Acquired(); n != 0 {
					t.Errorf("acquired after EINTR = %d", n)
				}
				finish(holder, ms[0])
				ctx.Fini()
				return err
			},
			want: errno.EINTR,
		},
		{
			name: "EINTR slow path",
			alg:  WoundWait,
			run: func(t *testing.T, c *Class) error {
				ms := newMutexes(c, 1)
				mustLock(t, ms[0], nil)
				ctx := newCtx(c)
				cancel := make(chan struct{})
				close(cancel)
				err := ms[0].LockSlowInterruptible(ctx, cancel)
				ms[0].Unlock()
				ctx.Fini()
				return err
			},
			want: errno.EINTR,
		},
		{
			name: "cancelled but free lock is taken",
			alg:  WaitDie,
			run: func(t *testing.T, c *Class) error {
				ms := newMutexes(c, 1)
				ctx := newCtx(c)
				cancel := make(chan struct{})
				close(cancel)
				err := ms[0].LockInterruptible(ctx, cancel)
				if err == nil {
					finish(ctx, ms[0])
				}
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClass(tt.name, tt.alg)
			got := tt.run(t, c)
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func mustLock(t *testing.T, m *Mutex, ctx *AcquireCtx) {
	t.Helper()
	if err := m.Lock(ctx); err != nil {
		t.Fatalf("Lock: %v", err)
	}
}

func runAlready(t *testing.T, c *Class) error {
	ms := newMutexes(c, 1)
	ctx := newCtx(c)
	mustLock(t, ms[0], ctx)
	err := ms[0].Lock(ctx)
	if n := ctx.Acquired(); n != 1 {
		t.Errorf("acquired = %d, want 1", n)
	}
	if ms[0].TryLock(ctx) {
		t.Errorf("TryLock of own lock succeeded")
	}
	finish(ctx, ms[0])
	return err
}

func runOlderWaits(t *testing.T, c *Class) error {
	w := watchBlocked(t)
	ms := newMutexes(c, 2)
	old, young := newCtx(c), newCtx(c)
	mustLock(t, ms[0], young)
	mustLock(t, ms[1], old)
	oldErr := async(func() error { return ms[0].Lock(old) })
	w.wait(ms[0])
	finish(young, ms[0])
	err := <-oldErr
	if got := ms[0].Owner(); got != old {
		t.Errorf("owner = %p, want older %p", got, old)
	}
	finish(old, ms[0], ms[1])
	return err
}

// runFirstLock: a context holding nothing waits, whatever the holder's age.
func runFirstLock(t *testing.T, c *Class) error {
	w := watchBlocked(t)
	ms := newMutexes(c, 1)
	old, young := newCtx(c), newCtx(c)
	mustLock(t, ms[0], old)
	youngErr := async(func() error { return ms[0].Lock(young) })
	w.wait(ms[0])
	finish(old, ms[0])
	err := <-youngErr
	finish(young, ms[0])
	return err
}

// runSlowPath: EDEADLK, unlock all, LockSlow sleeps until the older
// transaction releases, then the rest is taken again with the same stamp.
func runSlowPath(t *testing.T, c *Class) error {
	w := watchBlocked(t)
	ms := newMutexes(c, 2)
	old, young := newCtx(c), newCtx(c)
	stamp := young.Stamp()
	mustLock(t, ms[0], old)
	mustLock(t, ms[1], young)
	// Wound-Wait: the older waits on ms[1] and wounds the younger, which
	// dies on ms[0]. Wait-Die: the younger dies on ms[0] at once.
	var oldErr <-chan error
	if c.Algorithm() == WoundWait {
		oldErr = async(func() error { return ms[1].Lock(old) })
		w.wait(ms[1])
	}
	if err := ms[0].Lock(young); err != errno.EDEADLK {
		t.Fatalf("Lock = %v, want EDEADLK", err)
	}
	ms[1].Unlock()
	done := make(chan struct{})
	go func() {
		ms[0].LockSlow(young)
		close(done)
	}()
	w.wait(ms[0])
	if oldErr != nil {
		if err := <-oldErr; err != nil {
			t.Errorf("older: %v", err)
		}
		finish(old, ms[0], ms[1])
	} else {
		finish(old, ms[0])
	}
	<-done
	err := ms[1].Lock(young)
	if diff := cmp.Diff(stamp, young.Stamp()); diff != "" {
		t.Errorf("stamp changed (-want +got):\n%s", diff)
	}
	finish(young, ms[0], ms[1])
	return err
}

func TestTryLockOwnerIsLocked(t *testing.T) {
	c := NewClass(t.Name(), WaitDie)
	var m Mutex
	m.Init(c)
	ctx := newCtx(c)
	if m.IsLocked() || m.Owner() != nil {
		t.Fatalf("zero Mutex locked")
	}
	if !m.TryLock(ctx) {
		t.Fatalf("TryLock of free Mutex failed")
	}
	if !m.IsLocked() || m.Owner() != ctx || ctx.Acquired() != 1 {
		t.Errorf("after TryLock: locked %v owner %p acquired %d", m.IsLocked(), m.Owner(), ctx.Acquired())
	}
	other := newCtx(c)
	if m.TryLock(other) || m.TryLock(nil) {
		t.Errorf("TryLock of held Mutex succeeded")
	}
	finish(ctx, &m)
	other.Fini()
	if m.IsLocked() || m.Owner() != nil {
		t.Errorf("after Unlock: locked %v owner %p", m.IsLocked(), m.Owner())
	}
}

func TestUnlockUnlockedPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("Unlock of unlocked Mutex did not panic")
		}
	}()
	var m Mutex
	m.Unlock()
}

func TestAlgorithmString(t *testing.T) {
	got := []string{WaitDie.String(), WoundWait.String(), Algorithm(7).String(), ReservationClass.String()}
	want := []string{"Wait-Die", "Wound-Wait", "Algorithm(7)", "reservation_ww_class (Wait-Die)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
