package syncobj

import (
	"testing"

	"github.com/vmemu/vmemu/syncfile"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/uapi"
)

const (
	signaled   = uapi.DRM_SYNCOBJ_CREATE_SIGNALED
	exportSF   = uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE
	exportTL   = uapi.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE
	importSF   = uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE
	importTL   = uapi.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE
	lastSubmit = uapi.DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED
)

// Reference: drm_core_check_feature() at the top of every handler.
func TestFeatureGateEOPNOTSUPP(t *testing.T) {
	calls := func(e *env) map[string]error {
		io := e.mem.io()
		h := e.mem.u32s(1)
		return map[string]error{
			"CREATE":  func() error { _, err := e.tab.Create(0xdeadbeef); return err }(),
			"DESTROY": e.tab.Destroy(1, 1),
			"HANDLE_TO_FD": func() error {
				_, err := e.tab.HandleToFD(1, 0xdeadbeef, 1, 0)
				return err
			}(),
			"FD_TO_HANDLE": func() error {
				_, err := e.tab.FDToHandle(1, 0xdeadbeef, -1, 1, 0)
				return err
			}(),
			"WAIT":            e.tab.Wait(io, &WaitArgs{Handles: h, CountHandles: 1, Flags: 0xdeadbeef}),
			"RESET":           e.tab.Reset(io, h, 0, 1),
			"SIGNAL":          e.tab.Signal(io, h, 0, 1),
			"TIMELINE_WAIT":   e.tab.TimelineWait(io, &WaitArgs{Handles: h, CountHandles: 1, Flags: 0xdeadbeef}),
			"QUERY":           e.tab.Query(io, h, 0, 0, 0xdeadbeef),
			"TRANSFER":        e.tab.Transfer(0, 0, 0, 0, 0xdeadbeef, 1),
			"TIMELINE_SIGNAL": e.tab.TimelineSignal(io, h, 0, 0, 0xdeadbeef),
			"EVENTFD":         e.tab.Eventfd(0, 0xdeadbeef, 0, -1, 1),
		}
	}
	timeline := map[string]bool{"TIMELINE_WAIT": true, "QUERY": true, "TRANSFER": true,
		"TIMELINE_SIGNAL": true, "EVENTFD": true}
	for _, tc := range []struct {
		name     string
		features Features
	}{
		{"none", 0},
		{"binary-only", DriverSyncobj},
		{"timeline-without-syncobj", DriverSyncobjTimeline},
		{"both", DriverSyncobj | DriverSyncobjTimeline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, WithFeatures(tc.features))
			for name, err := range calls(e) {
				// The timeline ioctls check only DRIVER_SYNCOBJ_TIMELINE.
				supported := tc.features&DriverSyncobj != 0
				if timeline[name] {
					supported = tc.features&DriverSyncobjTimeline != 0
				}
				want := errno.EOPNOTSUPP
				if supported {
					// With the feature, the bad arguments fail the next check.
					want = errno.EINVAL
				}
				wantErr(t, name, err, want)
			}
		})
	}
}

// Reference: drm_syncobj_create_ioctl().
func TestCreateC1BadFlags(t *testing.T) {
	e := newEnv(t)
	for _, flags := range []uint32{0xdeadbeef, 2, 1 << 31} {
		_, err := e.tab.Create(flags)
		wantErr(t, "create", err, errno.EINVAL)
	}
	if e.tab.Len() != 0 {
		t.Fatal("a failed CREATE made a handle")
	}
}

func TestCreateC2NoFence(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	if f := e.obj(h).Fence(); f != nil {
		t.Fatalf("fence = %v, want nil", f)
	}
	_, err := e.wait([]uint32{h}, 0, 0)
	wantErr(t, "wait", err, errno.EINVAL)
}

func TestCreateC3Signaled(t *testing.T) {
	e := newEnv(t)
	e.clock.RunUntil(startTime + 42)
	h := e.create(signaled)
	f := e.obj(h).Fence()
	if f == nil || !f.IsSignaled() || f == e.d.Stub() {
		t.Fatalf("fence = %v, want a signaled private stub", f)
	}
	if got := f.Timestamp(); got != startTime+42 {
		t.Errorf("timestamp = %d, want %d", got, startTime+42)
	}
	_, err := e.wait([]uint32{h}, 0, 0)
	wantErr(t, "wait", err, nil)
	if q := e.query(h); q != 0 {
		t.Errorf("query = %d, want 0 (not a chain)", q)
	}
}

