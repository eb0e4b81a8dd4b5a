package syncobj

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vmemu/vmemu/errno"
)

// Reference: drm_syncobj_wait_ioctl(), drm_syncobj_timeline_wait_ioctl(),
// drm_syncobj_array_wait_timeout().

func TestWaitW1Flags(t *testing.T) {
	e := newEnv(t)
	h := e.create(signaled)
	for _, flags := range []uint32{0xdeadbeef, fAvailable, 1 << 4} {
		_, err := e.wait([]uint32{h}, flags, 0)
		wantErr(t, fmt.Sprintf("wait flags %#x", flags), err, errno.EINVAL)
	}
	_, err := e.twait([]uint32{h}, []uint64{0}, 0xdeadbeef, 0)
	wantErr(t, "timeline wait", err, errno.EINVAL)
	// Flags are checked before anything else: handle 0, count 0.
	err = e.tab.Wait(e.mem.io(), &WaitArgs{Flags: 0xdeadbeef})
	wantErr(t, "bad flags, count 0", err, errno.EINVAL)
	for _, flags := range []uint32{fAll | fSubmit | fDeadline, 0} {
		_, err := e.wait([]uint32{h}, flags, 0)
		wantErr(t, "valid flags", err, nil)
	}
	_, err = e.twait([]uint32{h}, []uint64{0}, fAll|fSubmit|fDeadline|fAvailable, 0)
	wantErr(t, "timeline valid flags", err, nil)
}

func TestWaitW2ZeroHandles(t *testing.T) {
	e := newEnv(t)
	for _, wait := range []func(*WaitArgs) error{
		func(a *WaitArgs) error { return e.tab.Wait(e.mem.io(), a) },
		func(a *WaitArgs) error { return e.tab.TimelineWait(e.mem.io(), a) },
	} {
		a := WaitArgs{Handles: badAddr, FirstSignaled: 1234}
		wantErr(t, "zero handles", wait(&a), nil)
		if a.FirstSignaled != 1234 {
			t.Errorf("first_signaled = %d, want untouched 1234", a.FirstSignaled)
		}
	}
}

func TestWaitW3Arrays(t *testing.T) {
	e := newEnv(t)
	h := e.create(signaled)
	// invalid-wait-illegal-handle uses handle 0.
	_, err := e.wait([]uint32{0}, 0, 0)
	wantErr(t, "handle 0", err, errno.ENOENT)
	_, err = e.wait([]uint32{h, 7}, 0, 0)
	wantErr(t, "one unknown", err, errno.ENOENT)
	err = e.tab.Wait(e.mem.io(), &WaitArgs{Handles: badAddr, CountHandles: 1})
	wantErr(t, "bad handles", err, errno.EFAULT)
	// The points are read after the handle lookups.
	err = e.tab.TimelineWait(e.mem.io(), &WaitArgs{Handles: e.mem.u32s(0), Points: badAddr, CountHandles: 1})
	wantErr(t, "unknown handle, bad points", err, errno.ENOENT)
	err = e.tab.TimelineWait(e.mem.io(), &WaitArgs{Handles: e.mem.u32s(h), Points: badAddr, CountHandles: 1})
	wantErr(t, "bad points", err, errno.EFAULT)
	// Binary WAIT ignores Points; a NULL points pointer is all zeros.
	err = e.tab.Wait(e.mem.io(), &WaitArgs{Handles: e.mem.u32s(h), Points: badAddr, CountHandles: 1})
	wantErr(t, "binary wait with points", err, nil)
	err = e.tab.TimelineWait(e.mem.io(), &WaitArgs{Handles: e.mem.u32s(h), CountHandles: 1})
	wantErr(t, "NULL points", err, nil)
}

