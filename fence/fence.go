package fence

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"

	"github.com/vmemu/vmemu/sim"
)

// Domain allocates fence contexts and timestamps fences from a clock. One
// emulator instance (which may hold several devices) has one Domain.
type Domain struct {
	clock   *sim.Clock
	nextCtx atomic.Uint64
	stub    *Fence
}

// NewDomain returns a Domain on clock. Context 0 is the stubs' context, as
// in the kernel; allocated contexts start at 1.
func NewDomain(clock *sim.Clock) *Domain {
	d := &Domain{clock: clock}
	d.nextCtx.Store(1)
	d.stub = &Fence{d: d}
	d.stub.mu.v.Store(flagSignaled)
	return d
}

// Clock returns the domain's clock.
func (d *Domain) Clock() *sim.Clock { return d.clock }

// ContextAlloc reserves n fresh contexts and returns the first. It mirrors
// dma_fence_context_alloc().
func (d *Domain) ContextAlloc(n uint64) uint64 {
	return d.nextCtx.Add(n) - n
}

// New returns an unsignaled software fence on (context, seqno), signaled by
// calling Signal.
func (d *Domain) New(context, seqno uint64) *Fence {
	return &Fence{d: d, context: context, seqno: seqno}
}

// Init initialises f in place as an unsignaled fence on (context, seqno)
// with optional ops: dma_fence_init() on memory the caller owns, so that an
// object such as a scheduler job can embed its fences instead of allocating
// each one. f must be a zero Fence and must not be copied afterwards.
func (d *Domain) Init(f *Fence, context, seqno uint64, ops Ops) {
	f.d, f.context, f.seqno, f.ops = d, context, seqno, ops
}

// NewWithOps returns an unsignaled fence whose state is also computed by
// ops, as a dma_fence with dma_fence_ops.
func (d *Domain) NewWithOps(context, seqno uint64, ops Ops) *Fence {
	return &Fence{d: d, context: context, seqno: seqno, ops: ops}
}

// Stub returns the domain's shared, always-signaled stub fence. It mirrors
// dma_fence_get_stub().
func (d *Domain) Stub() *Fence { return d.stub }

// PrivateStub returns a new signaled fence with timestamp ts. It mirrors
// dma_fence_allocate_private_stub().
func (d *Domain) PrivateStub(ts int64) *Fence {
	f := &Fence{d: d, timestamp: ts}
	f.mu.v.Store(flagSignaled)
	return f
}

// Ops computes the state of a fence whose completion is not signaled
// directly: the Go form of dma_fence_ops.signaled and .enable_signaling.
type Ops interface {
	// Signaled reports whether the fence has completed. It is called with no
	// lock held; Fence.IsSignaled signals the fence when it returns true.
	Signaled(f *Fence) bool
	// EnableSignaling arms whatever will eventually call f.Signal. It
	// returns false if the fence has already completed, in which case the
	// caller signals it.
	EnableSignaling(f *Fence) bool
}

// Callback is a registered completion callback: struct dma_fence_cb. It is
// allocated by AddCallback, or owned by the caller of AddCallbackIn.
type Callback struct {
	fn     func(*Fence)
	next   *Callback
	prev   *Callback
	linked bool
}

// The bits of a fence's state word.
const (
	// wordLocked is the fence lock (dma_fence.lock).
	wordLocked uint32 = 1 << iota
	// flagSignaled is DMA_FENCE_FLAG_SIGNALED_BIT.
	flagSignaled
	// flagEnabled is DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT: EnableSignaling ran.
	flagEnabled
	// flagDeadline records that a deadline hint was set
	// (DMA_FENCE_FLAG_HAS_DEADLINE_BIT).
	flagDeadline

	// errShift and errMask place the error (dma_fence.error), stored
	// negated: 1..4095, 0 for none.
	errShift        = 16
	errMask  uint32 = 0xfff << errShift
)

// word is a fence's lock, flags and error in one atomic word: taking the
// lock is one compare-and-swap and releasing it, with whatever flags and
// error changed meanwhile, one store, so that signaling a fence costs two
// atomic operations. Every writer of the word and of the fields the lock
// protects holds the lock; the flags and the error are read without it.
type word struct{ v atomic.Uint32 }

// Lock takes the lock and returns the word. Holders never call out, block
// or run more than a few instructions (a callback list walk at most), so a
// waiter spins, yielding its processor between tries.
func (w *word) Lock() uint32 {
	for i := 0; ; i++ {
		s := w.v.Load()
		if s&wordLocked == 0 && w.v.CompareAndSwap(s, s|wordLocked) {
			return s | wordLocked
		}
		if i >= 3 {
			runtime.Gosched()
		}
	}
}

// Unlock releases the lock, keeping the word.
func (w *word) Unlock() { w.v.Store(w.v.Load() &^ wordLocked) }

// unlockTo releases the lock and sets the word to s.
func (w *word) unlockTo(s uint32) { w.v.Store(s &^ wordLocked) }