// Reference: xa_alloc() with XA_FLAGS_ALLOC1 in drm_syncobj_get_handle().
func TestHandlesLowestFreeReused(t *testing.T) {
	e := newEnv(t)
	var got []uint32
	for range 4 {
		got = append(got, e.create(0))
	}
	for _, h := range []uint32{3, 1} {
		if err := e.tab.Destroy(h, 0); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		got = append(got, e.create(0))
	}
	if diff := cmp.Diff([]uint32{1, 2, 3, 4, 1, 3, 5}, got); diff != "" {
		t.Errorf("handles (-want +got):\n%s", diff)
	}
}

func TestDestroyD1Pad(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	wantErr(t, "destroy", e.tab.Destroy(h, 1), errno.EINVAL)
	wantErr(t, "destroy", e.tab.Destroy(h, 0), nil)
}

func TestDestroyD2UnknownIsEINVAL(t *testing.T) {
	e := newEnv(t)
	for _, h := range []uint32{0, 1, 0xdeadbeef} {
		wantErr(t, "destroy", e.tab.Destroy(h, 0), errno.EINVAL)
	}
	h := e.create(0)
	wantErr(t, "destroy", e.tab.Destroy(h, 0), nil)
	wantErr(t, "destroy twice", e.tab.Destroy(h, 0), errno.EINVAL)
}

