package syncobj

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/syncfile"

	"go.uber.org/goleak"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Flag shorthands.
const (
	fAll       = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL
	fSubmit    = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
	fAvailable = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE
	fDeadline  = uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE
)

// startTime is where test clocks start, so that 0 and small values are in
// the past.
const startTime = 1_000_000_000

const (
	ms = int64(1_000_000)
	// forever is INT64_MAX, user space's "no timeout".
	forever = sim.Forever
)

// env is one DRM file with a syncobj Table, fake fds and eventfds, and a
// sandboxed user address space.
type env struct {
	t     testing.TB
	clock *sim.Clock
	d     *fence.Domain
	fds   *fakeFDs
	evs   *fakeEventfds
	tab   *Table
	mem   *umem
}

func newEnv(t testing.TB, opts ...Option) *env {
	t.Helper()
	clock := sim.NewVirtual(startTime)
	d := fence.NewDomain(clock)
	fds := newFakeFDs()
	e := &env{
		t: t, clock: clock, d: d, fds: fds,
		evs: &fakeEventfds{fds: fds},
		mem: &umem{next: 0x10000},
	}
	e.tab = NewTable(d, fds, e.evs, opts...)
	t.Cleanup(func() {
		e.tab.Close()
		fds.closeAll()
		if n := Live(); n != 0 {
			t.Errorf("%d syncobjs leaked", n)
		}
	})
	return e
}

// errName renders an ioctl result for comparisons and scripts.
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var en syscall.Errno
	if !errors.As(err, &en) {
		return err.Error()
	}
	switch en {
	case errno.EINVAL:
		return "EINVAL"
	case errno.ENOENT:
		return "ENOENT"
	case errno.ETIME:
		return "ETIME"
	case errno.EFAULT:
		return "EFAULT"
	case errno.ENOMEM:
		return "ENOMEM"
	case errno.EBADF:
		return "EBADF"
	case errno.EOPNOTSUPP:
		return "EOPNOTSUPP"
	case errno.ERESTARTSYS:
		return "ERESTARTSYS"
	case errno.EBUSY:
		return "EBUSY"
	}
	return fmt.Sprintf("errno(%d)", int(en))
}

func wantErr(t testing.TB, what string, got, want error) {
	t.Helper()
	if errName(got) != errName(want) {
		t.Fatalf("%s: got %s, want %s", what, errName(got), errName(want))
	}
}

// create makes a syncobj through the CREATE ioctl.
func (e *env) create(flags uint32) uint32 {
	e.t.Helper()
	h, err := e.tab.Create(flags)
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return h
}

func (e *env) wait(handles []uint32, flags uint32, timeout int64) (uint32, error) {
	a := WaitArgs{Handles: e.mem.u32s(handles...), CountHandles: uint32(len(handles)),
		Flags: flags, TimeoutNsec: timeout}
	err := e.tab.Wait(e.mem.io(), &a)
	return a.FirstSignaled, err
}

func (e *env) twait(handles []uint32, points []uint64, flags uint32, timeout int64) (uint32, error) {
	a := WaitArgs{Handles: e.mem.u32s(handles...), Points: e.mem.u64s(points...),
		CountHandles: uint32(len(handles)), Flags: flags, TimeoutNsec: timeout}
	err := e.tab.TimelineWait(e.mem.io(), &a)
	return a.FirstSignaled, err
}

func (e *env) queryFlags(flags uint32, handles ...uint32) ([]uint64, error) {
	out := e.mem.u64s(make([]uint64, len(handles))...)
	err := e.tab.Query(e.mem.io(), e.mem.u32s(handles...), out, uint32(len(handles)), flags)
	return e.mem.readU64s(out, len(handles)), err
}

// query returns QUERY's single point for h.
func (e *env) query(h uint32) uint64 {
	e.t.Helper()
	v, err := e.queryFlags(0, h)
	if err != nil {
		e.t.Fatalf("query %d: %v", h, err)
	}
	return v[0]
}

