package ww

import (
	"iter"
	"slices"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/internal/slicepool"
)

// Object is anything Exec can lock: a reservation object or a BO, through
// the ww Mutex of its reservation (obj->resv->lock in the kernel). WW must
// return the same Mutex every time.
type Object interface {
	WW() *Mutex
}

// Referenced is an optional Object hook: Exec calls Get when it keeps obj
// (on its lock list, victim list, or as the contended object) and Put when
// it lets go, as drm_exec takes and drops GEM references.
type Referenced interface {
	Get()
	Put()
}

// FenceReserver is an optional Object hook used by Exec.Prepare: it reserves
// n fence slots, as dma_resv_reserve_fences() does.
//
// Preconditions: the Object's Mutex is held.
type FenceReserver interface {
	ReserveFences(n int) error
}

// Flags are the drm_exec flags.
type Flags uint32

const (
	// Interruptible is DRM_EXEC_INTERRUPTIBLE_WAIT: sleeping locks give up
	// with errno.EINTR when the channel given to SetCancel fires.
	Interruptible Flags = 1 << 0
	// IgnoreDuplicates is DRM_EXEC_IGNORE_DUPLICATES: locking an object the
	// transaction already holds returns nil instead of errno.EALREADY.
	IgnoreDuplicates Flags = 1 << 1
	// TrylockVictims makes every eviction walk trylock its victims only
	// (LockVictim never sleeps). It is for a transaction standing for a
	// lock taken without a context: ttm_bo_init_reserved() trylocks a new
	// BO's resv without one, so dma_resv_locking_ctx() gives its
	// validation no ticket and ttm_lru_walk_for_evict() only trylocks.
	// A vmemu flag; drm_exec has none.
	TrylockVictims Flags = 1 << 2
)

// Exec is struct drm_exec (drivers/gpu/drm/drm_exec.c): a transaction that
// locks a set of objects with one ticket, backs off on contention, and
// keeps the ordered list of objects it locked. That lock list is the set of
// objects that later receives the job's fence. Beside it, Exec keeps a
// separate list of eviction victims (see LockVictim), released only when
// the transaction backs off or ends.
//
// The locking loop is written
//
//	for e.Retry() {
//		err := e.Lock(obj)
//		if e.Contended() {
//			continue
//		}
//		if err != nil {
//			return err
//		}
//	}
//
// (for e.Begin(); e.Retry(); { … } is the same: Retry begins if needed),
// or, with a closure, e.Run(func(e *Exec) error { return e.Lock(obj) }).
// The first pass initialises the ticket. When a lock returns EDEADLK, Exec
// remembers the contended object; the next pass unlocks everything, takes
// the contended object first with the slow path and keeps the same ticket,
// so the transaction ages and eventually wins.
//
// An Exec belongs to one goroutine. It may be reused after Fini.
type Exec struct {
	flags  Flags
	class  *Class
	cancel <-chan struct{}
	ticket AcquireCtx

	// objects is the lock list, in locking order.
	objects []Object
	// victims is the eviction victim list, in locking order.
	victims []Object
	// contended is the object whose lock returned EDEADLK; it is taken
	// with the slow path by the next Lock. contendedVictim says it was a
	// victim: it is then only waited for (locked and unlocked), since the
	// next pass may pick another victim.
	contended       Object
	contendedVictim bool
	// prelocked is the contended object taken by the slow path, until the
	// caller locks it again in this pass.
	prelocked Object
	// walkTicket is whether the current eviction walk may still take one
	// sleeping ticketed lock.
	walkTicket bool

	started   bool // ticket initialised, drm_exec's contended != DRM_EXEC_DUMMY
	firstPass bool // Begin done, first pass not yet entered
	done      bool // the locking loop ended (ww_acquire_done())
}

// NewExec returns an Exec over ReservationClass. nr is a hint for the
// number of objects, as in drm_exec_init() since 6.8; 0 means a default.
func NewExec(flags Flags, nr int) *Exec {
	return NewExecClass(ReservationClass, flags, nr)
}

// NewExecClass is NewExec over class c; the objects' Mutexes must be in c.
func NewExecClass(c *Class, flags Flags, nr int) *Exec {
	e := new(Exec)
	e.InitClass(c, flags, nr)
	return e
}