func TestDestroyD3OtherReferencesSurvive(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	fd, err := e.tab.HandleToFD(h, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := e.tab.FDToHandle(0, 0, fd, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.tab.Destroy(h, 0); err != nil {
		t.Fatal(err)
	}
	e.fds.Close(int(fd))
	if err := e.signal(h2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.wait([]uint32{h2}, 0, 0); err != nil {
		t.Fatal(err)
	}
	if got := e.create(0); got != h {
		t.Errorf("reused handle = %d, want %d", got, h)
	}
}

func TestHandleToFDH1Pad(t *testing.T) {
	e := newEnv(t)
	h := e.create(signaled)
	_, err := e.tab.HandleToFD(h, 0, 1, 0)
	wantErr(t, "plain", err, errno.EINVAL)
	// pad is checked before the export lookup's ENOENT.
	_, err = e.tab.HandleToFD(99, exportSF, 1, 0)
	wantErr(t, "export", err, errno.EINVAL)
}

func TestHandleToFDH2Flags(t *testing.T) {
	e := newEnv(t)
	h := e.create(signaled)
	for _, flags := range []uint32{0xdeadbeef, 4, exportSF | 4} {
		_, err := e.tab.HandleToFD(h, flags, 0, 0)
		wantErr(t, "flags", err, errno.EINVAL)
	}
	// Flags are checked before the export lookup's ENOENT.
	_, err := e.tab.HandleToFD(99, exportSF|8, 0, 0)
	wantErr(t, "flags before lookup", err, errno.EINVAL)
}

func TestHandleToFDH3Plain(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	// A nonzero point is refused whether or not TIMELINE is set (S1).
	for _, flags := range []uint32{0, exportTL} {
		_, err := e.tab.HandleToFD(h, flags, 0, 1)
		wantErr(t, "point", err, errno.EINVAL)
	}
	for _, bad := range []uint32{0, 0xdeadbeef} {
		_, err := e.tab.HandleToFD(bad, 0, 0, 0)
		wantErr(t, "unknown handle", err, errno.EINVAL)
	}
	fd, err := e.tab.HandleToFD(h, exportTL, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := e.fds.Lookup(int(fd))
	if obj != e.obj(h) {
		t.Fatalf("fd holds %v, want the syncobj", obj)
	}
}

func TestHandleToFDH4ExportSyncFile(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	_, err := e.tab.HandleToFD(0, exportSF, 0, 0)
	wantErr(t, "unknown handle", err, errno.ENOENT)
	h := e.create(0)
	_, err = e.tab.HandleToFD(h, exportSF, 0, 0)
	wantErr(t, "no fence", err, errno.EINVAL)

	for p := uint64(1); p <= 3; p++ {
		e.attach(h, p, tl.fence(p))
	}
	_, err = e.tab.HandleToFD(h, exportSF|exportTL, 0, 4)
	wantErr(t, "unsubmitted point", err, errno.EINVAL)

	export := func(flags uint32, point uint64) *fence.Fence {
		t.Helper()
		fd, err := e.tab.HandleToFD(h, flags, 0, point)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		obj, _ := e.fds.Lookup(int(fd))
		return obj.(*syncfile.SyncFile).SyncFileFence()
	}
	head := e.obj(h).Fence()
	// Without TIMELINE the point is ignored: the head is exported.
	if got := export(exportSF, 2); got != head {
		t.Errorf("export ignoring point = %v, want head %v", got, head)
	}
	got := export(exportSF|exportTL, 2)
	if c := fence.ToChain(got); c == nil || got.Seqno() != 2 || c.Contained().Seqno() != 2 {
		t.Errorf("export point 2 = %v, want the chain node of point 2", got)
	}
	// Collected points export the signaled stub.
	tl.inc(2)
	e.tab.TimelineSignal(e.mem.io(), e.mem.u32s(h), e.mem.u64s(4), 1, 0)
	if got := export(exportSF|exportTL, 1); got != e.d.Stub() {
		t.Errorf("export collected point = %v, want the stub", got)
	}
}

func TestFDToHandleF1PadFlags(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	fd, _ := e.tab.HandleToFD(h, 0, 0, 0)
	_, err := e.tab.FDToHandle(0, 0, fd, 1, 0)
	wantErr(t, "pad", err, errno.EINVAL)
	_, err = e.tab.FDToHandle(0, 0xdeadbeef, fd, 0, 0)
	wantErr(t, "flags", err, errno.EINVAL)
	// Flags come before the import's target lookup.
	_, err = e.tab.FDToHandle(99, importSF|4, fd, 0, 0)
	wantErr(t, "flags before lookup", err, errno.EINVAL)
}

func TestFDToHandleF2Plain(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	fd, _ := e.tab.HandleToFD(h, 0, 0, 0)
	_, err := e.tab.FDToHandle(0, 0, fd, 0, 1)
	wantErr(t, "point without import", err, errno.EINVAL)
	_, err = e.tab.FDToHandle(0, importTL, fd, 0, 1)
	wantErr(t, "point with TIMELINE, without import", err, errno.EINVAL)

	closed, _ := e.fds.Install(devNull{}, nil)
	e.fds.Close(closed)
	drm, _ := e.fds.Install(drmFile{}, nil)
	sf := e.syncFileFD(e.d.Stub())
	for name, bad := range map[string]int32{"-1": -1, "closed": int32(closed),
		"drm fd": int32(drm), "sync_file": sf} {
		_, err := e.tab.FDToHandle(0, 0, bad, 0, 0)
		wantErr(t, name, err, errno.EINVAL)
	}
	// test-valid-cycle: every import is a new handle for the same object.
	h2, err := e.tab.FDToHandle(0, 0, fd, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h3, err := e.tab.FDToHandle(0, 0, fd, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h || h3 == h || h2 == h3 {
		t.Fatalf("handles %d, %d, %d not distinct", h, h2, h3)
	}
	if e.obj(h2) != e.obj(h) || e.obj(h3) != e.obj(h) {
		t.Fatal("imports do not share the syncobj")
	}
}

func TestFDToHandleF3ImportSyncFile(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	syncobjFD, _ := e.tab.HandleToFD(h, 0, 0, 0)
	// fd is checked before the handle: a syncobj fd with an unknown handle.
	_, err := e.tab.FDToHandle(99, importSF, syncobjFD, 0, 0)
	wantErr(t, "not a sync_file", err, errno.EINVAL)
	_, err = e.tab.FDToHandle(h, importSF, -1, 0, 0)
	wantErr(t, "fd -1", err, errno.EINVAL)
	f1 := tl.fence(1)
	fd := e.syncFileFD(f1)
	_, err = e.tab.FDToHandle(99, importSF, fd, 0, 0)
	wantErr(t, "unknown target", err, errno.ENOENT)

	got, err := e.tab.FDToHandle(h, importSF, fd, 0, 7)
	if err != nil || got != h {
		t.Fatalf("import = %d, %v; want %d, nil", got, err, h)
	}
	if e.obj(h).Fence() != f1 {
		t.Fatal("import without TIMELINE did not replace the fence")
	}
	f2 := tl.fence(2)
	if _, err := e.tab.FDToHandle(h, importSF|importTL, e.syncFileFD(f2), 0, 5); err != nil {
		t.Fatal(err)
	}
	head := e.obj(h).Fence()
	if c := fence.ToChain(head); c == nil || head.Seqno() != 5 || c.Contained() != f2 || c.Prev() != f1 {
		t.Fatalf("import at point 5 gave %v, want a chain node on f2 above f1", head)
	}
	// TIMELINE with point 0 replaces.
	if _, err := e.tab.FDToHandle(h, importSF|importTL, fd, 0, 0); err != nil {
		t.Fatal(err)
	}
	if e.obj(h).Fence() != f1 {
		t.Fatal("import at point 0 did not replace the fence")
	}
}

func TestTransferT1Pad(t *testing.T) {
	e := newEnv(t)
	wantErr(t, "bad pad, bogus handles", e.tab.Transfer(0xdead, 0xbeef, 0, 0, 0, 0xdeadbeef), errno.EINVAL)
}

func TestTransferT2UnknownHandles(t *testing.T) {
	e := newEnv(t)
	h := e.create(signaled)
	wantErr(t, "both unknown", e.tab.Transfer(0, 0, 1, 0, 0, 0), errno.ENOENT)
	wantErr(t, "dst unknown", e.tab.Transfer(h, 9, 0, 0, 0, 0), errno.ENOENT)
	wantErr(t, "src unknown", e.tab.Transfer(9, h, 0, 0, 0, 0), errno.ENOENT)
}

func TestTransferT3FlagsAfterLookups(t *testing.T) {
	e := newEnv(t)
	h := e.create(signaled)
	wantErr(t, "bad flags, dst unknown", e.tab.Transfer(h, 9, 0, 0, 0xdeadbeef, 0), errno.ENOENT)
	wantErr(t, "bad flags, src unknown", e.tab.Transfer(9, h, 0, 0, 0xdeadbeef, 0), errno.ENOENT)
	wantErr(t, "bad flags", e.tab.Transfer(h, h, 0, 1, fAll, 0), errno.EINVAL)
	if e.query(h) != 0 {
		t.Fatal("a failed transfer added a point")
	}
}

func TestTransferT4SourceLookup(t *testing.T) {
	e := newEnv(t)
	src, dst := e.create(0), e.create(0)
	wantErr(t, "no fence", e.tab.Transfer(src, dst, 0, 0, 0, 0), errno.EINVAL)
	e.tsignal([]uint32{src}, []uint64{3})
	wantErr(t, "unsubmitted point", e.tab.Transfer(src, dst, 4, 0, 0, 0), errno.EINVAL)

	// WAIT_FOR_SUBMIT waits 5 s, then ETIME.
	before := e.clock.Now()
	wantErr(t, "for submit", e.tab.Transfer(src, dst, 4, 0, fSubmit, 0), errno.ETIME)
	if got := e.clock.Now() - before; got != SubmitTimeout {
		t.Errorf("waited %d ns, want %d", got, SubmitTimeout)
	}
	// A submission within the 5 s is picked up.
	e.clock.After(SubmitTimeout-1, func() { e.obj(src).AddPoint(e.d.Stub(), 4) })
	wantErr(t, "delayed submit", e.tab.Transfer(src, dst, 4, 9, fSubmit, 0), nil)
	if got := e.query(dst); got != 9 {
		t.Errorf("dst query = %d, want 9", got)
	}
}

func TestTransferT5Flattening(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	tl2 := newSWTimeline(e.d)
	src, dst, bin := e.create(0), e.create(0), e.create(0)
	e.attach(src, 1, tl.fence(1))
	e.attach(src, 2, tl2.fence(1))

	// To a timeline point: the chain is flattened into an array.
	if err := e.tab.Transfer(src, dst, 2, 5, 0, 0); err != nil {
		t.Fatal(err)
	}
	c := fence.ToChain(e.obj(dst).Fence())
	if c == nil || c.Fence().Seqno() != 5 {
		t.Fatalf("dst fence = %v, want a chain node at 5", e.obj(dst).Fence())
	}
	a := fence.ToArray(c.Contained())
	if a == nil || len(a.Fences()) != 2 {
		t.Fatalf("contained = %v, want an array of the two leaves", c.Contained())
	}
	// To binary: the chain node itself.
	if err := e.tab.Transfer(src, bin, 2, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := e.obj(bin).Fence(), e.obj(src).Fence(); got != want {
		t.Fatalf("binary dst = %v, want the src node %v", got, want)
	}
	_, err := e.wait([]uint32{bin}, 0, 0)
	wantErr(t, "binary wait before signal", err, errno.ETIME)
	tl.inc(1)
	_, err = e.wait([]uint32{bin}, 0, 0)
	wantErr(t, "binary wait, point 1 only", err, errno.ETIME)
	tl2.inc(1)
	_, err = e.wait([]uint32{bin}, 0, 0)
	wantErr(t, "binary wait, both", err, nil)
}

// IGT invalid-transfer-non-existent-point.
func TestTransferT6SamePointHigher(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	e.tsignal([]uint32{h}, []uint64{63})
	wantErr(t, "transfer 63→74", e.tab.Transfer(h, h, 63, 74, 0, 0), nil)
	if got := e.query(h); got != 74 {
		t.Errorf("query = %d, want 74", got)
	}
}

func TestResetSignalR1PadCount(t *testing.T) {
	e := newEnv(t)
	io := e.mem.io()
	h := e.mem.u32s(0)
	for name, op := range map[string]func(uint64, uint32, uint32) error{
		"reset":  func(a uint64, c, p uint32) error { return e.tab.Reset(io, a, c, p) },
		"signal": func(a uint64, c, p uint32) error { return e.tab.Signal(io, a, c, p) },
	} {
		wantErr(t, name+" pad", op(h, 1, 1), errno.EINVAL)
		wantErr(t, name+" zero handles", op(h, 0, 0), errno.EINVAL)
		wantErr(t, name+" illegal handle", op(h, 1, 0), errno.ENOENT)
		wantErr(t, name+" bad address", op(badAddr, 1, 0), errno.EFAULT)
	}
}

func TestResetSignalR2OneIllegalHandleModifiesNothing(t *testing.T) {
	e := newEnv(t)
	a, b := e.create(signaled), e.create(0)
	fa := e.obj(a).Fence()
	wantErr(t, "reset", e.reset(a, 0, b), errno.ENOENT)
	wantErr(t, "signal", e.signal(b, 0, a), errno.ENOENT)
	if e.obj(a).Fence() != fa || e.obj(b).Fence() != nil {
		t.Fatal("a failed RESET/SIGNAL modified a syncobj")
	}
}

func TestResetR3DropsTimeline(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	e.tsignal([]uint32{h}, []uint64{5})
	if err := e.reset(h); err != nil {
		t.Fatal(err)
	}
	if q := e.query(h); q != 0 {
		t.Errorf("query after reset = %d", q)
	}
	_, err := e.wait([]uint32{h}, 0, 0)
	wantErr(t, "wait after reset", err, errno.EINVAL)
	_, err = e.twait([]uint32{h}, []uint64{1}, 0, 0)
	wantErr(t, "timeline wait after reset", err, errno.EINVAL)
}

func TestSignalR4PrivateStub(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	a, b := e.create(0), e.create(0)
	e.attach(b, 3, tl.fence(1))
	e.clock.RunUntil(startTime + 7)
	if err := e.signal(a, b); err != nil {
		t.Fatal(err)
	}
	fa, fb := e.obj(a).Fence(), e.obj(b).Fence()
	if fa == fb || fa == e.d.Stub() || !fa.IsSignaled() || fa.Timestamp() != startTime+7 {
		t.Fatalf("fences %v, %v: want distinct private stubs stamped %d", fa, fb, startTime+7)
	}
	if fence.ToChain(fb) != nil || e.query(b) != 0 {
		t.Fatal("SIGNAL did not replace the chain")
	}
}

func TestTimelineSignalTS1FlagsCount(t *testing.T) {
	e := newEnv(t)
	io := e.mem.io()
	wantErr(t, "bad flags, handle 0",
		e.tab.TimelineSignal(io, e.mem.u32s(0), 0, 1, 0xdeadbeef), errno.EINVAL)
	wantErr(t, "zero handles", e.tab.TimelineSignal(io, 0, 0, 0, 0), errno.EINVAL)
}

func TestTimelineSignalTS2IllegalHandle(t *testing.T) {
	e := newEnv(t)
	// invalid-signal-illegal-point: handle 1 does not exist in a fresh file.
	wantErr(t, "handle 1", e.tsignal([]uint32{1}, []uint64{0}), errno.ENOENT)
	a, b := e.create(0), e.create(0)
	wantErr(t, "one illegal", e.tsignal([]uint32{a, 0, b}, []uint64{1, 1, 1}), errno.ENOENT)
	// The points are read after the lookups; a bad address changes nothing.
	wantErr(t, "bad points",
		e.tab.TimelineSignal(e.mem.io(), e.mem.u32s(a, b), badAddr, 2, 0), errno.EFAULT)
	if e.obj(a).Fence() != nil || e.obj(b).Fence() != nil {
		t.Fatal("a failed TIMELINE_SIGNAL modified a syncobj")
	}
}

func TestTimelineSignalTS3PointZeroIsAChainNode(t *testing.T) {
	e := newEnv(t)
	hs := []uint32{e.create(0), e.create(0), e.create(0), e.create(0)}
	// signal-array.
	if err := e.tsignal(hs, []uint64{1, 1, 1, 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.twait(hs[:3], []uint64{1, 1, 1}, 0, 0); err != nil {
		t.Fatalf("timeline wait: %v", err)
	}
	if _, err := e.wait(hs[3:], 0, 0); err != nil {
		t.Fatalf("binary wait: %v", err)
	}
	f := e.obj(hs[3]).Fence()
	if c := fence.ToChain(f); c == nil || f.Seqno() != 0 || c.Contained() != e.d.Stub() {
		t.Fatalf("point 0 fence = %v, want a chain node on the stub", f)
	}
	// A NULL points pointer means point 0 for all.
	h := e.create(0)
	if err := e.tab.TimelineSignal(e.mem.io(), e.mem.u32s(h), 0, 1, 0); err != nil {
		t.Fatal(err)
	}
	if f := e.obj(h).Fence(); fence.ToChain(f) == nil || f.Seqno() != 0 {
		t.Fatalf("fence = %v, want a chain node at 0", f)
	}
	// signal-point-0 after a point: the head keeps its seqno (P2).
	e.tsignal([]uint32{h}, []uint64{5})
	e.tsignal([]uint32{h}, []uint64{0})
	if got := e.obj(h).Fence().Seqno(); got != 5 {
		t.Errorf("head seqno = %d, want 5", got)
	}
	if _, err := e.twait([]uint32{h}, []uint64{0}, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.wait([]uint32{h}, 0, 0); err != nil {
		t.Fatal(err)
	}
}

func TestQueryQ1Checks(t *testing.T) {
	e := newEnv(t)
	io := e.mem.io()
	out := e.mem.u64s(0, 0, 0)
	wantErr(t, "bad flags", e.tab.Query(io, e.mem.u32s(0), out, 1, 0xdeadbeef), errno.EINVAL)
	wantErr(t, "zero handles", e.tab.Query(io, 0, out, 0, 0), errno.EINVAL)
	wantErr(t, "illegal handle", e.tab.Query(io, e.mem.u32s(0), out, 1, 0), errno.ENOENT)
	a, b := e.create(0), e.create(0)
	e.tsignal([]uint32{a, b}, []uint64{1, 1})
	wantErr(t, "one illegal handle", e.tab.Query(io, e.mem.u32s(a, 0, b), out, 3, 0), errno.ENOENT)
	wantErr(t, "bad handles address", e.tab.Query(io, badAddr, out, 1, 0), errno.EFAULT)
	wantErr(t, "bad points address", e.tab.Query(io, e.mem.u32s(a), badAddr, 1, 0), errno.EFAULT)
	wantErr(t, "NULL points", e.tab.Query(io, e.mem.u32s(a), 0, 1, 0), errno.EFAULT)
}

func TestQueryQ2NotAChain(t *testing.T) {
	e := newEnv(t)
	a, b := e.create(0), e.create(signaled)
	got, err := e.queryFlags(0, a, b)
	if err != nil {
		t.Fatal(err)
	}
	got2, _ := e.queryFlags(lastSubmit, a, b)
	if diff := cmp.Diff([]uint64{0, 0, 0, 0}, append(got, got2...)); diff != "" {
		t.Error(diff)
	}
}

func TestQueryQ3LastSubmitted(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	for _, p := range []uint64{1, 5, 3} {
		e.attach(h, p, tl.fence(p))
	}
	got, _ := e.queryFlags(lastSubmit, h)
	if got[0] != 5 {
		t.Errorf("last submitted = %d, want 5", got[0])
	}
	if q := e.query(h); q != 0 {
		t.Errorf("last signaled = %d, want 0", q)
	}
}

func TestQueryQ4LastSignaled(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	for p := uint64(1); p <= 4; p++ {
		e.attach(h, p, tl.fence(p))
	}
	var got []uint64
	for range 4 {
		got = append(got, e.query(h))
		tl.inc(1)
	}
	got = append(got, e.query(h))
	if diff := cmp.Diff([]uint64{0, 1, 2, 3, 4}, got); diff != "" {
		t.Errorf("query after each signal (-want +got):\n%s", diff)
	}
}
