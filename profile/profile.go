// Package profile describes the emulated GPUs: identity, memory sizes, rings,
// the answers of DRM_IOCTL_AMDGPU_INFO (DEV_INFO, HW_IP_INFO, FW_VERSION,
// READ_MMR_REG, …), the DRM driver version reported by DRM_IOCTL_VERSION,
// and whether vmemu's EXPLICIT-sync extension is offered.
//
// The per-part numbers are real: each profile names its source, in most
// cases the device tables Mesa's drm-shim captured from real hardware with
// amdgpu_dump_states (src/amd/drm-shim/amdgpu_devices.c). Values the kernel
// computes rather than reads from the part (the DEV_INFO VA layout, the
// GANG_SUBMIT flag, usage counters) are computed here or in package amdgpu
// as the kernel of the reported KMS version does, not copied from the
// capture, which came from older kernels.
//
// The DRM version is a setting, not a fact of the part: the explicit-sync
// numbering is contested upstream (spec/amdgpu.md §1.2: KMS 3.55 and 3.60
// were proposed for it and 3.60 went to something else), so a profile says
// which KMS minor it reports and Config may override it.
package profile

import (
	"fmt"
	"maps"
	"sort"

	"github.com/vmemu/vmemu/uapi"
)

// Version is the DRM driver version (struct drm_version).
type Version struct {
	Major, Minor, Patch int32
	Name, Date, Desc    string
}

// IP describes one hardware IP type (AMDGPU_HW_IP_*) of a part: what
// amdgpu_hw_ip_info() and HW_IP_COUNT in amdgpu_kms.c read from the IP
// block list, the IP discovery table and the rings.
type IP struct {
	// Present is true when the part has a valid IP block of this type. An
	// absent IP answers HW_IP_INFO with an all-zero result and HW_IP_COUNT
	// with EINVAL, as the kernel does for a part without the block.
	Present bool
	// Major and Minor are the amdgpu IP block version
	// (hw_ip_version_major/minor), e.g. gfx_v11_0_ip_block is 11.0.
	Major, Minor uint32
	// Discovery is the IP discovery version, (major<<16 | minor<<8 | rev),
	// reported as ip_discovery_version (GFX9 and newer).
	Discovery uint32
	// Instances is the HW_IP_COUNT answer (SDMA: sdma.num_instances; GFX
	// and VCE: 1).
	Instances uint32
	// Rings is the number of kernel rings of the IP that accept user
	// submissions. HW_IP_INFO reports min(Rings, the per-context entity
	// count of amdgpu_ctx_num_entities[]) of them in available_rings.
	Rings uint32
	// UserqSlots is userq_num_slots (MES hardware queue slots).
	UserqSlots uint32
}

// FWKey selects one AMDGPU_INFO_FW_VERSION answer: the firmware type
// (AMDGPU_INFO_FW_*) and its index (MEC 0/1, SDMA instance, TA type).
type FWKey struct {
	Type, Index uint32
}

// Profile is one emulated device.
//
// A Profile returned by Lookup is a deep copy: callers may change it.
type Profile struct {
	// Name is the profile's key, e.g. "navi31".
	Name string
	// Marketing is the product name.
	Marketing string
	// Source says where the numbers come from.
	Source string
	// Family is the AMDGPU_FAMILY_* value; ChipClass a human name for it.
	Family    uint32
	ChipClass string
	// PCI identity (DEV_INFO device_id and pci_rev).
	VendorID, DeviceID uint16
	RevisionID         uint8
	// ChipRev and ExternalRev are adev->rev_id and adev->external_rev_id
	// (DEV_INFO chip_rev, external_rev). Mesa identifies the chip by
	// family and external_rev (ac_gpu_info.c, identify_chip).
	ChipRev, ExternalRev uint32
	// Memory sizes in bytes: real_vram_size, visible_vram_size and the
	// GTT manager's size (MEMORY total_heap_size of each heap).
	VRAMSize, VisibleVRAMSize, GTTSize uint64
	// APU is true for integrated parts (no dedicated VRAM beyond a
	// carve-out). It sets AMDGPU_IDS_FLAGS_FUSION.
	APU bool
	// Rings per hardware IP: number of kernel rings of gfx, compute, sdma
	// (equal to IP[...].Rings of those IPs).
	GfxRings, ComputeRings, SDMARings int
	// VABits is the GPU virtual address width (48 or 57).
	VABits int
	// DRM is the reported driver version.
	DRM Version
	// Explicit offers vmemu's EXPLICIT-sync extension (the context flag and
	// the GEM_VA flag 1<<10). Not upstream uAPI.
	Explicit bool

	// IP describes each AMDGPU_HW_IP_* type. Video IPs (UVD, VCE, VCN,
	// JPEG) and VPE are absent in every profile: vmemu executes no video
	// packets, so it presents the part as one without those blocks.
	IP [uapi.AMDGPU_HW_IP_NUM]IP
	// IDsFlags are the AMDGPU_IDS_FLAGS_* the kernel sets from the part
	// (PREEMPTION, TMZ, CONFORMANT_TRUNC_COORD). FUSION comes from APU and
	// GANG_SUBMIT is always set (bare metal), see DeviceInfo.
	IDsFlags uint64
	// DevInfo holds the rest of AMDGPU_INFO_DEV_INFO as captured: shader
	// layout, clocks, caches, VRAM type. Its identity, ids_flags and VA
	// fields must be zero; DeviceInfo fills them.
	DevInfo uapi.InfoDevice
	// Firmware holds the AMDGPU_INFO_FW_VERSION answers known for the part.
	// A valid query for firmware not listed answers {0, 0}, as the kernel
	// does for firmware it did not load.
	Firmware map[FWKey]uapi.InfoFirmware
	// Registers are the READ_MMR_REG answers, by dword offset (the same
	// for every SE/SH instance). Any other offset is refused, as the
	// kernel refuses registers outside its allow-list.
	Registers map[uint32]uint32
	// DPM is adev->pm.dpm_enabled: false makes every SENSOR query ENOENT.
	DPM bool
	// Sensors are the AMDGPU_INFO_SENSOR answers, by sensor type, in the
	// query's units (MHz, millidegrees C, percent, W, mV). A sensor not
	// listed fails with EINVAL, the kernel's answer when the SMU cannot
	// read it.
	Sensors map[uint32]uint32
	// GDS is the AMDGPU_INFO_GDS_CONFIG answer.
	GDS uapi.InfoGDS
	// UQGfx, UQCompute and UQSDMA are the AMDGPU_INFO_UQ_FW_AREAS answers;
	// nil means the IP generation has no such callback (EOPNOTSUPP).
	UQGfx     *uapi.InfoUQMetadataGfx
	UQCompute *uapi.InfoUQMetadataCompute
	UQSDMA    *uapi.InfoUQMetadataSDMA
}