// Init readies e, zero or finished (Fini), for a new transaction over
// ReservationClass: drm_exec_init() on a drm_exec that the caller embeds,
// as amdgpu_cs_parser does. Reusing an Exec this way keeps its ticket's
// wake channel and its victim list's storage. nr is NewExec's hint.
//
// Preconditions: e is not in a transaction (never begun, or after Fini).
func (e *Exec) Init(flags Flags, nr int) { e.InitClass(ReservationClass, flags, nr) }

// InitClass is Init over class c.
func (e *Exec) InitClass(c *Class, flags Flags, nr int) {
	if e.started || e.objects != nil {
		panic("ww: Init of an Exec that was not finished: call Fini first")
	}
	if nr <= 0 {
		nr = 16
	}
	e.flags, e.class, e.cancel = flags, c, nil
	e.objects = objectsPool.Get(nr)
	e.victims = e.victims[:0]
}

// objectsPool recycles the lock lists of large transactions (a CS over
// thousands of BOs): Fini empties a list and returns it.
var objectsPool = slicepool.Pool[Object]{Min: 64}

// SetCancel sets the channel that interrupts sleeping locks when the Exec
// has the Interruptible flag. Call it before Begin.
func (e *Exec) SetCancel(cancel <-chan struct{}) { e.cancel = cancel }

// Ticket returns the transaction's acquire context.
func (e *Exec) Ticket() *AcquireCtx { return &e.ticket }

// Begin starts the transaction: it initialises the ticket from the class
// counter. Retry calls it if the caller did not.
func (e *Exec) Begin() {
	e.ticket.Init(e.class)
	e.started = true
	e.firstPass = true
	e.done = false
	e.BeginWalk()
}

// Retry runs at the top of every pass of the locking loop; it mirrors
// drm_exec_cleanup(). On the first pass it begins the transaction and
// returns true. After a contended pass it unlocks every object (lock list
// and victims) and returns true, keeping the ticket. After a pass without
// contention it ends the acquire phase (Done) and returns false: every
// object locked in the pass stays locked.
func (e *Exec) Retry() bool {
	if !e.started {
		e.Begin()
	}
	if e.firstPass {
		e.firstPass = false
		return true
	}
	if e.contended == nil {
		e.ticket.Done()
		e.done = true
		return false
	}
	e.unlockAll()
	e.BeginWalk()
	return true
}