// Fence is struct dma_fence.
type Fence struct {
	d       *Domain
	context uint64
	seqno   uint64
	// ops is nil for a plain software fence. For the base fence of a chain
	// or an array it is the container itself (*chainOps, *arrayOps), the Go
	// form of container_of().
	ops Ops

	// mu is the fence lock, the flags and the error set by SetError.
	mu word
	// is64 marks fences whose seqnos compare in 64 bits
	// (DMA_FENCE_FLAG_SEQNO64_BIT); chains are. Immutable.
	is64 bool
	// timestamp is the signal time in ns. Written with mu held before
	// flagSignaled is set, immutable after.
	timestamp int64
	// deadline is the earliest deadline hint, valid with flagDeadline.
	// Protected by mu.
	deadline int64
	// cbHead is the callback list, linked by next (nil-terminated) and by
	// prev (circular: cbHead.prev is the tail). Protected by mu.
	cbHead *Callback
}

// signaled reports the signaled flag.
func (f *Fence) signaled() bool { return f.mu.v.Load()&flagSignaled != 0 }

// errorOf decodes the error of state word s.
func errorOf(s uint32) int32 { return -int32((s & errMask) >> errShift) }

// withError returns state word s with error err (a negative errno, or 0).
func withError(s uint32, err int32) uint32 {
	return s&^errMask | uint32(-err)<<errShift
}

// Context returns the fence context.
func (f *Fence) Context() uint64 { return f.context }

// Seqno returns the sequence number.
func (f *Fence) Seqno() uint64 { return f.seqno }

// Domain returns the fence's domain.
func (f *Fence) Domain() *Domain { return f.d }

func (f *Fence) String() string {
	if f == nil {
		return "fence(nil)"
	}
	state := "pending"
	if f.signaled() {
		state = "signaled"
		if e := f.Error(); e != 0 {
			state = fmt.Sprintf("signaled(%d)", e)
		}
	}
	kind := ""
	switch f.ops.(type) {
	case *chainOps:
		kind = "chain "
	case *arrayOps:
		kind = "array "
	}
	return fmt.Sprintf("%s%d:%d %s", kind, f.context, f.seqno, state)
}

// SetError records a negative errno to be reported once the fence signals.
// It mirrors dma_fence_set_error(): it must be called before signaling and
// with a negative value; other uses panic (a kernel WARN).
func (f *Fence) SetError(err int32) {
	if err >= 0 || err < -4095 {
		panic(fmt.Sprintf("fence: SetError(%d): not a negative errno", err))
	}
	s := f.mu.Lock()
	if s&flagSignaled != 0 {
		f.mu.unlockTo(s)
		panic("fence: SetError on a signaled fence")
	}
	f.mu.unlockTo(withError(s, err))
}

// SetErrno is SetError with a syscall.Errno.
func (f *Fence) SetErrno(e syscall.Errno) { f.SetError(-int32(e)) }

// Error returns the error the fence signaled with (a negative errno), or 0.
func (f *Fence) Error() int32 { return errorOf(f.mu.v.Load()) }

// Status mirrors dma_fence_get_status(): 0 while pending, 1 when signaled
// without error, the negative errno otherwise.
func (f *Fence) Status() int32 {
	if !f.IsSignaled() {
		return 0
	}
	if e := f.Error(); e != 0 {
		return e
	}
	return 1
}

// Timestamp returns the signal time (valid once signaled).
func (f *Fence) Timestamp() int64 {
	if f.signaled() {
		return f.timestamp // immutable once signaled
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.timestamp
}

// Deadline returns the earliest deadline hint set, or 0.
func (f *Fence) Deadline() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deadline
}

// SetDeadline records a deadline hint (dma_fence_set_deadline()). It has no
// effect on when the fence signals.
func (f *Fence) SetDeadline(ns int64) {
	s := f.mu.Lock()
	if s&flagDeadline == 0 || ns < f.deadline {
		f.deadline = ns
		s |= flagDeadline
	}
	f.mu.unlockTo(s)
	switch o := f.ops.(type) {
	case *chainOps:
		(*Chain)(o).setDeadline(ns)
	case *arrayOps:
		(*Array)(o).setDeadline(ns)
	}
}

// Signal signals the fence at the clock's current time. It reports false if
// the fence had already signaled (dma_fence_signal() returns -EINVAL then).
func (f *Fence) Signal() bool {
	var ts int64
	if f.d != nil && f.d.clock != nil {
		ts = f.d.clock.Now()
	}
	return f.SignalAt(ts)
}