// drmAMDGPU is the version of the newest amdgpu read for the spec
// (spec/uapi.md §2.1, D1: KMS 3.65.0; the date string is "0" since driver
// dates were removed from DRM).
var drmAMDGPU = Version{Major: 3, Minor: 65, Patch: 0, Name: "amdgpu", Date: "0", Desc: "AMD GPU"}

var registry = map[string]*Profile{}

// Register adds a profile. It panics on a duplicate name or an inconsistent
// profile (a programming error).
func Register(p *Profile) {
	if _, dup := registry[p.Name]; dup {
		panic("profile: duplicate " + p.Name)
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	registry[p.Name] = p
}

// DefaultName is the profile used when none is named.
const DefaultName = "navi31"

// Lookup returns a deep copy of the named profile ("" is the default).
func Lookup(name string) (Profile, error) {
	if name == "" {
		name = DefaultName
	}
	p, ok := registry[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q (have %v)", name, Names())
	}
	return p.clone(), nil
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

func (p *Profile) clone() Profile {
	c := *p
	c.Firmware = maps.Clone(p.Firmware)
	c.Registers = maps.Clone(p.Registers)
	c.Sensors = maps.Clone(p.Sensors)
	if p.UQGfx != nil {
		v := *p.UQGfx
		c.UQGfx = &v
	}
	if p.UQCompute != nil {
		v := *p.UQCompute
		c.UQCompute = &v
	}
	if p.UQSDMA != nil {
		v := *p.UQSDMA
		c.UQSDMA = &v
	}
	return c
}

// Validate checks that the profile is self-consistent: the ring counts
// agree with IP, the identity fields of DevInfo are left to DeviceInfo, and
// the VA width is one amdgpu uses.
func (p *Profile) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("profile %s: %s", p.Name, fmt.Sprintf(format, args...))
	}
	if p.Name == "" {
		return fmt.Errorf("profile: empty name")
	}
	for _, c := range []struct {
		name  string
		rings int
		ip    int
	}{
		{"gfx", p.GfxRings, uapi.AMDGPU_HW_IP_GFX},
		{"compute", p.ComputeRings, uapi.AMDGPU_HW_IP_COMPUTE},
		{"sdma", p.SDMARings, uapi.AMDGPU_HW_IP_DMA},
	} {
		if uint32(c.rings) != p.IP[c.ip].Rings {
			return bad("%s rings %d != IP rings %d", c.name, c.rings, p.IP[c.ip].Rings)
		}
	}
	if !p.IP[uapi.AMDGPU_HW_IP_GFX].Present && !p.IP[uapi.AMDGPU_HW_IP_COMPUTE].Present {
		return bad("neither gfx nor compute present")
	}
	d := p.DevInfo
	if d.DeviceID != 0 || d.ChipRev != 0 || d.ExternalRev != 0 || d.PCIRev != 0 || d.Family != 0 ||
		d.IDsFlags != 0 || d.VirtualAddressOffset != 0 || d.VirtualAddressMax != 0 ||
		d.HighVAOffset != 0 || d.HighVAMax != 0 || d.VirtualAddressAlignment != 0 ||
		d.PTEFragmentSize != 0 || d.GARTPageSize != 0 {
		return bad("DevInfo sets a field DeviceInfo computes")
	}
	if p.IDsFlags&^(uapi.AMDGPU_IDS_FLAGS_PREEMPTION|uapi.AMDGPU_IDS_FLAGS_TMZ|uapi.AMDGPU_IDS_FLAGS_CONFORMANT_TRUNC_COORD) != 0 {
		return bad("IDsFlags %#x has bits the kernel derives", p.IDsFlags)
	}
	if p.VABits != 48 && p.VABits != 57 {
		return bad("VABits %d", p.VABits)
	}
	if p.VisibleVRAMSize > p.VRAMSize {
		return bad("visible VRAM larger than VRAM")
	}
	if d.GPUCounterFreq == 0 {
		return bad("no gpu_counter_freq")
	}
	return nil
}