// Reference: kmalloc_array()/kzalloc_objs() failing above KMALLOC_MAX_SIZE.
func TestArrayENOMEMKmallocLimits(t *testing.T) {
	e := newEnv(t)
	io := e.mem.io()
	// handles: count*4 > 4 MiB fails before the copy.
	err := e.tab.Wait(io, &WaitArgs{Handles: badAddr, CountHandles: 1<<20 + 1})
	wantErr(t, "handles array", err, errno.ENOMEM)
	err = e.tab.Wait(io, &WaitArgs{Handles: badAddr, CountHandles: 1 << 20})
	wantErr(t, "handles array at the limit", err, errno.EFAULT)
	// syncobjs: count*8 > 4 MiB fails after the copy.
	err = e.tab.Reset(io, badAddr, 1<<19+1, 0)
	wantErr(t, "syncobjs array, bad address", err, errno.EFAULT)
	h := e.create(signaled)
	many := make([]uint32, 1<<19+1)
	for i := range many {
		many[i] = h
	}
	err = e.tab.Reset(io, e.mem.u32s(many...), uint32(len(many)), 0)
	wantErr(t, "syncobjs array", err, errno.ENOMEM)
	// wait entries: count*64 > 4 MiB.
	_, err = e.wait(many[:1<<16+1], 0, 0)
	wantErr(t, "wait entries", err, errno.ENOMEM)
	_, err = e.wait(many[:1<<16], 0, 0)
	wantErr(t, "wait entries at the limit", err, nil)
}

func TestWaitW4UnsubmittedIsEINVAL(t *testing.T) {
	e := newEnv(t)
	sig, unsub := e.create(signaled), e.create(0)
	for _, timeout := range []int64{0, e.clock.Now() + 100*ms, forever} {
		_, err := e.wait([]uint32{sig, unsub}, 0, timeout)
		wantErr(t, "binary", err, errno.EINVAL)
		_, err = e.twait([]uint32{sig, sig}, []uint64{0, 1}, 0, timeout)
		wantErr(t, "binary syncobj at point 1", err, errno.EINVAL)
	}
	if e.clock.Now() != startTime {
		t.Error("an EINVAL wait moved the clock")
	}
}

// IGT syncobj_wait signal.
func TestWaitW5ForSubmit(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	_, err := e.wait([]uint32{h}, 0, 0)
	wantErr(t, "no flags", err, errno.EINVAL)
	_, err = e.wait([]uint32{h}, fSubmit, 0)
	wantErr(t, "for submit, poll", err, errno.ETIME)
	_, err = e.wait([]uint32{h}, fSubmit, e.clock.Now()+100*ms)
	wantErr(t, "for submit, timeout", err, errno.ETIME)
	if err := e.signal(h); err != nil {
		t.Fatal(err)
	}
	for _, flags := range []uint32{0, fSubmit} {
		_, err = e.wait([]uint32{h}, flags, 0)
		wantErr(t, "after signal", err, nil)
	}
}

func TestWaitW6Available(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	e.attach(h, 2, tl.fence(1))
	_, err := e.twait([]uint32{h}, []uint64{2}, fAvailable, 0)
	wantErr(t, "submitted, available", err, nil)
	_, err = e.twait([]uint32{h}, []uint64{2}, 0, 0)
	wantErr(t, "submitted, signaled", err, errno.ETIME)
	_, err = e.twait([]uint32{h}, []uint64{3}, fAvailable, 0)
	wantErr(t, "unsubmitted, available", err, errno.ETIME)
	// AVAILABLE waits for submission, FOR_SUBMIT or not.
	e.clock.After(10*ms, func() { e.obj(h).AddPoint(tl.fence(2), 3) })
	_, err = e.twait([]uint32{h}, []uint64{3}, fAvailable, e.clock.Now()+20*ms)
	wantErr(t, "delayed submit, available", err, nil)
	if got := e.clock.Now(); got != startTime+10*ms {
		t.Errorf("returned at %d, want %d", got, startTime+10*ms)
	}
}

type waitState int

const (
	unsubmitted waitState = iota
	submitted
	signaledState
)

func (s waitState) String() string {
	return [...]string{"unsubmitted", "submitted", "signaled"}[s]
}

