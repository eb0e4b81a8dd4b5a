package conformance

import (
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/uapi"
)

// IGT tests/syncobj_wait.c: SYNCOBJ_WAIT (binary syncobjs, IGT's 32-byte
// struct), RESET and SIGNAL.

// waitSetup sets up a subtest of syncobj_wait (its fixture:
// has_syncobj_wait and igt_require_sw_sync).
func waitSetup(t *testing.T) *drm {
	c, _ := setup(t)
	c.requireSyncobjWait()
	c.requireSwSync()
	return c
}

func syncobjWaitSubtests() []subtest {
	a := binaryAPI
	shared := func(name string, f func(t *testing.T, c *drm)) subtest {
		return subtest{name, func(t *testing.T) { f(t, waitSetup(t)) }}
	}
	subs := []subtest{
		shared("invalid-wait-bad-flags", func(t *testing.T, c *drm) {
			expect(t, "WAIT(flags 0xdeadbeef)", c.waitV1(&uapi.SyncobjWait_V1{Flags: 0xdeadbeef}, nil), syscall.EINVAL)
		}),
		shared("wait-zero-handles", func(t *testing.T, c *drm) {
			expect(t, "WAIT(count 0)", c.waitV1(&uapi.SyncobjWait_V1{}, nil), nil)
		}),
		shared("invalid-wait-illegal-handle", func(t *testing.T, c *drm) {
			expect(t, "WAIT(handle 0)", c.waitErr([]uint32{0}, 0, 0), syscall.ENOENT)
		}),
	}
	for _, op := range []struct {
		name string
		req  uint32
	}{{"reset", uapi.DRM_IOCTL_SYNCOBJ_RESET}, {"signal", uapi.DRM_IOCTL_SYNCOBJ_SIGNAL}} {
		subs = append(subs,
			shared("invalid-"+op.name+"-zero-handles", func(t *testing.T, c *drm) {
				expect(t, op.name+"(count 0)", c.arrayErr(op.req, nil, 0, 0), syscall.EINVAL)
			}),
			shared("invalid-"+op.name+"-illegal-handle", func(t *testing.T, c *drm) {
				expect(t, op.name+"(handle 0)", c.arrayErr(op.req, []uint32{0}, 1, 0), syscall.ENOENT)
			}),
			shared("invalid-"+op.name+"-one-illegal-handle", func(t *testing.T, c *drm) {
				// Valid, 0, valid: ENOENT, and neither valid syncobj
				// changes. Reset starts from signaled syncobjs, signal
				// from unsubmitted ones.
				flags, before := uint32(uapi.DRM_SYNCOBJ_CREATE_SIGNALED), error(nil)
				if op.name == "signal" {
					flags, before = 0, syscall.EINVAL
				}
				hs := []uint32{c.create(flags), 0, c.create(flags)}
				expect(t, "wait on syncobj 0", c.waitErr(hs[0:1], 0, 0), before)
				expect(t, "wait on syncobj 2", c.waitErr(hs[2:3], 0, 0), before)
				expect(t, op.name+"(valid, 0, valid)", c.arrayErr(op.req, hs, 3, 0), syscall.ENOENT)
				expect(t, "wait on syncobj 0 afterwards", c.waitErr(hs[0:1], 0, 0), before)
				expect(t, "wait on syncobj 2 afterwards", c.waitErr(hs[2:3], 0, 0), before)
				c.destroy(hs[0])
				c.destroy(hs[2])
			}),
			shared("invalid-"+op.name+"-bad-pad", func(t *testing.T, c *drm) {
				expect(t, op.name+"(pad 0xdeadbeef)", c.arrayErr(op.req, []uint32{0}, 1, 0xdeadbeef), syscall.EINVAL)
			}),
		)
	}
	subs = append(subs, binaryMatrix.subtests(false, waitSetup)...)
	subs = append(subs,
		shared("wait-delayed-signal", func(t *testing.T, c *drm) { testWaitDelayedSignal(t, c, a, 0) }),
		shared("wait-for-submit-delayed-submit", func(t *testing.T, c *drm) { testWaitDelayedSignal(t, c, a, localForSubmit) }),
		shared("wait-all-delayed-signal", func(t *testing.T, c *drm) { testWaitDelayedSignal(t, c, a, localAll) }),
		shared("wait-all-for-submit-delayed-submit", func(t *testing.T, c *drm) {
			testWaitDelayedSignal(t, c, a, localAll|localForSubmit)
		}),
		shared("reset-unsignaled", func(t *testing.T, c *drm) { testResetUnsignaled(t, c, a) }),
		shared("reset-signaled", func(t *testing.T, c *drm) { testResetSignaled(t, c, a) }),
		shared("reset-multiple-signaled", func(t *testing.T, c *drm) { testResetMultipleSignaled(t, c, a) }),
		shared("reset-during-wait-for-submit", func(t *testing.T, c *drm) { testResetDuringWaitForSubmit(t, c, a) }),
		shared("signal", func(t *testing.T, c *drm) {
			h := c.create(0)
			fs := uint32(uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
			expect(t, "wait, no fence", c.waitErr([]uint32{h}, 0, 0), syscall.EINVAL)
			expect(t, "FOR_SUBMIT poll, no fence", c.waitErr([]uint32{h}, 0, fs), syscall.ETIME)
			c.signal(h)
			if ok, _ := c.wait([]uint32{h}, 0, 0); !ok {
				t.Error("wait after SIGNAL timed out")
			}
			if ok, _ := c.wait([]uint32{h}, 0, fs); !ok {
				t.Error("FOR_SUBMIT wait after SIGNAL timed out")
			}
			c.destroy(h)
		}),
	)
	subs = append(subs, binaryMatrix.subtests(true, waitSetup)...)
	for _, v := range []struct {
		name  string
		local uint32
	}{{"any", 0}, {"all", localAll}, {"for-submit", localForSubmit}, {"all-for-submit", localAll | localForSubmit}} {
		subs = append(subs, shared("wait-"+v.name+"-snapshot", func(t *testing.T, c *drm) { testWaitSnapshot(t, c, a, v.local) }))
	}
	for _, v := range []struct {
		name  string
		local uint32
	}{{"any", 0}, {"all", localAll}, {"for-submit", localForSubmit}, {"all-for-submit", localAll | localForSubmit}} {
		subs = append(subs, shared("wait-"+v.name+"-complex", func(t *testing.T, c *drm) { testWaitComplex(t, c, a, v.local) }))
	}
	subs = append(subs,
		shared("wait-any-interrupted", func(t *testing.T, c *drm) { testWaitInterrupted(t, c, a, 0) }),
		shared("wait-all-interrupted", func(t *testing.T, c *drm) { testWaitInterrupted(t, c, a, localAll) }),
	)
	return subs
}

func TestSyncobjWait(t *testing.T) { runSubtests(t, syncobjWaitSubtests()) }