func (e *env) tsignal(handles []uint32, points []uint64) error {
	return e.tab.TimelineSignal(e.mem.io(), e.mem.u32s(handles...), e.mem.u64s(points...),
		uint32(len(handles)), 0)
}

func (e *env) signal(handles ...uint32) error {
	return e.tab.Signal(e.mem.io(), e.mem.u32s(handles...), uint32(len(handles)), 0)
}

func (e *env) reset(handles ...uint32) error {
	return e.tab.Reset(e.mem.io(), e.mem.u32s(handles...), uint32(len(handles)), 0)
}

// syncFileFD installs a sync_file holding f, as sw_sync_timeline_create_fence
// returns one.
func (e *env) syncFileFD(f *fence.Fence) int32 {
	fd, err := e.fds.Install(syncfile.New(f), func() {})
	if err != nil {
		e.t.Fatal(err)
	}
	return int32(fd)
}

// attach puts f into h at point the way IGT's syncobj_attach_sw_sync does:
// imported directly for point 0, else through a temporary binary syncobj
// and a TRANSFER.
func (e *env) attach(h uint32, point uint64, f *fence.Fence) {
	e.t.Helper()
	fd := e.syncFileFD(f)
	defer e.fds.Close(int(fd))
	const imp = uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE
	if point == 0 {
		if _, err := e.tab.FDToHandle(h, imp, fd, 0, 0); err != nil {
			e.t.Fatalf("import: %v", err)
		}
		return
	}
	tmp := e.create(0)
	if _, err := e.tab.FDToHandle(tmp, imp, fd, 0, 0); err != nil {
		e.t.Fatalf("import: %v", err)
	}
	if err := e.tab.Transfer(tmp, h, 0, point, 0, 0); err != nil {
		e.t.Fatalf("transfer: %v", err)
	}
	if err := e.tab.Destroy(tmp, 0); err != nil {
		e.t.Fatal(err)
	}
}

// obj returns the object behind h without keeping a reference.
func (e *env) obj(h uint32) *Syncobj {
	e.t.Helper()
	s, err := e.tab.Lookup(h)
	if err != nil {
		e.t.Fatalf("lookup %d: %v", h, err)
	}
	s.Put()
	return s
}

// swTimeline is a sw_sync timeline: fences on one context that signal, in
// order, when the timeline's value reaches theirs.
type swTimeline struct {
	d   *fence.Domain
	ctx uint64

	mu      sync.Mutex
	value   uint64
	pending []*fence.Fence
}

func newSWTimeline(d *fence.Domain) *swTimeline {
	return &swTimeline{d: d, ctx: d.ContextAlloc(1)}
}

// fence is sw_sync_timeline_create_fence().
func (tl *swTimeline) fence(v uint64) *fence.Fence {
	f := tl.d.New(tl.ctx, v)
	tl.mu.Lock()
	if v <= tl.value {
		tl.mu.Unlock()
		f.Signal()
		return f
	}
	tl.pending = append(tl.pending, f)
	tl.mu.Unlock()
	return f
}

// inc is sw_sync_timeline_inc().
func (tl *swTimeline) inc(n uint64) {
	tl.mu.Lock()
	tl.value += n
	var due []*fence.Fence
	kept := tl.pending[:0]
	for _, f := range tl.pending {
		if f.Seqno() <= tl.value {
			due = append(due, f)
		} else {
			kept = append(kept, f)
		}
	}
	tl.pending = kept
	tl.mu.Unlock()
	slices.SortStableFunc(due, func(a, b *fence.Fence) int {
		switch {
		case a.Seqno() < b.Seqno():
			return -1
		case a.Seqno() > b.Seqno():
			return 1
		}
		return 0
	})
	for _, f := range due {
		f.Signal()
	}
}

// fakeFDs is an fd table.
type fakeFDs struct {
	mu   sync.Mutex
	next int
	open map[int]*fakeFile
}

type fakeFile struct {
	obj     any
	release func()
}

