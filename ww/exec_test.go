package ww

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmemu/vmemu/errno"
)

// testObj is an Object with a reference count and a counter protected by
// its ww Mutex.
type testObj struct {
	name string
	mu   Mutex
	refs atomic.Int32
	// n is protected by mu.
	n int
	// fences is the number of reserved fence slots; failReserve makes
	// ReserveFences fail. Protected by mu.
	fences      int
	failReserve bool
}

func (o *testObj) WW() *Mutex { return &o.mu }
func (o *testObj) Get()       { o.refs.Add(1) }
func (o *testObj) Put() {
	if o.refs.Add(-1) < 0 {
		panic("testObj " + o.name + ": reference count below zero")
	}
}
func (o *testObj) ReserveFences(n int) error {
	if o.failReserve {
		return errno.ENOMEM
	}
	o.fences += n
	return nil
}

func newObjs(c *Class, names ...string) []*testObj {
	objs := make([]*testObj, len(names))
	for i, n := range names {
		objs[i] = &testObj{name: n}
		objs[i].mu.Init(c)
	}
	return objs
}

func names(seq func(func(int, Object) bool)) []string {
	var out []string
	for _, o := range seq {
		out = append(out, o.(*testObj).name)
	}
	return out
}

func checkReleased(t *testing.T, objs ...*testObj) {
	t.Helper()
	for _, o := range objs {
		if o.mu.IsLocked() {
			t.Errorf("%s still locked", o.name)
		}
		if r := o.refs.Load(); r != 0 {
			t.Errorf("%s: %d references left", o.name, r)
		}
	}
}

