// Package examples holds vmemu's commented example scenarios, one or more
// per mailing-list thread in spec/threads/, each with its expected outcome
// stated at the top as expect lines; the tests run them all. It embeds
// them so that 'vmemu demo' needs no files.
package examples

import "embed"

// FS holds every *.vmemu file of this directory.
//
//go:embed *.vmemu
var FS embed.FS

// DemoItem is one scenario of 'vmemu demo'.
type DemoItem struct {
	File   string // in FS
	Policy string // the policy to run it under
	Why    string // one line printed before its report
}

// Demo lists the demo's scenarios: the 2022 thread's three rules, the
// implicit policy for contrast, and one hazard.
func Demo() []DemoItem {
	return []DemoItem{
		{"e1-map-without-wait.vmemu", "explicit",
			"Rule 1 (E1): the CS does not wait for its map's page-table update; it runs first and faults."},
		{"e1-map-without-wait.vmemu", "implicit",
			"The same scenario under the implicit (upstream) policy: the kernel makes the CS wait; no fault."},
		{"e1-map-as-dependency.vmemu", "explicit",
			"Rule 1 done right: the map's out-syncobj is a CS dependency; no fault, no kernel-inserted wait."},
		{"e4-early-free.vmemu", "explicit",
			"Rule 2 (E4): freeing before the unmap completed makes the kernel force a wait into the next CS."},
		{"e5-vm-ops-in-order.vmemu", "explicit",
			"Rule 3 (E5): VM operations execute in order, whatever their input fences."},
		{"hazard-race.vmemu", "explicit",
			"A hazard: two submissions write one buffer with nothing ordering them."},
	}
}