// expectWait is the IGT matrices' oracle, following S1: an unsubmitted
// entry without FOR_SUBMIT or AVAILABLE is EINVAL; an entry is satisfied
// when signaled, or submitted with AVAILABLE.
func expectWait(states []waitState, flags uint32) (error, int) {
	for _, s := range states {
		if s == unsubmitted && flags&(fSubmit|fAvailable) == 0 {
			return errno.EINVAL, -1
		}
	}
	first, n := -1, 0
	for i, s := range states {
		if s == signaledState || (s == submitted && flags&fAvailable != 0) {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if flags&fAll != 0 && n == len(states) || flags&fAll == 0 && n > 0 {
		return nil, first
	}
	return errno.ETIME, -1
}

func flagName(flags uint32) string {
	var s []string
	for _, f := range []struct {
		bit  uint32
		name string
	}{{fAll, "all"}, {fSubmit, "for-submit"}, {fAvailable, "available"}} {
		if flags&f.bit != 0 {
			s = append(s, f.name)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "-")
}

// setState puts h into state st at point p.
func (e *env) setState(h uint32, p uint64, st waitState) {
	if st == unsubmitted {
		return
	}
	tl := newSWTimeline(e.d)
	e.attach(h, p, tl.fence(1))
	if st == signaledState {
		tl.inc(1)
	}
}

// IGT syncobj_wait / syncobj_timeline [invalid-|etime-]single-wait-* and
// multi-wait-*: each case with timeout 0, now+100 ms, and UINT64_MAX
// (which as s64 is -1, a poll) when not ETIME.
func TestWaitW7Matrix(t *testing.T) {
	var stateSets [][]waitState
	for mask := 1; mask < 8; mask++ {
		var set []waitState
		for s := unsubmitted; s <= signaledState; s++ {
			if mask&(1<<s) != 0 {
				set = append(set, s)
			}
		}
		stateSets = append(stateSets, set)
	}
	for _, timeline := range []bool{false, true} {
		flagSets := []uint32{0, fAll, fSubmit, fAll | fSubmit}
		if timeline {
			for _, f := range flagSets[:4] {
				flagSets = append(flagSets, f|fAvailable)
			}
		}
		for _, flags := range flagSets {
			for _, set := range stateSets {
				// Single waits use one state; multi waits fill 5 entries.
				var cases [][]waitState
				if len(set) == 1 {
					cases = append(cases, set)
				}
				multi := make([]waitState, 5)
				for i := range multi {
					multi[i] = set[min(i, len(set)-1)]
				}
				cases = append(cases, multi)
				for _, states := range cases {
					name := fmt.Sprintf("timeline=%v/%s/%v", timeline, flagName(flags), states)
					t.Run(name, func(t *testing.T) {
						e := newEnv(t)
						points := []uint64{3, 0, 7, 2, 0}
						if !timeline {
							points = make([]uint64, 5)
						}
						var hs []uint32
						for i, st := range states {
							h := e.create(0)
							e.setState(h, points[i], st)
							hs = append(hs, h)
						}
						wantE, wantFirst := expectWait(states, flags)
						timeouts := []int64{0, e.clock.Now() + 100*ms}
						if wantE != errno.ETIME {
							timeouts = append(timeouts, -1)
						}
						for _, to := range timeouts {
							var first uint32
							var err error
							if timeline {
								first, err = e.twait(hs, points[:len(hs)], flags, to)
							} else {
								first, err = e.wait(hs, flags, to)
							}
							wantErr(t, fmt.Sprintf("timeout %d", to), err, wantE)
							if err == nil && flags&fAll == 0 && int(first) != wantFirst {
								t.Errorf("first_signaled = %d, want %d", first, wantFirst)
							}
						}
					})
				}
			}
		}
	}
}

func TestWaitW8FirstSignaled(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	a, b, c := e.create(0), e.create(0), e.create(0)
	e.attach(a, 0, tl.fence(2))
	e.attach(b, 0, tl.fence(1))
	e.attach(c, 0, tl.fence(1))
	hs := []uint32{a, b, c}
	// WAIT_ALL: nothing signaled in the initial scan → 0xFFFFFFFF.
	e.clock.After(ms, func() { tl.inc(2) })
	first, err := e.wait(hs, fAll, forever)
	if err != nil || first != 0xFFFFFFFF {
		t.Errorf("wait all = %#x, %v; want 0xffffffff, nil", first, err)
	}
	// WAIT_ALL: the first signaled index of the initial scan.
	e.obj(a).ReplaceFence(tl.fence(3))
	e.clock.After(ms, func() { tl.inc(1) })
	first, err = e.wait(hs, fAll, forever)
	if err != nil || first != 1 {
		t.Errorf("wait all = %d, %v; want 1, nil", first, err)
	}
	// Any: the first index found in the wait loop.
	e.obj(a).ReplaceFence(tl.fence(6))
	e.obj(b).ReplaceFence(tl.fence(5))
	e.obj(c).ReplaceFence(tl.fence(4))
	e.clock.After(ms, func() { tl.inc(1) })
	first, err = e.wait(hs, 0, forever)
	if err != nil || first != 2 {
		t.Errorf("wait any = %d, %v; want 2, nil", first, err)
	}
}

// IGT wait-{any,all,for-submit,all-for-submit}-snapshot, binary and
// timeline (point 1): the fence an entry resolved to is kept when the
// syncobj is reset and given a fence that never signals.
func TestWaitW9Snapshot(t *testing.T) {
	for _, timeline := range []bool{false, true} {
		for _, flags := range []uint32{0, fAll, fSubmit, fAll | fSubmit} {
			t.Run(fmt.Sprintf("timeline=%v/%s", timeline, flagName(flags)), func(t *testing.T) {
				e := newEnv(t)
				var point uint64
				if timeline {
					point = 1
				}
				hs := []uint32{e.create(0), e.create(0)}
				tls := []*swTimeline{newSWTimeline(e.d), newSWTimeline(e.d)}
				if flags&fSubmit == 0 {
					e.attach(hs[0], point, tls[0].fence(1))
					e.attach(hs[1], point, tls[1].fence(1))
				}
				step := func(k int, fn func()) { e.clock.After(int64(k)*20*ms, fn) }
				step(1, func() {
					switch {
					case flags&fAll != 0 && flags&fSubmit != 0:
						e.attach(hs[0], point, e.d.Stub())
					case flags&fAll != 0:
						tls[0].inc(1)
					case flags&fSubmit != 0:
						e.attach(hs[0], point, tls[0].fence(1))
					}
				})
				step(2, func() { e.reset(hs[0]) })
				step(3, func() { e.attach(hs[0], point, newSWTimeline(e.d).fence(1)) })
				step(4, func() {
					if flags&fSubmit != 0 {
						e.attach(hs[1], point, e.d.Stub())
					} else {
						tls[1].inc(1)
					}
				})
				first, err := e.twait(hs, []uint64{point, point}, flags, e.clock.Now()+100*ms)
				if err != nil {
					t.Fatalf("wait: %v", err)
				}
				if flags&fAll == 0 && first != 1 {
					t.Errorf("first_signaled = %d, want 1", first)
				}
			})
		}
	}
}

// IGT reset-during-wait-for-submit.
func TestWaitW9ResetDuringWaitForSubmit(t *testing.T) {
	for _, point := range []uint64{0, 1} {
		t.Run(fmt.Sprint("point=", point), func(t *testing.T) {
			e := newEnv(t)
			h := e.create(0)
			tl := newSWTimeline(e.d)
			e.clock.After(100*ms, func() {
				e.reset(h)
				e.attach(h, point, tl.fence(1))
				tl.inc(1)
			})
			_, err := e.twait([]uint32{h}, []uint64{point}, fSubmit, e.clock.Now()+200*ms)
			wantErr(t, "wait", err, nil)
		})
	}
}

func TestWaitW10DeadlineHint(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	a, b := e.create(0), e.create(0)
	fa, fb := tl.fence(1), tl.fence(2)
	e.attach(a, 0, fa)
	e.attach(b, 4, fb)
	// Without the flag no hint is set.
	e.twait([]uint32{a, b}, []uint64{0, 4}, 0, 0)
	if fa.Deadline() != 0 {
		t.Fatal("deadline set without WAIT_DEADLINE")
	}
	hint := e.clock.Now() + 3*ms
	args := WaitArgs{Handles: e.mem.u32s(a, b), Points: e.mem.u64s(0, 4), CountHandles: 2,
		Flags: fDeadline | fAll, DeadlineNsec: uint64(hint)}
	wantErr(t, "wait", e.tab.TimelineWait(e.mem.io(), &args), errno.ETIME)
	if fa.Deadline() != hint || fb.Deadline() != hint {
		t.Errorf("deadlines %d, %d; want %d", fa.Deadline(), fb.Deadline(), hint)
	}
}

func TestWaitW11ErrorsIgnored(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h, p := e.create(0), e.create(0)
	f := tl.fence(1)
	f.SetErrno(errno.EIO)
	e.attach(h, 0, f)
	e.attach(p, 1, f)
	tl.inc(1)
	if f.Status() != -int32(errno.EIO) {
		t.Fatalf("status = %d", f.Status())
	}
	_, err := e.wait([]uint32{h}, 0, 0)
	wantErr(t, "wait", err, nil)
	_, err = e.twait([]uint32{p}, []uint64{1}, 0, 0)
	wantErr(t, "timeline wait", err, nil)
}

// W12: a Go wait is interrupted only through WaitArgs.Cancel.
func TestWaitW12Cancel(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	cancel := make(chan struct{})
	done := make(chan error)
	go func() {
		a := WaitArgs{Handles: e.mem.u32s(h), CountHandles: 1, Flags: fSubmit,
			TimeoutNsec: forever, Cancel: cancel}
		done <- e.tab.Wait(e.mem.io(), &a)
	}()
	close(cancel)
	wantErr(t, "canceled wait", <-done, errno.ERESTARTSYS)
	// A poll checks the timeout first.
	a := WaitArgs{Handles: e.mem.u32s(h), CountHandles: 1, Flags: fSubmit, Cancel: cancel}
	wantErr(t, "canceled poll", e.tab.Wait(e.mem.io(), &a), errno.ETIME)
	if n := len(e.obj(h).waiters); n != 0 {
		t.Errorf("%d waiters left registered", n)
	}
}

// IGT wait-{any,all}-interrupted: restarting an interrupted wait with the
// same absolute timeout ends in ETIME at the deadline.
func TestWaitW12InterruptedRestartsEndInETIME(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h := e.create(0)
	e.attach(h, 1, tl.fence(1))
	deadline := e.clock.Now() + 100*ms
	restarts := 0
	for {
		cancel := make(chan struct{})
		e.clock.After(7*ms, func() { close(cancel) })
		a := WaitArgs{Handles: e.mem.u32s(h), Points: e.mem.u64s(1), CountHandles: 1,
			TimeoutNsec: deadline, Cancel: cancel}
		err := e.tab.TimelineWait(e.mem.io(), &a)
		if errName(err) == "ERESTARTSYS" {
			restarts++
			continue
		}
		wantErr(t, "final", err, errno.ETIME)
		break
	}
	if restarts != 14 || e.clock.Now() != deadline {
		t.Errorf("restarts = %d at %d; want 14 at %d", restarts, e.clock.Now(), deadline)
	}
}

func TestWaitTimeoutIsAbsoluteS64(t *testing.T) {
	e := newEnv(t)
	h := e.create(0)
	e.attach(h, 0, newSWTimeline(e.d).fence(1))
	now := e.clock.Now()
	for _, to := range []int64{0, -1, 1, now - 1, now} {
		_, err := e.wait([]uint32{h}, 0, to)
		wantErr(t, fmt.Sprint("poll ", to), err, errno.ETIME)
		if e.clock.Now() != now {
			t.Fatalf("poll %d moved the clock", to)
		}
	}
	_, err := e.wait([]uint32{h}, 0, now+5)
	wantErr(t, "timeout", err, errno.ETIME)
	if e.clock.Now() != now+5 {
		t.Errorf("clock = %d, want %d", e.clock.Now(), now+5)
	}
}

// IGT wait-delayed-signal, wait-for-submit-delayed-submit,
// wait-all-delayed-signal, wait-all-for-submit-delayed-submit: the trigger
// is a clock event 100 ms out, the deadline 200 ms.
func TestWaitDelayedSignal(t *testing.T) {
	for _, timeline := range []bool{false, true} {
		for _, flags := range []uint32{0, fSubmit, fAll, fAll | fSubmit} {
			t.Run(fmt.Sprintf("timeline=%v/%s", timeline, flagName(flags)), func(t *testing.T) {
				e := newEnv(t)
				var point uint64
				if timeline {
					point = 1
				}
				h := e.create(0)
				tl := newSWTimeline(e.d)
				if flags&fSubmit != 0 {
					e.clock.After(100*ms, func() { e.attach(h, point, tl.fence(1)); tl.inc(1) })
				} else {
					e.attach(h, point, tl.fence(1))
					e.clock.After(100*ms, func() { tl.inc(1) })
				}
				start := e.clock.Now()
				_, err := e.twait([]uint32{h}, []uint64{point}, flags, start+200*ms)
				wantErr(t, "wait", err, nil)
				if got := e.clock.Now() - start; got != 100*ms {
					t.Errorf("waited %d ns, want %d", got, 100*ms)
				}
			})
		}
	}
}

// A wait with no timeout woken by another goroutine.
func TestWaitForeverWokenByAnotherGoroutine(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	a, b := e.create(0), e.create(0)
	done := make(chan error)
	go func() {
		_, err := e.twait([]uint32{a, b}, []uint64{0, 3}, fAll|fSubmit, forever)
		done <- err
	}()
	e.attach(a, 0, tl.fence(1))
	e.attach(b, 3, tl.fence(2))
	tl.inc(2)
	wantErr(t, "wait", <-done, nil)
}

// IGT wait-{any,all,for-submit,all-for-submit}-complex, on all 8 syncobjs:
// a shuffled schedule submits, signals, resets and resubmits (never
// signaling) each syncobj; the wait completes on the first (any) or last
// (all) first-time signal, whatever happens to the syncobjs afterwards.
func TestWaitComplex(t *testing.T) {
	for _, flags := range []uint32{0, fAll, fSubmit, fAll | fSubmit} {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", flagName(flags), seed), func(t *testing.T) {
				e := newEnv(t)
				const n = 8
				hs := make([]uint32, n)
				tls := make([]*swTimeline, n)
				stage := make([]waitState, n)
				for i := range hs {
					hs[i] = e.create(0)
					if flags&fSubmit == 0 {
						tls[i] = newSWTimeline(e.d)
						e.attach(hs[i], 0, tls[i].fence(1))
						stage[i] = submitted
					}
				}
				var order []int
				for range 4 {
					order = append(order, rand.New(rand.NewPCG(seed, uint64(len(order)))).Perm(n)...)
				}
				numSignaled, firstSignaled := 0, -1
				resets := make([]bool, n)
				for j, i := range order {
					var step func()
					switch {
					case stage[i] == unsubmitted:
						tls[i] = newSWTimeline(e.d)
						tl := tls[i]
						step = func() { e.attach(hs[i], 0, tl.fence(1)) }
						stage[i] = submitted
					case stage[i] == submitted && !resets[i]:
						tl := tls[i]
						step = func() { tl.inc(1) }
						stage[i] = signaledState
						if numSignaled == 0 {
							firstSignaled = i
						}
						numSignaled++
					case stage[i] == signaledState:
						step = func() { e.reset(hs[i]) }
						stage[i], resets[i] = unsubmitted, true
					default: // reset: resubmit, never signaling
						stage[i] = submitted
						step = func() { e.attach(hs[i], 0, newSWTimeline(e.d).fence(1)) }
					}
					e.clock.After(int64(j+1)*ms, step)
					if flags&fAll != 0 && numSignaled == n || flags&fAll == 0 && numSignaled > 0 {
						break
					}
				}
				if flags&fAll != 0 && numSignaled != n {
					t.Skipf("schedule signals only %d of %d", numSignaled, n)
				}
				first, err := e.wait(hs, flags, e.clock.Now()+time1s)
				if err != nil {
					t.Fatalf("wait: %v", err)
				}
				if flags&fAll == 0 && int(first) != firstSignaled {
					t.Errorf("first_signaled = %d, want %d", first, firstSignaled)
				}
			})
		}
	}
}

const time1s = 1000 * ms

// A timed-out wait leaves no waiter registered.
func TestWaitCleansUp(t *testing.T) {
	e := newEnv(t)
	tl := newSWTimeline(e.d)
	h, u := e.create(0), e.create(0)
	e.attach(h, 0, tl.fence(1))
	_, err := e.wait([]uint32{h, u}, fAll|fSubmit, e.clock.Now()+ms)
	wantErr(t, "wait", err, errno.ETIME)
	if n := len(e.obj(u).waiters); n != 0 {
		t.Errorf("%d waiters left", n)
	}
}