func TestExecLockUnlockDuplicates(t *testing.T) {
	// Reference: drm_exec_lock_obj(), drm_exec_unlock_obj(),
	// DRM_EXEC_IGNORE_DUPLICATES in drivers/gpu/drm/drm_exec.c.
	tests := []struct {
		name  string
		flags Flags
		want  error
	}{
		{"duplicate is EALREADY", 0, errno.EALREADY},
		{"duplicate ignored", IgnoreDuplicates, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := newObjs(ReservationClass, "a", "b", "c")
			e := NewExec(tt.flags, 0)
			var dupErr error
			err := e.Run(func(e *Exec) error {
				for _, o := range objs {
					if err := e.Lock(o); err != nil {
						return err
					}
				}
				dupErr = e.Lock(objs[1])
				return nil
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if dupErr != tt.want {
				t.Errorf("duplicate Lock = %v, want %v", dupErr, tt.want)
			}
			if diff := cmp.Diff([]string{"a", "b", "c"}, names(e.Objects())); diff != "" {
				t.Errorf("Objects (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"c", "b", "a"}, names(e.ObjectsReverse())); diff != "" {
				t.Errorf("ObjectsReverse (-want +got):\n%s", diff)
			}
			e.Unlock(objs[2])
			if objs[2].mu.IsLocked() || e.NumObjects() != 2 {
				t.Errorf("Unlock(c): locked %v, %d objects", objs[2].mu.IsLocked(), e.NumObjects())
			}
			e.Fini()
			checkReleased(t, objs...)
		})
	}
}

func TestExecPrepare(t *testing.T) {
	// Reference: drm_exec_prepare_obj() unlocks the object when
	// dma_resv_reserve_fences() fails.
	objs := newObjs(ReservationClass, "a", "b")
	objs[1].failReserve = true
	e := NewExec(0, 2)
	err := e.Run(func(e *Exec) error {
		return e.PrepareArray([]Object{objs[0], objs[1]}, 2)
	})
	if !errors.Is(err, errno.ENOMEM) {
		t.Errorf("Run = %v, want ENOMEM", err)
	}
	if diff := cmp.Diff([]string{"a"}, names(e.Objects())); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}
	if objs[1].mu.IsLocked() || objs[0].fences != 2 {
		t.Errorf("b locked %v, a fences %d", objs[1].mu.IsLocked(), objs[0].fences)
	}
	e.Fini()
	checkReleased(t, objs...)
}

// TestExecContention provokes contention between two transactions with
// channels and checks that the retry takes the contended object first,
// with the slow path and the same ticket.
// Reference: drm_exec_cleanup(), drm_exec_lock_contended().
func TestExecContention(t *testing.T) {
	for _, alg := range []Algorithm{WaitDie, WoundWait} {
		t.Run(alg.String(), func(t *testing.T) {
			w := watchBlocked(t)
			c := NewClass(t.Name(), alg)
			objs := newObjs(c, "a", "b")
			a, b := objs[0], objs[1]

			older := NewExecClass(c, 0, 0)
			older.Begin()
			younger := NewExecClass(c, 0, 0)
			younger.Begin()
			if !younger.Ticket().younger(older.Ticket()) {
				t.Fatalf("stamps: older %d younger %d", older.Ticket().Stamp(), younger.Ticket().Stamp())
			}
			stamp := younger.Ticket().Stamp()

			lockedB := make(chan struct{})
			tryA := make(chan struct{})
			type result struct {
				passes  int
				order   [][]string
				slowErr error
				stamp   uint64
			}
			res := make(chan result, 1)
			go func() {
				var r result
				first := true
				r.slowErr = younger.Run(func(e *Exec) error {
					r.passes++
					if err := e.Lock(b); err != nil {
						return err
					}
					if first {
						first = false
						close(lockedB)
						<-tryA
					}
					if err := e.Lock(a); err != nil {
						r.order = append(r.order, names(e.Objects()))
						return err
					}
					r.order = append(r.order, names(e.Objects()))
					return nil
				})
				r.stamp = younger.Ticket().Stamp()
				res <- r
			}()

			<-lockedB
			err := older.Run(func(e *Exec) error {
				if err := e.Lock(a); err != nil {
					return err
				}
				if alg == WaitDie {
					// The younger dies on a, held by us, and drops b.
					close(tryA)
				} else {
					// We wound the younger while waiting for b; it dies
					// when it contends for a.
					go func() { w.wait(&b.mu); close(tryA) }()
				}
				return e.Lock(b)
			})
			if err != nil {
				t.Fatalf("older Run: %v", err)
			}
			if diff := cmp.Diff([]string{"a", "b"}, names(older.Objects())); diff != "" {
				t.Errorf("older Objects (-want +got):\n%s", diff)
			}
			// The younger now waits in LockSlow for a.
			w.wait(&a.mu)
			older.Fini()
			r := <-res
			if r.slowErr != nil {
				t.Fatalf("younger Run: %v", r.slowErr)
			}
			want := result{
				passes: 2,
				// Pass 1 holds b when a is contended; pass 2 takes a
				// first (slow path), then b, then a is the prelocked
				// object.
				order: [][]string{{"b"}, {"a", "b"}},
				stamp: stamp,
			}
			if diff := cmp.Diff(want, r, cmp.AllowUnexported(result{})); diff != "" {
				t.Errorf("younger (-want +got):\n%s", diff)
			}
			younger.Fini()
			checkReleased(t, objs...)
		})
	}
}

func TestExecInterruptible(t *testing.T) {
	w := watchBlocked(t)
	objs := newObjs(ReservationClass, "a")
	mustLock(t, &objs[0].mu, nil)
	cancel := make(chan struct{})
	e := NewExec(Interruptible, 0)
	e.SetCancel(cancel)
	errc := async(func() error {
		return e.Run(func(e *Exec) error { return e.Lock(objs[0]) })
	})
	w.wait(&objs[0].mu)
	close(cancel)
	if err := <-errc; err != errno.EINTR {
		t.Errorf("Run = %v, want EINTR", err)
	}
	e.Fini()
	objs[0].mu.Unlock()
	checkReleased(t, objs...)
}

func TestExecReuse(t *testing.T) {
	objs := newObjs(ReservationClass, "a", "b")
	e := NewExec(0, 0)
	var stamps []uint64
	for range 3 {
		if err := e.Run(func(e *Exec) error {
			for _, o := range objs {
				if err := e.Lock(o); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("Run: %v", err)
		}
		stamps = append(stamps, e.Ticket().Stamp())
		e.Fini()
		checkReleased(t, objs...)
	}
	if !(stamps[0] < stamps[1] && stamps[1] < stamps[2]) {
		t.Errorf("stamps %v: each transaction needs a new ticket", stamps)
	}
}

func TestExecOutsideTransactionPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("Lock before Begin did not panic")
		}
	}()
	e := NewExec(0, 0)
	_ = e.Lock(newObjs(ReservationClass, "a")[0])
}

// TestExecInitReuse: Init readies a zero Exec, and again one that Fini
// finished (drm_exec_init() on an embedded drm_exec); each transaction
// gets a fresh ticket, and Init refuses an Exec not yet finished.
func TestExecInitReuse(t *testing.T) {
	objs := newObjs(ReservationClass, "a", "b")
	var e Exec
	var stamps []uint64
	for range 2 {
		e.Init(IgnoreDuplicates, 2)
		if err := e.Run(func(e *Exec) error {
			for _, o := range objs {
				if err := e.Lock(o); err != nil {
					return err
				}
			}
			return e.Lock(objs[0]) // a duplicate: ignored
		}); err != nil {
			t.Fatalf("Run: %v", err)
		}
		stamps = append(stamps, e.Ticket().Stamp())
		if diff := cmp.Diff([]string{"a", "b"}, names(e.Objects())); diff != "" {
			t.Errorf("Objects (-want +got):\n%s", diff)
		}
		e.Fini()
		checkReleased(t, objs...)
	}
	if stamps[0] == stamps[1] {
		t.Errorf("both transactions have stamp %d", stamps[0])
	}
	e.Init(0, 0)
	defer func() {
		if recover() == nil {
			t.Error("Init of an unfinished Exec did not panic")
		}
		e.Fini()
	}()
	e.Init(0, 0)
}