// SignalAt signals the fence with timestamp ts. Callbacks run before it
// returns, after the fence lock is released.
func (f *Fence) SignalAt(ts int64) bool {
	s := f.mu.Lock()
	if s&flagSignaled != 0 {
		f.mu.unlockTo(s)
		return false
	}
	f.timestamp = ts
	head := f.cbHead
	f.cbHead = nil
	for cb := head; cb != nil; cb = cb.next {
		cb.linked = false
	}
	f.mu.unlockTo(s | flagSignaled)
	for cb := head; cb != nil; {
		next := cb.next
		cb.next, cb.prev = nil, nil
		cb.fn(f)
		cb = next
	}
	return true
}

// IsSignaled mirrors dma_fence_is_signaled(): it reports whether the fence
// has signaled, and, for a fence with Ops, signals it if Ops says it has
// completed.
func (f *Fence) IsSignaled() bool {
	if f.signaled() {
		return true
	}
	if f.ops != nil && f.ops.Signaled(f) {
		f.Signal()
		return true
	}
	return false
}

// SignaledFlag reports the signaled bit only, without consulting Ops
// (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT)).
func (f *Fence) SignaledFlag() bool { return f.signaled() }

// EnableSignaling mirrors dma_fence_enable_sw_signaling().
func (f *Fence) EnableSignaling() {
	f.enableSignaling()
}

// enableSignaling runs Ops.EnableSignaling once; if it reports that the
// fence already completed, the fence is signaled.
func (f *Fence) enableSignaling() {
	if f.ops == nil || f.signaled() {
		return
	}
	s := f.mu.Lock()
	if s&flagEnabled != 0 {
		f.mu.unlockTo(s)
		return
	}
	f.mu.unlockTo(s | flagEnabled)
	if !f.ops.EnableSignaling(f) {
		f.Signal()
	}
}

// AddCallback registers fn to run when the fence signals. It mirrors
// dma_fence_add_callback(): if the fence has already signaled it returns nil
// and fn is not called (the kernel returns -ENOENT).
func (f *Fence) AddCallback(fn func(*Fence)) *Callback {
	if f.signaled() {
		return nil
	}
	cb := &Callback{}
	if !f.AddCallbackIn(cb, fn) {
		return nil
	}
	return cb
}

// AddCallbackIn is AddCallback with storage the caller owns, as
// dma_fence_add_callback(fence, &obj->cb, func) is called with a
// dma_fence_cb embedded in the waiting object: it allocates nothing. It
// reports false, leaving cb unlinked and fn not to be called, if the fence
// has already signaled (the kernel's -ENOENT). cb must not be pending on any
// fence; once fn has run or RemoveCallback(cb) returned, cb may be reused.
func (f *Fence) AddCallbackIn(cb *Callback, fn func(*Fence)) bool {
	if f.signaled() {
		return false
	}
	f.enableSignaling()
	s := f.mu.Lock()
	if s&flagSignaled != 0 {
		f.mu.unlockTo(s)
		return false
	}
	cb.fn, cb.next = fn, nil
	cb.linked = true
	if head := f.cbHead; head == nil {
		f.cbHead, cb.prev = cb, cb
	} else {
		tail := head.prev
		tail.next, cb.prev, head.prev = cb, tail, cb
	}
	f.mu.unlockTo(s)
	return true
}

// RemoveCallback unregisters cb. It reports whether cb was still pending
// (dma_fence_remove_callback()).
func (f *Fence) RemoveCallback(cb *Callback) bool {
	if cb == nil {
		return false
	}
	s := f.mu.Lock()
	if !cb.linked {
		f.mu.unlockTo(s)
		return false
	}
	head := f.cbHead
	switch {
	case cb == head:
		f.cbHead = cb.next
		if cb.next != nil {
			cb.next.prev = cb.prev // the tail
		}
	case cb.next == nil: // the tail
		cb.prev.next = nil
		head.prev = cb.prev
	default:
		cb.prev.next = cb.next
		cb.next.prev = cb.prev
	}
	cb.next, cb.prev, cb.linked = nil, nil, false
	f.mu.unlockTo(s)
	return true
}

// IsLater mirrors dma_fence_is_later(): whether a is later than b. Both must
// share a context. Fences flagged 64-bit (chains) compare all 64 bits;
// others compare the low 32 bits with wrap-around (__dma_fence_is_later()).
func IsLater(a, b *Fence) bool {
	return isLaterSeqno(a.seqno, b.seqno, a.is64)
}

// IsLaterOrSame mirrors dma_fence_is_later_or_same().
func IsLaterOrSame(a, b *Fence) bool {
	return a == b || IsLater(a, b)
}

func isLaterSeqno(f1, f2 uint64, is64 bool) bool {
	if is64 {
		return f1 > f2
	}
	return int32(uint32(f1)-uint32(f2)) > 0
}

// DeadlineSet returns the earliest deadline hint and whether one was set.
func (f *Fence) DeadlineSet() (int64, bool) {
	s := f.mu.Lock()
	defer f.mu.unlockTo(s)
	return f.deadline, s&flagDeadline != 0
}

// Ops returns the fence's ops, or nil for a plain software fence.
func (f *Fence) Ops() Ops { return f.ops }
