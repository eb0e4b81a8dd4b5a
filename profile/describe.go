package profile

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vmemu/vmemu/uapi"
)

// ipNames are the AMDGPU_HW_IP_* names used by Describe.
var ipNames = [uapi.AMDGPU_HW_IP_NUM]string{
	uapi.AMDGPU_HW_IP_GFX: "gfx", uapi.AMDGPU_HW_IP_COMPUTE: "compute", uapi.AMDGPU_HW_IP_DMA: "sdma",
	uapi.AMDGPU_HW_IP_UVD: "uvd", uapi.AMDGPU_HW_IP_VCE: "vce", uapi.AMDGPU_HW_IP_UVD_ENC: "uvd_enc",
	uapi.AMDGPU_HW_IP_VCN_DEC: "vcn_dec", uapi.AMDGPU_HW_IP_VCN_ENC: "vcn_enc",
	uapi.AMDGPU_HW_IP_VCN_JPEG: "vcn_jpeg", uapi.AMDGPU_HW_IP_VPE: "vpe",
}

// fwNames are the firmware names used by Describe.
var fwNames = map[uint32]string{
	uapi.AMDGPU_INFO_FW_GFX_ME: "me", uapi.AMDGPU_INFO_FW_GFX_PFP: "pfp", uapi.AMDGPU_INFO_FW_GFX_MEC: "mec",
}

// Describe writes the profile as aligned "key value" lines, for
// `vmemu info`. It reports the profile's own DRM version; a device's
// Config.DRMMinor override is not applied to it.
func (p *Profile) Describe(w io.Writer) error {
	d := p.DeviceInfo()
	l := p.VALayout()
	var b strings.Builder
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%-12s %s\n", k, fmt.Sprintf(format, args...))
	}
	line("profile", "%s", p.Name)
	line("product", "%s", p.Marketing)
	line("family", "%d (%s)", p.Family, p.ChipClass)
	line("pci", "%04x:%04x rev %02x", p.VendorID, p.DeviceID, p.RevisionID)
	line("chip rev", "%#x, external rev %#x", p.ChipRev, p.ExternalRev)
	kind := "discrete"
	if p.APU {
		kind = "APU (fusion)"
	}
	line("kind", "%s", kind)
	line("vram", "%d MiB (%d MiB CPU-visible)", p.VRAMSize>>20, p.VisibleVRAMSize>>20)
	line("gtt", "%d MiB", p.GTTSize>>20)
	line("rings", "gfx %d, compute %d, sdma %d", p.GfxRings, p.ComputeRings, p.SDMARings)
	for i, ip := range p.IP {
		if !ip.Present {
			continue
		}
		line("ip "+ipNames[i], "block %d.%d, discovery %d.%d.%d, %d instance(s), %d ring(s)",
			ip.Major, ip.Minor, ip.Discovery>>16&0xff, ip.Discovery>>8&0xff, ip.Discovery&0xff,
			ip.Instances, ip.Rings)
	}
	line("shaders", "%d SE x %d SA, %d CUs, wave%d", d.NumShaderEngines, d.NumShaderArraysPerEngine,
		d.CUActiveNumber, d.WaveFrontSize)
	line("clocks", "engine %d-%d MHz, memory %d-%d MHz, counter %d kHz",
		d.MinEngineClock/1000, d.MaxEngineClock/1000, d.MinMemoryClock/1000, d.MaxMemoryClock/1000,
		d.GPUCounterFreq)
	line("ids flags", "%#x", d.IDsFlags)
	line("va bits", "%d", p.VABits)
	line("va", "[%#x, %#x)", l.Offset, l.Max)
	if l.HighMax != 0 {
		line("high va", "[%#x, %#x)", l.HighOffset, l.HighMax)
	}
	keys := make([]FWKey, 0, len(p.Firmware))
	for k := range p.Firmware {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b FWKey) int {
		if a.Type != b.Type {
			return int(a.Type) - int(b.Type)
		}
		return int(a.Index) - int(b.Index)
	})
	var fws []string
	for _, k := range keys {
		name := fwNames[k.Type]
		if name == "" {
			name = fmt.Sprintf("fw%#x", k.Type)
		}
		fw := p.Firmware[k]
		fws = append(fws, fmt.Sprintf("%s %d (feature %d)", name, fw.Ver, fw.Feature))
	}
	line("firmware", "%s", strings.Join(fws, ", "))
	v := p.DRM
	line("drm", "%s %d.%d.%d (%s)", v.Name, v.Major, v.Minor, v.Patch, v.Desc)
	line("explicit", "%v (vmemu extension, not upstream uAPI)", p.Explicit)
	line("source", "%s", p.Source)
	_, err := io.WriteString(w, b.String())
	return err
}