// Run runs fn in the locking loop until a pass completes without
// contention, re-running it with the same ticket after each contended pass.
// It returns fn's error from an uncontended pass, or nil with every object
// fn locked still locked. fn must pass on the errors of Lock and Prepare.
func (e *Exec) Run(fn func(e *Exec) error) error {
	for e.Retry() {
		err := fn(e)
		if e.Contended() {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Contended reports whether the current pass hit contention and must be
// retried: drm_exec_is_contended().
func (e *Exec) Contended() bool { return e.contended != nil }

// Lock locks obj in the transaction and appends it to the lock list. It
// mirrors drm_exec_lock_obj(). It first takes the object contended in the
// previous pass, with the slow path.
//
// It returns nil on success; errno.EDEADLK on contention (Contended
// reports true: retry the pass); errno.EALREADY when obj is locked
// already in this transaction, or nil with IgnoreDuplicates; errno.EINTR
// when interrupted.
func (e *Exec) Lock(obj Object) error {
	e.mustBeStarted()
	if err := e.lockContended(); err != nil {
		return err
	}
	if e.prelocked != nil && e.prelocked == obj {
		put(e.prelocked)
		e.prelocked = nil
		return nil
	}
	err := e.lockMutex(obj.WW(), false)
	switch err {
	case nil:
	case errno.EDEADLK:
		get(obj)
		e.contended = obj
		return err
	case errno.EALREADY:
		if e.flags&IgnoreDuplicates != 0 {
			return nil
		}
		return err
	default:
		return err
	}
	get(obj)
	e.objects = append(e.objects, obj)
	return nil
}

// Prepare locks obj and reserves n fence slots if obj is a FenceReserver.
// It mirrors drm_exec_prepare_obj(): when the reservation fails, obj is
// unlocked again and the error returned.
func (e *Exec) Prepare(obj Object, n int) error {
	if err := e.Lock(obj); err != nil {
		return err
	}
	if fr, ok := obj.(FenceReserver); ok {
		if err := fr.ReserveFences(n); err != nil {
			e.Unlock(obj)
			return err
		}
	}
	return nil
}

// PrepareArray is Prepare over objs, stopping at the first error:
// drm_exec_prepare_array().
func (e *Exec) PrepareArray(objs []Object, n int) error {
	for _, obj := range objs {
		if err := e.Prepare(obj, n); err != nil {
			return err
		}
	}
	return nil
}

// Unlock unlocks obj and removes it from the lock list. It mirrors
// drm_exec_unlock_obj(): meant for the most recently locked object (the
// search starts from the end), it works for any. Objects not on the lock
// list are ignored.
func (e *Exec) Unlock(obj Object) {
	for i := len(e.objects) - 1; i >= 0; i-- {
		if e.objects[i] == obj {
			obj.WW().Unlock()
			e.objects = slices.Delete(e.objects, i, i+1)
			put(obj)
			if e.prelocked == obj {
				put(e.prelocked)
				e.prelocked = nil
			}
			return
		}
	}
}

// Objects iterates over the lock list in locking order, with indices, as
// drm_exec_for_each_locked_object() does.
func (e *Exec) Objects() iter.Seq2[int, Object] {
	return func(yield func(int, Object) bool) {
		for i, obj := range e.objects {
			if !yield(i, obj) {
				return
			}
		}
	}
}

// ObjectsReverse iterates over the lock list backwards:
// drm_exec_for_each_locked_object_reverse().
func (e *Exec) ObjectsReverse() iter.Seq2[int, Object] {
	return func(yield func(int, Object) bool) {
		for i := len(e.objects) - 1; i >= 0; i-- {
			if !yield(i, e.objects[i]) {
				return
			}
		}
	}
}

// NumObjects returns the length of the lock list.
func (e *Exec) NumObjects() int { return len(e.objects) }

// Fini unlocks every object (lock list and victims) and ends the
// transaction. It mirrors drm_exec_fini(). The Exec may be reused.
func (e *Exec) Fini() {
	e.unlockAll()
	if e.contended != nil {
		put(e.contended)
		e.contended = nil
		e.contendedVictim = false
	}
	if e.started {
		e.ticket.Fini()
	}
	e.started = false
	e.firstPass = false
	objectsPool.Put(e.objects)
	e.objects = nil
}

func (e *Exec) mustBeStarted() {
	if !e.started {
		panic("ww: Exec used outside a transaction: call Run, Retry or Begin first")
	}
}

// lockContended is drm_exec_lock_contended(): take the object contended in
// the previous pass with the slow path. A contended victim is only waited
// for. The contention is cleared first, so that an error is returned to
// the caller rather than retried.
func (e *Exec) lockContended() error {
	obj := e.contended
	if obj == nil {
		return nil
	}
	victim := e.contendedVictim
	e.contended = nil
	e.contendedVictim = false
	m := obj.WW()
	var err error
	if e.flags&Interruptible != 0 {
		err = m.lock(&e.ticket, e.cancel, true, victim)
	} else {
		err = m.lock(&e.ticket, nil, true, victim)
	}
	if err != nil {
		put(obj)
		return err
	}
	if victim {
		// Relax: the older transaction is done with it. The next pass
		// chooses its victims again.
		m.Unlock()
		put(obj)
		return nil
	}
	// The contended reference passes to prelocked; the list takes its own.
	get(obj)
	e.objects = append(e.objects, obj)
	e.prelocked = obj
	return nil
}

func (e *Exec) lockMutex(m *Mutex, victim bool) error {
	var cancel <-chan struct{}
	if e.flags&Interruptible != 0 {
		cancel = e.cancel
	}
	return m.lock(&e.ticket, cancel, false, victim)
}

// unlockAll is drm_exec_unlock_all(), extended to the victim list.
func (e *Exec) unlockAll() {
	for i := len(e.victims) - 1; i >= 0; i-- {
		e.victims[i].WW().Unlock()
		put(e.victims[i])
		e.victims[i] = nil
	}
	e.victims = e.victims[:0]
	for i := len(e.objects) - 1; i >= 0; i-- {
		e.objects[i].WW().Unlock()
		put(e.objects[i])
		e.objects[i] = nil
	}
	e.objects = e.objects[:0]
	if e.prelocked != nil {
		put(e.prelocked)
		e.prelocked = nil
	}
}

func get(obj Object) {
	if r, ok := obj.(Referenced); ok {
		r.Get()
	}
}

func put(obj Object) {
	if r, ok := obj.(Referenced); ok {
		r.Put()
	}
}
