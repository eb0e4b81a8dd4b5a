// Package profile describes the emulated GPUs: identity, memory sizes, rings,
// the DRM driver version reported by DRM_IOCTL_VERSION, and whether vmemu's
// EXPLICIT-sync extension is offered.
//
// The DRM version is a setting, not a fact of the part: the explicit-sync
// numbering is contested upstream (spec/amdgpu.md §1.2: KMS 3.55 and 3.60
// were proposed for it and 3.60 went to something else), so a profile says
// which KMS minor it reports and Config may override it.
package profile

import (
	"fmt"
	"sort"
)

// Version is the DRM driver version (struct drm_version).
type Version struct {
	Major, Minor, Patch int32
	Name, Date, Desc    string
}

// Profile is one emulated device.
type Profile struct {
	// Name is the profile's key, e.g. "navi31".
	Name string
	// Marketing is the product name.
	Marketing string
	// Family is the AMDGPU_FAMILY_* value; ChipClass a human name for it.
	Family    uint32
	ChipClass string
	// PCI identity.
	VendorID, DeviceID uint16
	RevisionID         uint8
	// Memory sizes in bytes.
	VRAMSize, VisibleVRAMSize, GTTSize uint64
	// APU is true for integrated parts (no dedicated VRAM beyond a carve-out).
	APU bool
	// Rings per hardware IP: number of rings of gfx, compute, sdma.
	GfxRings, ComputeRings, SDMARings int
	// VABits is the GPU virtual address width (48 or 57).
	VABits int
	// DRM is the reported driver version.
	DRM Version
	// Explicit offers vmemu's EXPLICIT-sync extension (the context flag and
	// the GEM_VA flag 1<<10). Not upstream uAPI.
	Explicit bool
}

// drmAMDGPU is the version of the newest amdgpu read for the spec
// (spec/uapi.md §2.1, D1: KMS 3.65.0; the date string is "0" since driver
// dates were removed from DRM).
var drmAMDGPU = Version{Major: 3, Minor: 65, Patch: 0, Name: "amdgpu", Date: "0", Desc: "AMD GPU"}

var registry = map[string]*Profile{}

// Register adds a profile. It panics on a duplicate name (a programming
// error).
func Register(p *Profile) {
	if _, dup := registry[p.Name]; dup {
		panic("profile: duplicate " + p.Name)
	}
	registry[p.Name] = p
}

// DefaultName is the profile used when none is named.
const DefaultName = "navi31"

// Lookup returns a copy of the named profile ("" is the default).
func Lookup(name string) (Profile, error) {
	if name == "" {
		name = DefaultName
	}
	p, ok := registry[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q (have %v)", name, Names())
	}
	return *p, nil
}

// Names lists the registered profiles, sorted.
func Names() []string {
	var ns []string
	for n := range registry {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

const (
	GiB = 1 << 30
	MiB = 1 << 20
)

func init() {
	Register(&Profile{
		Name: "navi31", Marketing: "AMD Radeon RX 7900 XTX", Family: 145, ChipClass: "GFX11 (RDNA3)",
		VendorID: 0x1002, DeviceID: 0x744C, RevisionID: 0xC8,
		VRAMSize: 24 * GiB, VisibleVRAMSize: 24 * GiB, GTTSize: 16 * GiB,
		GfxRings: 1, ComputeRings: 4, SDMARings: 2, VABits: 48,
		DRM: drmAMDGPU, Explicit: true,
	})
}
