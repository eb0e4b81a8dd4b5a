package scenario

import (
	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/check"
)

// newChecker returns the hazard checker a run feeds through its devices
// (amdgpu.Config.Check), stamping reports with the run's clock.
func newChecker(now func() int64) *check.Checker {
	return check.New(check.Options{Now: now})
}

func configureCheck(cfg *amdgpu.Config, c *check.Checker) { cfg.Check = c }

// applyDeviceStats takes the counters the devices keep themselves
// (amdgpu.Device.Stats) where they see more than the runner: ioctls issued
// by the client layer, memory high-water marks between samples, faults,
// forced waits and stalls as the device counts them.
func applyDeviceStats(r *runner) {
	st := &r.res.Stats
	var ioctls, faults, forced, stalls uint64
	var forcedNS, stallNS int64
	var ev, moved uint64
	for _, d := range r.devList {
		ds := d.dev.Stats()
		ioctls += ds.Ioctls
		faults += ds.Faults
		forced += ds.ForcedWaits
		stalls += ds.Stalls
		forcedNS += ds.ForcedWaitNS
		stallNS += ds.StallNS
		ev += ds.Evictions
		moved += ds.BytesMoved
		st.VRAMHigh = max(st.VRAMHigh, ds.VRAMHighWater)
		st.GTTHigh = max(st.GTTHigh, ds.GTTHighWater)
	}
	st.Ioctls = int(ioctls)
	st.Faults = max(st.Faults, int(faults))
	st.ForcedWaits, st.ForcedWaitNS = max(st.ForcedWaits, int(forced)), max(st.ForcedWaitNS, forcedNS)
	st.Stalls, st.StallNS = max(st.Stalls, int(stalls)), max(st.StallNS, stallNS)
	st.Evictions, st.BytesMoved = max(st.Evictions, ev), max(st.BytesMoved, moved)
}
