package gpu

import "fmt"

// IP is a hardware IP block type. Values equal the uAPI's AMDGPU_HW_IP_*
// (uapi.AMDGPU_HW_IP_GFX, …), so that a CS chunk's ip_type indexes rings
// directly.
type IP uint8

const (
	// GFX is the graphics ring (AMDGPU_HW_IP_GFX).
	GFX IP = 0
	// COMPUTE is a compute (MEC) queue (AMDGPU_HW_IP_COMPUTE).
	COMPUTE IP = 1
	// SDMA is a system DMA engine (AMDGPU_HW_IP_DMA).
	SDMA IP = 2
	// UVD is the legacy video decoder (AMDGPU_HW_IP_UVD).
	UVD IP = 3
	// VCE is the legacy video encoder (AMDGPU_HW_IP_VCE).
	VCE IP = 4
	// UVDEnc is the UVD encoder (AMDGPU_HW_IP_UVD_ENC).
	UVDEnc IP = 5
	// VCNDec is the VCN decoder (AMDGPU_HW_IP_VCN_DEC).
	VCNDec IP = 6
	// VCNEnc is the VCN encoder, unified ring on VCN4+ (AMDGPU_HW_IP_VCN_ENC).
	VCNEnc IP = 7
	// VCNJPEG is the JPEG decoder (AMDGPU_HW_IP_VCN_JPEG).
	VCNJPEG IP = 8
	// VPE is the video processing engine (AMDGPU_HW_IP_VPE).
	VPE IP = 9

	// NumIP is AMDGPU_HW_IP_NUM.
	NumIP = 10
)

var ipNames = [NumIP]string{
	GFX: "gfx", COMPUTE: "compute", SDMA: "sdma", UVD: "uvd", VCE: "vce",
	UVDEnc: "uvd_enc", VCNDec: "vcn_dec", VCNEnc: "vcn_enc",
	VCNJPEG: "jpeg", VPE: "vpe",
}

func (ip IP) String() string {
	if int(ip) < len(ipNames) {
		return ipNames[ip]
	}
	return fmt.Sprintf("IP(%d)", uint8(ip))
}

// ParseIP returns the IP named s (as printed by IP.String).
func ParseIP(s string) (IP, error) {
	for i, n := range ipNames {
		if n == s {
			return IP(i), nil
		}
	}
	return 0, fmt.Errorf("gpu: unknown IP %q", s)
}

// ringName returns the kernel's name for ring idx of ip, as used in
// tracepoints and dmesg: gfx_0.<pipe>.0 (gfx_v10+), comp_1.<pipe>.<queue>
// (amdgpu spreads compute rings over the MEC's four pipes first), sdma<n>,
// and <ip>_<n> for the others.
func ringName(ip IP, idx int) string {
	switch ip {
	case GFX:
		return fmt.Sprintf("gfx_0.%d.0", idx)
	case COMPUTE:
		return fmt.Sprintf("comp_1.%d.%d", idx%4, idx/4)
	case SDMA:
		return fmt.Sprintf("sdma%d", idx)
	}
	return fmt.Sprintf("%s_%d", ip, idx)
}

// Priority is a scheduler run-queue priority (enum drm_sched_priority).
// Smaller values are served first, as in the kernel since the enum was
// reversed (KERNEL = 0 … LOW); 6.1 numbered them the other way round
// (MIN … KERNEL), which changes nothing here but the integers.
type Priority uint8

const (
	// PriorityKernel is DRM_SCHED_PRIORITY_KERNEL: kernel jobs such as TTM
	// buffer moves on adev->mman.high_pr.
	PriorityKernel Priority = iota
	// PriorityHigh is DRM_SCHED_PRIORITY_HIGH (AMDGPU_CTX_PRIORITY_HIGH and
	// above).
	PriorityHigh
	// PriorityNormal is DRM_SCHED_PRIORITY_NORMAL, the default for contexts
	// and for the VM page-table entities (vm->immediate, vm->delayed).
	PriorityNormal
	// PriorityLow is DRM_SCHED_PRIORITY_LOW (AMDGPU_CTX_PRIORITY_LOW and
	// below).
	PriorityLow

	numPriorities = 4
)

var prioNames = [numPriorities]string{"kernel", "high", "normal", "low"}

func (p Priority) String() string {
	if int(p) < len(prioNames) {
		return prioNames[p]
	}
	return fmt.Sprintf("Priority(%d)", uint8(p))
}

// ParsePriority returns the priority named s (as printed by String).
func ParsePriority(s string) (Priority, error) {
	for i, n := range prioNames {
		if n == s {
			return Priority(i), nil
		}
	}
	return 0, fmt.Errorf("gpu: unknown priority %q", s)
}