// Objects standing for files that are neither syncobjs nor sync_files.
type (
	devNull struct{}
	drmFile struct{}
)

func newFakeFDs() *fakeFDs { return &fakeFDs{next: 3, open: make(map[int]*fakeFile)} }

func (f *fakeFDs) Install(obj any, release func()) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd := f.next
	f.next++
	f.open[fd] = &fakeFile{obj: obj, release: release}
	return fd, nil
}

func (f *fakeFDs) Lookup(fd int) (any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ff, ok := f.open[fd]
	if !ok {
		return nil, false
	}
	return ff.obj, true
}

func (f *fakeFDs) Close(fd int) {
	f.mu.Lock()
	ff, ok := f.open[fd]
	delete(f.open, fd)
	f.mu.Unlock()
	if ok && ff.release != nil {
		ff.release()
	}
}

func (f *fakeFDs) closeAll() {
	f.mu.Lock()
	fds := make([]int, 0, len(f.open))
	for fd := range f.open {
		fds = append(fds, fd)
	}
	f.mu.Unlock()
	for _, fd := range fds {
		f.Close(fd)
	}
}

// fakeEventfd is an eventfd counter.
type fakeEventfd struct {
	mu    sync.Mutex
	count uint64
	refs  int
}

func (ev *fakeEventfd) value() uint64 {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.count
}

// sinkRefs returns the references taken by SYNCOBJ_EVENTFD and not yet
// dropped.
func (ev *fakeEventfd) sinkRefs() int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.refs
}

type fakeSink struct {
	ev     *fakeEventfd
	closed bool
}

func (s *fakeSink) Signal(n uint64) error {
	if s.closed {
		panic("signal on a closed eventfd reference")
	}
	s.ev.mu.Lock()
	s.ev.count += n
	s.ev.mu.Unlock()
	return nil
}

func (s *fakeSink) Close() error {
	if s.closed {
		panic("eventfd reference closed twice")
	}
	s.closed = true
	s.ev.mu.Lock()
	s.ev.refs--
	s.ev.mu.Unlock()
	return nil
}

type fakeEventfds struct{ fds *fakeFDs }

func (f *fakeEventfds) Get(fd int) (EventSink, error) {
	obj, ok := f.fds.Lookup(fd)
	if !ok {
		return nil, errno.EBADF
	}
	ev, ok := obj.(*fakeEventfd)
	if !ok {
		return nil, errno.EINVAL
	}
	ev.mu.Lock()
	ev.refs++
	ev.mu.Unlock()
	return &fakeSink{ev: ev}, nil
}

func (e *env) newEventfd() (*fakeEventfd, int32) {
	ev := &fakeEventfd{}
	fd, _ := e.fds.Install(ev, nil)
	return ev, int32(fd)
}

// umem is a sandboxed user address space with a bump allocator; every
// allocation is its own region, so overruns fault.
type umem struct {
	sb   usermem.Sandbox
	mu   sync.Mutex
	next uint64
}

func (m *umem) alloc(n int) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n == 0 {
		n = 1
	}
	addr := m.next
	if err := m.sb.Map(addr, make([]byte, n)); err != nil {
		panic(err)
	}
	m.next += (uint64(n) + 0x1fff) &^ 0xfff
	return addr
}

func (m *umem) u32s(v ...uint32) uint64 {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	addr := m.alloc(len(b))
	if err := m.sb.CopyOut(addr, b); err != nil {
		panic(err)
	}
	return addr
}

func (m *umem) u64s(v ...uint64) uint64 {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	addr := m.alloc(len(b))
	if err := m.sb.CopyOut(addr, b); err != nil {
		panic(err)
	}
	return addr
}

func (m *umem) readU64s(addr uint64, n int) []uint64 {
	v := make([]uint64, n)
	if err := usermem.CopyInU64s(&m.sb, addr, v); err != nil {
		panic(err)
	}
	return v
}

// badAddr is an address no region covers.
const badAddr = 0xdead0000

func (m *umem) io() usermem.IO { return &m.sb }
