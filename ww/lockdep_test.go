//go:build lockdep || invariants

package ww

import (
	"strings"
	"testing"

	"github.com/vmemu/vmemu/errno"
)

// TestLockdepPanics proves that each illegal order or use panics under the
// validator. Reference: DEBUG_WW_MUTEXES checks in kernel/locking/ww_mutex.h
// (ww_mutex_lock_acquired, __ww_mutex_kill) and include/linux/ww_mutex.h
// (ww_acquire_fini, ww_acquire_done); ww-mutex-design.rst.
func TestLockdepPanics(t *testing.T) {
	if !Lockdep {
		t.Fatal("Lockdep is false under the lockdep tag")
	}
	// deadlocked returns a context that just got EDEADLK on ms[0] while
	// holding ms[1]; ms[0] is held by an older context.
	deadlocked := func(t *testing.T, c *Class, ms []*Mutex) (young, old *AcquireCtx) {
		old, young = newCtx(c), newCtx(c)
		mustLock(t, ms[0], old)
		mustLock(t, ms[1], young)
		if err := ms[0].Lock(young); err != errno.EDEADLK {
			t.Fatalf("Lock = %v, want EDEADLK", err)
		}
		return young, old
	}
	tests := []struct {
		name string
		run  func(t *testing.T, c *Class, ms []*Mutex)
		want string
	}{
		{
			name: "lock after EDEADLK without backing off",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				young, _ := deadlocked(t, c, ms)
				_ = ms[2].Lock(young)
			},
			want: "lock after EDEADLK with 1 locks still held",
		},
		{
			name: "retry of the contended lock without backing off",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				young, _ := deadlocked(t, c, ms)
				_ = ms[0].Lock(young)
			},
			want: "lock after EDEADLK",
		},
		{
			name: "other lock first after backing off",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				young, _ := deadlocked(t, c, ms)
				ms[1].Unlock()
				_ = ms[1].Lock(young)
			},
			want: "contended lock must be taken first",
		},
		{
			name: "trylock after EDEADLK",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				young, _ := deadlocked(t, c, ms)
				ms[2].TryLock(young)
			},
			want: "lock after EDEADLK",
		},
		{
			name: "LockSlow with locks held",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				ctx := newCtx(c)
				mustLock(t, ms[0], ctx)
				ms[1].LockSlow(ctx)
			},
			want: "LockSlow with 1 locks held",
		},
		{
			name: "two classes in one transaction",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				ctx := newCtx(c)
				var other Mutex // ReservationClass
				_ = other.Lock(ctx)
			},
			want: "one class per transaction",
		},
		{
			name: "Fini with locks held",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				ctx := newCtx(c)
				mustLock(t, ms[0], ctx)
				ctx.Fini()
			},
			want: "Fini of context",
		},
		{
			name: "lock after Done",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				ctx := newCtx(c)
				mustLock(t, ms[0], ctx)
				ctx.Done()
				_ = ms[1].Lock(ctx)
			},
			want: "lock after Done",
		},
		{
			name: "lock after Fini",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				ctx := newCtx(c)
				ctx.Fini()
				_ = ms[0].Lock(ctx)
			},
			want: "not initialised or already finished",
		},
		{
			name: "Init of a live context",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				ctx := newCtx(c)
				ctx.Init(c)
			},
			want: "was not Fini'd",
		},
		{
			name: "Exec lock after the loop",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				objs := newObjs(c, "a", "b")
				e := NewExecClass(c, 0, 0)
				_ = e.Run(func(e *Exec) error { return e.Lock(objs[0]) })
				_ = e.Lock(objs[1])
			},
			want: "lock after Done",
		},
		{
			name: "unlock of unlocked mutex",
			run: func(t *testing.T, c *Class, ms []*Mutex) {
				ms[0].Unlock()
			},
			want: "Unlock of unlocked Mutex",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClass(tt.name, WaitDie)
			ms := newMutexes(c, 3)
			got := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg, _ = r.(string)
					}
				}()
				tt.run(t, c, ms)
				return ""
			}()
			if !strings.Contains(got, tt.want) {
				t.Errorf("panic %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// TestLockdepLegal: the back-off protocol, victims after Done and the Exec
// retry loop pass the validator.
func TestLockdepLegal(t *testing.T) {
	c := NewClass(t.Name(), WaitDie)
	ms := newMutexes(c, 2)
	old, young := newCtx(c), newCtx(c)
	mustLock(t, ms[0], old)
	mustLock(t, ms[1], young)
	if err := ms[0].Lock(young); err != errno.EDEADLK {
		t.Fatalf("Lock = %v, want EDEADLK", err)
	}
	ms[1].Unlock()
	finish(old, ms[0])
	ms[0].LockSlow(young)
	mustLock(t, ms[1], young)
	young.Done()
	finish(young, ms[0], ms[1])

	objs := newObjs(c, "a", "victim")
	e := NewExecClass(c, 0, 0)
	if err := e.Run(func(e *Exec) error { return e.Lock(objs[0]) }); err != nil {
		t.Fatal(err)
	}
	e.BeginWalk()
	if err := e.LockVictim(objs[1]); err != nil {
		t.Fatalf("LockVictim after Done: %v", err)
	}
	e.Fini()
	checkReleased(t, objs...)
}
