package fence

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestAddCallbackIn: caller-owned storage behaves as AddCallback's
// (registration order, removal, -ENOENT once signaled) and can be reused
// once its callback ran or was removed, as an entity reuses entity->cb.
func TestAddCallbackIn(t *testing.T) {
	_, d := newDomain(0)
	f := newFence(d)
	var got []int
	var cb Callback
	f.AddCallback(func(*Fence) { got = append(got, 0) })
	if !f.AddCallbackIn(&cb, func(*Fence) { got = append(got, 1) }) {
		t.Fatal("AddCallbackIn on a pending fence = false")
	}
	f.AddCallback(func(*Fence) { got = append(got, 2) })
	f.SignalAt(5)
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Errorf("callbacks ran %v, want [0 1 2]", got)
	}
	if f.RemoveCallback(&cb) {
		t.Error("RemoveCallback after the callback ran = true")
	}
	if f.AddCallbackIn(&cb, func(*Fence) { t.Error("callback on a signaled fence ran") }) {
		t.Error("AddCallbackIn on a signaled fence = true")
	}

	// Reuse on another fence, removed before it signals.
	g := newFence(d)
	if !g.AddCallbackIn(&cb, func(*Fence) { t.Error("removed callback ran") }) {
		t.Fatal("AddCallbackIn on a second fence = false")
	}
	if !g.RemoveCallback(&cb) || g.callbackCount() != 0 {
		t.Error("RemoveCallback of caller-owned storage failed")
	}
	// And again, re-armed from inside its own callback.
	h := newFence(d)
	n := 0
	var rearm func(*Fence)
	rearm = func(fe *Fence) {
		n++
		if fe == g {
			if !h.AddCallbackIn(&cb, rearm) {
				t.Error("re-arming from the callback failed")
			}
		}
	}
	if !g.AddCallbackIn(&cb, rearm) {
		t.Fatal("AddCallbackIn = false")
	}
	g.Signal()
	h.Signal()
	if n != 2 {
		t.Errorf("re-armed callback ran %d times, want 2", n)
	}
}

// TestSignalAddCallbackRace races SignalAt against AddCallbackIn, SetError
// and a second SignalAt: exactly one signal wins and its timestamp stays; a
// callback is either registered and run once, or refused with the fence
// already signaled; an error is either set before the signal or refused
// with a panic. Run with -race.
func TestSignalAddCallbackRace(t *testing.T) {
	_, d := newDomain(0)
	const rounds = 2000
	for i := 0; i < rounds; i++ {
		f := newFence(d)
		var ran atomic.Int32
		var cb Callback
		var wins atomic.Int32
		var wg sync.WaitGroup
		var added, sawSignaled, errSet bool
		wg.Add(4)
		for k := int64(1); k <= 2; k++ {
			go func() {
				defer wg.Done()
				if f.SignalAt(k) {
					wins.Add(1)
				}
				if !f.SignaledFlag() {
					t.Error("SignalAt returned with the fence unsignaled")
				}
			}()
		}
		go func() {
			defer wg.Done()
			added = f.AddCallbackIn(&cb, func(*Fence) { ran.Add(1) })
			if !added {
				sawSignaled = f.SignaledFlag()
			}
		}()
		go func() {
			defer wg.Done()
			defer func() { errSet = recover() == nil }()
			f.SetError(-5)
		}()
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d signals won", i, wins.Load())
		}
		if ts := f.Timestamp(); ts != 1 && ts != 2 {
			t.Fatalf("round %d: timestamp %d", i, ts)
		}
		if added && ran.Load() != 1 {
			t.Fatalf("round %d: registered callback ran %d times", i, ran.Load())
		}
		if !added && (!sawSignaled || ran.Load() != 0) {
			t.Fatalf("round %d: refused callback: signaled=%v ran=%d", i, sawSignaled, ran.Load())
		}
		if e := f.Error(); (e == -5) != errSet {
			t.Fatalf("round %d: error %d, SetError succeeded=%v", i, e, errSet)
		}
	}
}
