package conformance

import (
	"math/bits"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/uapi"
)

// The generated single-wait / multi-wait subtests of syncobj_wait.c and
// syncobj_timeline.c. IGT loops over every value of its local test flags
// below WAIT_FLAGS_MAX — written (1 << n) - 1 without parentheses, so the
// loop stops one short of "every bit set" — and names, sets up and checks
// each combination. This file reproduces the loops, the names, the state
// assignment and the expected results.

// waitState is the state a syncobj is put in before the wait.
type waitState int

const (
	unsubmitted waitState = iota // no fence
	submitted                    // an unsignaled fence
	signaled                     // a signaled fence
)

func (s waitState) String() string {
	return [...]string{"unsubmitted", "submitted", "signaled"}[s]
}

// matrix describes one file's local flag layout.
type matrix struct {
	api api
	// available is the local WAIT_AVAILABLE bit (timeline only; 0 for
	// syncobj_wait.c).
	available uint32
	// unsubmittedBit is the first of the three state bits (unsubmitted,
	// submitted, signaled, in that order).
	unsubmittedBit uint32
	// max is WAIT_FLAGS_MAX as the loop bound evaluates: (1 << n) - 1.
	max uint32
	// multiN is the number of syncobjs of multi-wait.
	multiN int
}

var (
	// syncobj_wait.c: FOR_SUBMIT 1, ALL 2, UNSUBMITTED 4, SUBMITTED 8,
	// SIGNALED 16, WAIT_FLAGS_MAX (1 << 5) - 1; multi-wait on 3.
	binaryMatrix = matrix{api: binaryAPI, unsubmittedBit: 1 << 2, max: 1<<5 - 1, multiN: 3}
	// syncobj_timeline.c: FOR_SUBMIT 1, ALL 2, AVAILABLE 4, UNSUBMITTED 8,
	// SUBMITTED 16, SIGNALED 32, WAIT_FLAGS_MAX (1 << 6) - 1; multi-wait on
	// 5 with points {rand, 0, rand, rand, 0}.
	timelineMatrix = matrix{api: timelineAPI, available: 1 << 2, unsubmittedBit: 1 << 3, max: 1<<6 - 1, multiN: 5}
)

func (m matrix) stateBit(s waitState) uint32 { return m.unsubmittedBit << s }
func (m matrix) stateMask() uint32           { return m.unsubmittedBit * 7 }

// drmFlags is flags_for_test_flags: the local bits translated to DRM's.
func (m matrix) drmFlags(local uint32) uint32 {
	f := drmWaitFlags(local)
	if m.available != 0 && local&m.available != 0 {
		f |= uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE
	}
	return f
}

// matrixCase is one generated subtest.
type matrixCase struct {
	name   string
	local  uint32
	multi  bool
	expect error
}

// expected is IGT's expected result for local flags, copied from the
// generating loops of the two files.
func (m matrix) expected(local uint32, multi bool) error {
	has := func(s waitState) bool { return local&m.stateBit(s) != 0 }
	forSubmit := local&localForSubmit != 0
	all := local&localAll != 0
	avail := m.available != 0 && local&m.available != 0
	if has(unsubmitted) && !forSubmit && !avail {
		return syscall.EINVAL
	}
	submittedAvailable := has(submitted) && avail
	if !multi {
		if !has(signaled) && !submittedAvailable {
			return syscall.ETIME
		}
		return nil
	}
	if all {
		if has(unsubmitted) || has(submitted) {
			if !has(unsubmitted) && submittedAvailable {
				return nil
			}
			return syscall.ETIME
		}
		return nil
	}
	if !has(signaled) && !submittedAvailable {
		return syscall.ETIME
	}
	return nil
}