const (
	GiB = 1 << 30
	MiB = 1 << 20
)

// Constants of the VA layout, from drivers/gpu/drm/amd/amdgpu/amdgpu_vm.h
// and amdgpu_gmc.h (kernel-patches/bpf f8953df2, the KMS 3.65 tree).
const (
	// GPUPageSize is AMDGPU_GPU_PAGE_SIZE.
	GPUPageSize = 4096
	// VAReservedBottom is AMDGPU_VA_RESERVED_BOTTOM (64 KiB; 2 MiB before
	// 2024, which is what the older drm-shim captures show).
	VAReservedBottom = 1 << 16
	// VAReservedTop is AMDGPU_VA_RESERVED_TOP: the trap area (64 KiB), the
	// seq64 area (2 MiB) and the CSA (2 MiB) below the top of the VM.
	VAReservedTop = 1<<16 + 2<<20 + 2<<20
	// GMCHoleStart and GMCHoleEnd are AMDGPU_GMC_HOLE_START/END: the
	// non-canonical hole of a 48-bit VA space.
	GMCHoleStart = 0x0000800000000000
	GMCHoleEnd   = 0xffff800000000000
	// FragmentSizeLog2 is vm_manager.fragment_size (the default 9: 2 MiB
	// PTE fragments).
	FragmentSizeLog2 = 9
)

// VALayout is the user VA window DEV_INFO reports, as amdgpu_info_ioctl()
// computes it.
type VALayout struct {
	// Offset and Max bound the low window [Offset, Max).
	Offset, Max uint64
	// HighOffset and HighMax bound the high (sign-extended) window; both
	// zero when the VM does not reach the hole.
	HighOffset, HighMax uint64
	// Alignment is virtual_address_alignment, FragmentSize
	// pte_fragment_size, GARTPageSize gart_page_size.
	Alignment, FragmentSize, GARTPageSize uint32
}

// VALayout returns the VA windows: the VM size is 2^VABits minus
// AMDGPU_VA_RESERVED_TOP; the low window starts at
// AMDGPU_VA_RESERVED_BOTTOM and stops at the hole; above the hole the
// window is the sign-extended copy.
func (p *Profile) VALayout() VALayout {
	vmSize := uint64(1)<<p.VABits - VAReservedTop
	l := VALayout{
		Offset:       VAReservedBottom,
		Max:          min(vmSize, GMCHoleStart),
		Alignment:    GPUPageSize, // max(PAGE_SIZE, AMDGPU_GPU_PAGE_SIZE) on 4 KiB hosts
		FragmentSize: (1 << FragmentSizeLog2) * GPUPageSize,
		GARTPageSize: GPUPageSize,
	}
	if vmSize > GMCHoleStart {
		l.HighOffset = GMCHoleEnd
		l.HighMax = GMCHoleEnd | vmSize
	}
	return l
}

// DeviceInfo returns the AMDGPU_INFO_DEV_INFO answer: DevInfo with the
// identity, ids_flags and VA layout filled in as amdgpu_info_ioctl() does.
// Fields the kernel fills from live state (userq_ip_mask, the gfx shadow
// sizes, which need adev->gfx.cp_gfx_shadow, set only under SR-IOV) are
// zero.
func (p *Profile) DeviceInfo() uapi.InfoDevice {
	d := p.DevInfo
	d.DeviceID = uint32(p.DeviceID)
	d.ChipRev = p.ChipRev
	d.ExternalRev = p.ExternalRev
	d.PCIRev = uint32(p.RevisionID)
	d.Family = p.Family
	d.IDsFlags = p.IDsFlags | uapi.AMDGPU_IDS_FLAGS_GANG_SUBMIT // not SR-IOV
	if p.APU {
		d.IDsFlags |= uapi.AMDGPU_IDS_FLAGS_FUSION
	}
	l := p.VALayout()
	d.VirtualAddressOffset = l.Offset
	d.VirtualAddressMax = l.Max
	d.HighVAOffset = l.HighOffset
	d.HighVAMax = l.HighMax
	d.VirtualAddressAlignment = l.Alignment
	d.PTEFragmentSize = l.FragmentSize
	d.GARTPageSize = l.GARTPageSize
	return d
}