// name is IGT's igt_subtest_f name for local flags.
func (m matrix) name(local uint32, multi bool, want error) string {
	prefix := ""
	switch {
	case want == syscall.EINVAL:
		prefix = "invalid-"
	case want == syscall.ETIME && m.api.timeline:
		prefix = "etime-" // syncobj_wait.c has no etime- prefix
	}
	kind := "single-wait"
	if multi {
		kind = "multi-wait"
	}
	s := prefix + kind
	if local&localAll != 0 {
		s += "-all"
	}
	if local&localForSubmit != 0 {
		s += "-for-submit"
	}
	if m.available != 0 && local&m.available != 0 {
		s += "-available"
	}
	for _, st := range []waitState{unsubmitted, submitted, signaled} {
		if local&m.stateBit(st) != 0 {
			s += "-" + st.String()
		}
	}
	return s
}

// cases lists the subtests IGT generates, in its order: single-wait needs
// exactly one state, multi-wait at least one.
func (m matrix) cases(multi bool) []matrixCase {
	var out []matrixCase
	for local := uint32(0); local < m.max; local++ {
		n := bits.OnesCount32(local & m.stateMask())
		if (!multi && n != 1) || (multi && n == 0) {
			continue
		}
		want := m.expected(local, multi)
		out = append(out, matrixCase{name: m.name(local, multi, want), local: local, multi: multi, expect: want})
	}
	return out
}

// states assigns a state to each of n syncobjs as IGT does: take the
// lowest remaining state bit for each syncobj, and keep the last one for
// all the rest.
func (m matrix) states(local uint32, n int) []waitState {
	rest := (local & m.stateMask()) / m.unsubmittedBit
	out := make([]waitState, n)
	for i := range out {
		idx := bits.TrailingZeros32(rest)
		bit := uint32(1) << idx
		if rest&^bit != 0 {
			rest &^= bit
		}
		out[i] = waitState(idx)
	}
	return out
}

// multiPoints returns syncobj_timeline.c's multi-wait points
// {1 + rand() % 1000, 0, 1 + rand() % 1000, 1 + rand() % 1000, 0}, from a
// fixed seed so that a failure reproduces.
func multiPoints(rng *rand.Rand) []uint64 {
	r := func() uint64 { return 1 + rng.Uint64N(1000) }
	return []uint64{r(), 0, r(), r(), 0}
}

// run is test_single_wait / test_multi_wait: put the syncobjs in their
// states, then wait with timeout 0, with short_timeout() and — unless
// ETIME is expected — with UINT64_MAX, each giving the expected result.
func (m matrix) run(t *testing.T, c *drm, tc matrixCase, rng *rand.Rand) {
	n := 1
	if tc.multi {
		n = m.multiN
	}
	var points []uint64
	switch {
	case !m.api.timeline:
		points = make([]uint64, n)
	case tc.multi:
		points = multiPoints(rng)
	default:
		points = []uint64{1}
	}
	hs := make([]uint32, n)
	for i := range hs {
		hs[i] = c.create(0)
	}
	states := m.states(tc.local, n)
	t.Logf("states %v, points %v, DRM flags %#x", states, points, m.drmFlags(tc.local))
	for i, st := range states {
		if st == unsubmitted {
			continue
		}
		tl := c.attachSWSync(hs[i], points[i])
		if st == signaled {
			tl.inc(1)
		}
	}
	flags := m.drmFlags(tc.local)
	check := func(name string, timeout int64) {
		t.Helper()
		_, err := m.api.waitErr(c, hs, points, timeout, flags)
		expect(t, "wait with timeout "+name, err, tc.expect)
	}
	check("0", 0)
	check("short_timeout()", c.tg.Now()+shortTime)
	if tc.expect != syscall.ETIME {
		check("UINT64_MAX", uint64Max)
	}
	for _, h := range hs {
		c.destroy(h)
	}
}

// subtests returns the generated single-wait (multi false) or multi-wait
// subtests; setup prepares each one (the file's fixture).
func (m matrix) subtests(multi bool, setup func(t *testing.T) *drm) []subtest {
	var out []subtest
	rng := rand.New(rand.NewPCG(0x5eed, 0x1c7))
	for _, tc := range m.cases(multi) {
		seed := rng.Uint64()
		out = append(out, subtest{tc.name, func(t *testing.T) {
			c := setup(t)
			m.run(t, c, tc, rand.New(rand.NewPCG(seed, 0)))
		}})
	}
	return out
}
