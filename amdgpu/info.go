package amdgpu

import (
	"encoding/binary"
	"math/bits"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/dispatch"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/profile"
	"github.com/vmemu/vmemu/uapi"
)

// This file mirrors amdgpu_info_ioctl() and its helpers amdgpu_hw_ip_info()
// and amdgpu_firmware_info() in drivers/gpu/drm/amd/amdgpu/amdgpu_kms.c
// (kernel-patches/bpf 36990c9a, KMS 3.65). The per-part answers come from
// the device profile (package profile); live counters come from the device
// (MemStats, vramLostCounter) and the file (gpuvmFault).

// MemStats is the memory accounting INFO reports: TTM manager usage, the
// bytes pinned by the kernel (vram_pin_size, visible_pin_size,
// gart_pin_size), and the move/eviction counters of struct amdgpu_device.
type MemStats struct {
	// VRAMUsage, VisibleVRAMUsage and GTTUsage are the bytes allocated in
	// each pool (ttm_resource_manager_usage(), amdgpu_vram_mgr_vis_usage()).
	VRAMUsage, VisibleVRAMUsage, GTTUsage uint64
	// VRAMPinned, VisibleVRAMPinned and GTTPinned are the bytes pinned.
	VRAMPinned, VisibleVRAMPinned, GTTPinned uint64
	// BytesMoved, Evictions and VRAMCPUPageFaults are num_bytes_moved,
	// num_evictions and num_vram_cpu_page_faults.
	BytesMoved, Evictions, VRAMCPUPageFaults uint64
}

// MemAccounting is what the memory model implements for INFO to read.
type MemAccounting interface {
	// MemStats returns a snapshot of the device's memory accounting.
	MemStats() MemStats
}

var _ MemAccounting = (*Device)(nil)

// MemStats implements MemAccounting.MemStats from the memory model
// (package bo): pool usage includes ghosts (BOs and old ranges waiting
// for their fences), as TTM's manager usage does. INFO's VRAM_GTT, MEMORY,
// *_USAGE, NUM_BYTES_MOVED, NUM_EVICTIONS and NUM_VRAM_CPU_PAGE_FAULTS
// answers all go through it.
//
// It is safe for concurrent use.
func (d *Device) MemStats() MemStats {
	s := d.mem.Stats()
	v, g := s.Pools[bo.VRAM], s.Pools[bo.GTT]
	return MemStats{
		VRAMUsage: v.Used, VisibleVRAMUsage: v.VisibleUsed, GTTUsage: g.Used,
		VRAMPinned: v.Pinned, VisibleVRAMPinned: v.VisiblePinned, GTTPinned: g.Pinned,
		BytesMoved: s.BytesMoved, Evictions: s.Evictions, VRAMCPUPageFaults: s.VRAMCPUPageFaults,
	}
}

// vramLostCounter is adev->vram_lost_counter: zero until GPU reset with
// VRAM loss is modelled.
func (d *Device) vramLostCounter() uint32 { return 0 }

// gpuvmFault is the file's VM fault_info (amdgpu_vm_update_fault_cache()):
// zero until the VM issue wires GPU page faults into the file's VM.
func (f *File) gpuvmFault() uapi.InfoGPUVMFault { return f.vm.GPUVMFaultInfo() }

// amdgpuVMReservedVRAM is AMDGPU_VM_RESERVED_VRAM (amdgpu_vm.h): VRAM kept
// back for page tables, subtracted from the usable VRAM size.
const amdgpuVMReservedVRAM = 8 << 20

// amdgpuGfxMaxSE and amdgpuGfxMaxSHPerSE are AMDGPU_GFX_MAX_SE and
// AMDGPU_GFX_MAX_SH_PER_SE (amdgpu_gfx.h), READ_MMR_REG's instance bounds.
const (
	amdgpuGfxMaxSE      = 4
	amdgpuGfxMaxSHPerSE = 2
)

// ctxNumEntities is amdgpu_ctx_num_entities[] (amdgpu_ctx.c): the rings per
// IP a context can address, which caps available_rings.
var ctxNumEntities = [uapi.AMDGPU_HW_IP_NUM]uint32{
	uapi.AMDGPU_HW_IP_GFX: 1, uapi.AMDGPU_HW_IP_COMPUTE: 4, uapi.AMDGPU_HW_IP_DMA: 2,
	uapi.AMDGPU_HW_IP_UVD: 1, uapi.AMDGPU_HW_IP_VCE: 1, uapi.AMDGPU_HW_IP_UVD_ENC: 1,
	uapi.AMDGPU_HW_IP_VCN_DEC: 1, uapi.AMDGPU_HW_IP_VCN_ENC: 1, uapi.AMDGPU_HW_IP_VCN_JPEG: 1,
	uapi.AMDGPU_HW_IP_VPE: 1,
}

// ibAlignment is amdgpu_hw_ip_info()'s ib_start_alignment and
// ib_size_alignment per IP.
var ibAlignment = [uapi.AMDGPU_HW_IP_NUM][2]uint32{
	uapi.AMDGPU_HW_IP_GFX: {32, 32}, uapi.AMDGPU_HW_IP_COMPUTE: {32, 32},
	uapi.AMDGPU_HW_IP_DMA: {256, 4}, uapi.AMDGPU_HW_IP_UVD: {256, 64},
	uapi.AMDGPU_HW_IP_VCE: {256, 4}, uapi.AMDGPU_HW_IP_UVD_ENC: {256, 4},
	uapi.AMDGPU_HW_IP_VCN_DEC: {256, 64}, uapi.AMDGPU_HW_IP_VCN_ENC: {256, 4},
	uapi.AMDGPU_HW_IP_VCN_JPEG: {256, 64}, uapi.AMDGPU_HW_IP_VPE: {256, 4},
}

// maxIBs is the AMDGPU_INFO_MAX_IBS answer: amdgpu_ring_max_ibs() per ring
// type, indexed by AMDGPU_HW_IP_* (the ring types share those values).
var maxIBs = [uapi.AMDGPU_HW_IP_NUM]uint32{
	uapi.AMDGPU_HW_IP_GFX: 192, uapi.AMDGPU_HW_IP_COMPUTE: 125, uapi.AMDGPU_HW_IP_DMA: 49,
	uapi.AMDGPU_HW_IP_UVD: 49, uapi.AMDGPU_HW_IP_VCE: 49, uapi.AMDGPU_HW_IP_UVD_ENC: 49,
	uapi.AMDGPU_HW_IP_VCN_DEC: 49, uapi.AMDGPU_HW_IP_VCN_ENC: 49, uapi.AMDGPU_HW_IP_VCN_JPEG: 16,
	uapi.AMDGPU_HW_IP_VPE: 49,
}

// ipBlock maps an AMDGPU_HW_IP_* type to the profile entry of the IP block
// that serves it (amdgpu_ip_get_block_type(): COMPUTE is the GFX block,
// UVD_ENC the UVD block, VCN_ENC the VCN block), or -1 for an unknown type.
func ipBlock(t uint32) int {
	switch t {
	case uapi.AMDGPU_HW_IP_COMPUTE:
		return uapi.AMDGPU_HW_IP_GFX
	case uapi.AMDGPU_HW_IP_UVD_ENC:
		return uapi.AMDGPU_HW_IP_UVD
	case uapi.AMDGPU_HW_IP_VCN_ENC:
		return uapi.AMDGPU_HW_IP_VCN_DEC
	}
	if t >= uapi.AMDGPU_HW_IP_NUM {
		return -1
	}
	return int(t)
}

// infoQuery answers one AMDGPU_INFO_* query: the full result, of which the
// caller copies min(return_size, len) bytes, or an errno.
type infoQuery func(f *File, in *uapi.Info) ([]byte, error)

// infoQueries is the query switch of amdgpu_info_ioctl(). A query absent
// here is the kernel's default case: EINVAL.
var infoQueries = map[uint32]infoQuery{
	uapi.AMDGPU_INFO_ACCEL_WORKING:            (*File).infoAccelWorking,
	uapi.AMDGPU_INFO_CRTC_FROM_ID:             (*File).infoCrtcFromID,
	uapi.AMDGPU_INFO_HW_IP_INFO:               (*File).infoHWIPInfo,
	uapi.AMDGPU_INFO_HW_IP_COUNT:              (*File).infoHWIPCount,
	uapi.AMDGPU_INFO_TIMESTAMP:                (*File).infoTimestamp,
	uapi.AMDGPU_INFO_FW_VERSION:               (*File).infoFWVersion,
	uapi.AMDGPU_INFO_NUM_BYTES_MOVED:          memCounter(func(m MemStats) uint64 { return m.BytesMoved }),
	uapi.AMDGPU_INFO_NUM_EVICTIONS:            memCounter(func(m MemStats) uint64 { return m.Evictions }),
	uapi.AMDGPU_INFO_NUM_VRAM_CPU_PAGE_FAULTS: memCounter(func(m MemStats) uint64 { return m.VRAMCPUPageFaults }),
	uapi.AMDGPU_INFO_VRAM_USAGE:               memCounter(func(m MemStats) uint64 { return m.VRAMUsage }),
	uapi.AMDGPU_INFO_VIS_VRAM_USAGE:           memCounter(func(m MemStats) uint64 { return m.VisibleVRAMUsage }),
	uapi.AMDGPU_INFO_GTT_USAGE:                memCounter(func(m MemStats) uint64 { return m.GTTUsage }),
	uapi.AMDGPU_INFO_GDS_CONFIG:               (*File).infoGDSConfig,
	uapi.AMDGPU_INFO_VRAM_GTT:                 (*File).infoVRAMGTT,
	uapi.AMDGPU_INFO_MEMORY:                   (*File).infoMemory,
	uapi.AMDGPU_INFO_READ_MMR_REG:             (*File).infoReadMMRReg,
	uapi.AMDGPU_INFO_DEV_INFO:                 (*File).infoDevInfo,
	uapi.AMDGPU_INFO_VCE_CLOCK_TABLE:          (*File).infoVCEClockTable,
	uapi.AMDGPU_INFO_VBIOS:                    (*File).infoVbios,
	uapi.AMDGPU_INFO_NUM_HANDLES:              (*File).infoNumHandles,
	uapi.AMDGPU_INFO_SENSOR:                   (*File).infoSensor,
	uapi.AMDGPU_INFO_VRAM_LOST_COUNTER:        (*File).infoVRAMLostCounter,
	uapi.AMDGPU_INFO_RAS_ENABLED_FEATURES:     (*File).infoRASEnabledFeatures,
	uapi.AMDGPU_INFO_VIDEO_CAPS:               (*File).infoVideoCaps,
	uapi.AMDGPU_INFO_MAX_IBS:                  (*File).infoMaxIBs,
	uapi.AMDGPU_INFO_GPUVM_FAULT:              (*File).infoGPUVMFault,
	uapi.AMDGPU_INFO_UQ_FW_AREAS:              (*File).infoUQFWAreas,
}

// copyFaultIgnored lists the queries whose copy-out fault the kernel
// ignores: UQ_FW_AREAS assigns the copy_to_user() result to ret and then
// returns 0.
var copyFaultIgnored = map[uint32]bool{uapi.AMDGPU_INFO_UQ_FW_AREAS: true}

// amdgpuInfo is DRM_IOCTL_AMDGPU_INFO; mirrors amdgpu_info_ioctl().
//
// Order of checks: a zero return_size or return_pointer is EINVAL before
// the query is looked at; an unknown query is EINVAL; each query then makes
// its own checks; the result is copied to return_pointer truncated to
// return_size (like snprintf's size, never padded), and a copy fault is
// EFAULT. The ioctl is _IOW: nothing is written back into the argument.
func (f *File) amdgpuInfo(s *dispatch.State) error {
	var in uapi.Info
	in.UnmarshalBytes(s.Buf)
	if in.ReturnSize == 0 || in.ReturnPointer.IsNull() {
		return errno.EINVAL
	}
	q, ok := infoQueries[in.Query]
	if !ok {
		return errno.EINVAL // DRM_DEBUG_KMS("Invalid request")
	}
	res, err := q(f, &in)
	if err != nil {
		return err
	}
	n := min(uint64(in.ReturnSize), uint64(len(res)))
	if err := s.IO.CopyOut(in.ReturnPointer.Addr(), res[:n]); err != nil && !copyFaultIgnored[in.Query] {
		return errno.EFAULT
	}
	return nil
}

func marshal(m uapi.Marshallable) []byte {
	b := make([]byte, m.SizeBytes())
	m.MarshalBytes(b)
	return b
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func memCounter(get func(MemStats) uint64) infoQuery {
	return func(f *File, _ *uapi.Info) ([]byte, error) { return u64(get(f.dev.MemStats())), nil }
}

// infoAccelWorking: adev->accel_working, always 1 for an emulated device.
func (f *File) infoAccelWorking(_ *uapi.Info) ([]byte, error) { return u32(1), nil }

// infoCrtcFromID: vmemu emulates no display, so no CRTC id is known
// ("unknown crtc id" → EINVAL).
func (f *File) infoCrtcFromID(_ *uapi.Info) ([]byte, error) { return nil, errno.EINVAL }

// infoHWIPInfo mirrors amdgpu_hw_ip_info(): ip_instance ≥
// AMDGPU_HW_IP_INSTANCE_MAX_COUNT or an unknown type is EINVAL; a type the
// part has no block for answers success with an all-zero result.
func (f *File) infoHWIPInfo(in *uapi.Info) ([]byte, error) {
	a := in.QueryHWIP()
	if a.IPInstance >= uapi.AMDGPU_HW_IP_INSTANCE_MAX_COUNT {
		return nil, errno.EINVAL
	}
	blk := ipBlock(a.Type)
	if blk < 0 {
		return nil, errno.EINVAL
	}
	var r uapi.InfoHWIP
	p := &f.dev.prof
	if !p.IP[blk].Present {
		return marshal(&r), nil
	}
	ip := p.IP[a.Type]
	block := p.IP[blk]
	rings := min(ip.Rings, ctxNumEntities[a.Type])
	r.HWIPVersionMajor = block.Major
	r.HWIPVersionMinor = block.Minor
	r.IPDiscoveryVersion = block.Discovery // every profile is CHIP_VEGA10 or newer
	r.AvailableRings = uint32(1)<<rings - 1
	r.UserqNumSlots = ip.UserqSlots
	r.IBStartAlignment = ibAlignment[a.Type][0]
	r.IBSizeAlignment = ibAlignment[a.Type][1]
	return marshal(&r), nil
}

// infoHWIPCount mirrors the HW_IP_COUNT case: EINVAL for an unknown type
// or a part without the block; 1 for GFX (and COMPUTE, the same block),
// the instance count otherwise. vmemu has no compute partitions (xcp).
func (f *File) infoHWIPCount(in *uapi.Info) ([]byte, error) {
	t := in.QueryHWIP().Type
	blk := ipBlock(t)
	if blk < 0 || !f.dev.prof.IP[blk].Present {
		return nil, errno.EINVAL
	}
	if blk == uapi.AMDGPU_HW_IP_GFX || blk == uapi.AMDGPU_HW_IP_VCE {
		return u32(1), nil
	}
	return u32(f.dev.prof.IP[blk].Instances), nil
}

// infoTimestamp is amdgpu_gfx_get_gpu_clock_counter(): the GPU clock
// counter, which runs at gpu_counter_freq kHz, read from the device clock.
func (f *File) infoTimestamp(_ *uapi.Info) ([]byte, error) {
	return u64(gpuClockCounter(f.dev.Now(), f.dev.prof.DevInfo.GPUCounterFreq)), nil
}

// gpuClockCounter converts ns on the device clock to ticks of a counter
// running at freqKHz.
func gpuClockCounter(ns int64, freqKHz uint32) uint64 {
	if ns <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(ns), uint64(freqKHz))
	if hi >= 1_000_000 {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, 1_000_000)
	return q
}

// TA firmware indices (enum ta_fw_type in amdgpu_ucode.h) that
// amdgpu_firmware_info() answers.
const (
	taFWTypePSPXGMI          = 2
	taFWTypePSPSecureDisplay = 7
)

// infoFWVersion mirrors the FW_VERSION case and amdgpu_firmware_info():
// ip_instance != 0 is EINVAL; then per type: MEC takes index 0 or 1, TA
// the ta_fw_type indices XGMI..SECUREDISPLAY, SDMA an instance below
// sdma.num_instances, anything else EINVAL; an unknown type is EINVAL.
// Firmware the profile does not list answers {0, 0}, as for firmware the
// kernel did not load.
func (f *File) infoFWVersion(in *uapi.Info) ([]byte, error) {
	q := in.QueryFW()
	if q.IPInstance != 0 {
		return nil, errno.EINVAL
	}
	p := &f.dev.prof
	key := profile.FWKey{Type: q.FWType}
	switch q.FWType {
	case uapi.AMDGPU_INFO_FW_VCE, uapi.AMDGPU_INFO_FW_UVD, uapi.AMDGPU_INFO_FW_VCN,
		uapi.AMDGPU_INFO_FW_GMC, uapi.AMDGPU_INFO_FW_GFX_ME, uapi.AMDGPU_INFO_FW_GFX_PFP,
		uapi.AMDGPU_INFO_FW_GFX_CE, uapi.AMDGPU_INFO_FW_GFX_RLC,
		uapi.AMDGPU_INFO_FW_GFX_RLC_RESTORE_LIST_CNTL, uapi.AMDGPU_INFO_FW_GFX_RLC_RESTORE_LIST_GPM_MEM,
		uapi.AMDGPU_INFO_FW_GFX_RLC_RESTORE_LIST_SRM_MEM, uapi.AMDGPU_INFO_FW_GFX_RLCP,
		uapi.AMDGPU_INFO_FW_GFX_RLCV, uapi.AMDGPU_INFO_FW_SMC, uapi.AMDGPU_INFO_FW_MP5,
		uapi.AMDGPU_INFO_FW_SOS, uapi.AMDGPU_INFO_FW_ASD, uapi.AMDGPU_INFO_FW_DMCU,
		uapi.AMDGPU_INFO_FW_DMCUB, uapi.AMDGPU_INFO_FW_TOC, uapi.AMDGPU_INFO_FW_CAP,
		uapi.AMDGPU_INFO_FW_MES_KIQ, uapi.AMDGPU_INFO_FW_MES, uapi.AMDGPU_INFO_FW_IMU,
		uapi.AMDGPU_INFO_FW_VPE:
		// index ignored
	case uapi.AMDGPU_INFO_FW_GFX_MEC:
		if q.Index > 1 {
			return nil, errno.EINVAL
		}
		key.Index = q.Index
	case uapi.AMDGPU_INFO_FW_TA:
		if q.Index < taFWTypePSPXGMI || q.Index > taFWTypePSPSecureDisplay {
			return nil, errno.EINVAL
		}
		key.Index = q.Index
	case uapi.AMDGPU_INFO_FW_SDMA:
		if !p.IP[uapi.AMDGPU_HW_IP_DMA].Present || q.Index >= p.IP[uapi.AMDGPU_HW_IP_DMA].Instances {
			return nil, errno.EINVAL
		}
		key.Index = q.Index
	default:
		return nil, errno.EINVAL
	}
	fw := p.Firmware[key]
	return marshal(&fw), nil
}

// infoGDSConfig is the GDS_CONFIG case: the compute partition gets all of
// GDS, GWS and OA; the gfx partition fields are zero.
func (f *File) infoGDSConfig(_ *uapi.Info) ([]byte, error) {
	g := f.dev.prof.GDS
	return marshal(&g), nil
}

// vramUsable is real_vram_size - vram_pin_size - AMDGPU_VM_RESERVED_VRAM.
func vramUsable(p *profile.Profile, m MemStats) uint64 {
	return sat(sat(p.VRAMSize, m.VRAMPinned), amdgpuVMReservedVRAM)
}

// sat is a - b, or 0 when b > a.
func sat(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// infoVRAMGTT is the VRAM_GTT case: usable sizes after pins and the page
// table reserve.
func (f *File) infoVRAMGTT(_ *uapi.Info) ([]byte, error) {
	p := &f.dev.prof
	m := f.dev.MemStats()
	var r uapi.InfoVRAMGTT
	r.VRAMSize = vramUsable(p, m)
	r.VRAMCPUAccessibleSize = min(sat(p.VisibleVRAMSize, m.VisibleVRAMPinned), r.VRAMSize)
	r.GTTSize = sat(p.GTTSize, m.GTTPinned)
	return marshal(&r), nil
}

// infoMemory is the MEMORY case: per heap the total, the usable size, the
// usage and max_allocation = usable * 3 / 4.
func (f *File) infoMemory(_ *uapi.Info) ([]byte, error) {
	p := &f.dev.prof
	m := f.dev.MemStats()
	var r uapi.MemoryInfo
	r.VRAM.TotalHeapSize = p.VRAMSize
	r.VRAM.UsableHeapSize = vramUsable(p, m)
	r.VRAM.HeapUsage = m.VRAMUsage
	r.VRAM.MaxAllocation = r.VRAM.UsableHeapSize * 3 / 4

	r.CPUAccessibleVRAM.TotalHeapSize = p.VisibleVRAMSize
	r.CPUAccessibleVRAM.UsableHeapSize = min(sat(p.VisibleVRAMSize, m.VisibleVRAMPinned), r.VRAM.UsableHeapSize)
	r.CPUAccessibleVRAM.HeapUsage = m.VisibleVRAMUsage
	r.CPUAccessibleVRAM.MaxAllocation = r.CPUAccessibleVRAM.UsableHeapSize * 3 / 4

	r.GTT.TotalHeapSize = p.GTTSize
	r.GTT.UsableHeapSize = sat(p.GTTSize, m.GTTPinned)
	r.GTT.HeapUsage = m.GTTUsage
	r.GTT.MaxAllocation = r.GTT.UsableHeapSize * 3 / 4
	return marshal(&r), nil
}

// maxMMRRegs is READ_MMR_REG's count limit.
const maxMMRRegs = 128

// infoReadMMRReg mirrors the READ_MMR_REG case. Checks, in order: an SE
// index that is neither 0xff (all) nor below AMDGPU_GFX_MAX_SE is EINVAL,
// likewise the SH index against AMDGPU_GFX_MAX_SH_PER_SE, a count above
// 128 is EINVAL; then each register is read, and one outside the allow-list
// (here: the profile's register table) fails the whole call with EFAULT
// ("unallowed offset"). A count of 0 succeeds and writes nothing.
func (f *File) infoReadMMRReg(in *uapi.Info) ([]byte, error) {
	a := in.ReadMMRReg()
	se := a.Instance >> uapi.AMDGPU_INFO_MMR_SE_INDEX_SHIFT & uapi.AMDGPU_INFO_MMR_SE_INDEX_MASK
	sh := a.Instance >> uapi.AMDGPU_INFO_MMR_SH_INDEX_SHIFT & uapi.AMDGPU_INFO_MMR_SH_INDEX_MASK
	if se != uapi.AMDGPU_INFO_MMR_SE_INDEX_MASK && se >= amdgpuGfxMaxSE {
		return nil, errno.EINVAL
	}
	if sh != uapi.AMDGPU_INFO_MMR_SH_INDEX_MASK && sh >= amdgpuGfxMaxSHPerSE {
		return nil, errno.EINVAL
	}
	if a.Count > maxMMRRegs {
		return nil, errno.EINVAL
	}
	out := make([]byte, 0, 4*a.Count)
	for i := range a.Count {
		v, ok := f.dev.prof.Registers[a.DwordOffset+i]
		if !ok {
			return nil, errno.EFAULT
		}
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	return out, nil
}

// infoDevInfo is the DEV_INFO case (profile.Profile.DeviceInfo).
func (f *File) infoDevInfo(_ *uapi.Info) ([]byte, error) {
	d := f.dev.prof.DeviceInfo()
	return marshal(&d), nil
}

// infoVCEClockTable is the VCE_CLOCK_TABLE case: no part here has VCE
// clock states (amdgpu_dpm_get_vce_clock_state() returns NULL), so the
// table is empty.
func (f *File) infoVCEClockTable(_ *uapi.Info) ([]byte, error) {
	var t uapi.InfoVCEClockTable
	return marshal(&t), nil
}

// infoVbios mirrors the VBIOS case for a device without a VBIOS image
// (vmemu carries none, adev->bios_size is 0, no atom context): SIZE is 0,
// IMAGE at any offset is EINVAL (offset >= bios_size), INFO is all zero, any
// other type is EINVAL.
func (f *File) infoVbios(in *uapi.Info) ([]byte, error) {
	switch in.VbiosInfo().Type {
	case uapi.AMDGPU_INFO_VBIOS_SIZE:
		return u32(0), nil
	case uapi.AMDGPU_INFO_VBIOS_IMAGE:
		return nil, errno.EINVAL // every offset is >= bios_size
	case uapi.AMDGPU_INFO_VBIOS_INFO:
		var v uapi.InfoVbios
		return marshal(&v), nil
	}
	return nil, errno.EINVAL
}

// infoNumHandles mirrors the NUM_HANDLES case: UVD on Polaris10 and newer
// (every profile) has unlimited handles, ENODATA; any other IP is EINVAL.
func (f *File) infoNumHandles(in *uapi.Info) ([]byte, error) {
	if in.QueryHWIP().Type == uapi.AMDGPU_HW_IP_UVD {
		return nil, errno.ENODATA
	}
	return nil, errno.EINVAL
}

// infoSensor mirrors the SENSOR case: ENOENT without DPM; an unknown
// sensor type, or one the profile's SMU model cannot read, is EINVAL.
func (f *File) infoSensor(in *uapi.Info) ([]byte, error) {
	p := &f.dev.prof
	if !p.DPM {
		return nil, errno.ENOENT
	}
	t := in.SensorInfo().Type
	if t < uapi.AMDGPU_INFO_SENSOR_GFX_SCLK || t > uapi.AMDGPU_INFO_SENSOR_GPU_INPUT_POWER {
		return nil, errno.EINVAL
	}
	v, ok := p.Sensors[t]
	if !ok {
		return nil, errno.EINVAL
	}
	return u32(v), nil
}

// infoVRAMLostCounter is the VRAM_LOST_COUNTER case.
func (f *File) infoVRAMLostCounter(_ *uapi.Info) ([]byte, error) {
	return u32(f.dev.vramLostCounter()), nil
}

// infoRASEnabledFeatures: the profiles are consumer parts without a RAS
// context (amdgpu_ras_get_context() is NULL), so EINVAL.
func (f *File) infoRASEnabledFeatures(_ *uapi.Info) ([]byte, error) { return nil, errno.EINVAL }

// infoVideoCaps mirrors the VIDEO_CAPS case for parts whose VCN is absent
// (the profiles present no video IP): query_video_codecs() fails for both
// DECODE and ENCODE, and any other type is EINVAL, so every call is EINVAL.
// Mesa ignores this error.
func (f *File) infoVideoCaps(in *uapi.Info) ([]byte, error) {
	switch in.VideoCap().Type {
	case uapi.AMDGPU_INFO_VIDEO_CAPS_DECODE, uapi.AMDGPU_INFO_VIDEO_CAPS_ENCODE:
		if !f.dev.prof.IP[uapi.AMDGPU_HW_IP_VCN_DEC].Present && !f.dev.prof.IP[uapi.AMDGPU_HW_IP_UVD].Present {
			return nil, errno.EINVAL
		}
		// A profile with video IPs needs its codec table here.
		return nil, errno.Internalf("AMDGPU_INFO_VIDEO_CAPS", "profile %s has video IPs but no codec table", f.dev.prof.Name)
	}
	return nil, errno.EINVAL
}

// infoMaxIBs is the MAX_IBS case: amdgpu_ring_max_ibs() for each IP.
func (f *File) infoMaxIBs(_ *uapi.Info) ([]byte, error) {
	out := make([]byte, 0, 4*len(maxIBs))
	for _, v := range maxIBs {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	return out, nil
}

// infoGPUVMFault is the GPUVM_FAULT case: the last fault of the file's VM
// (zero until VM faults are wired, see gpuvmFault).
func (f *File) infoGPUVMFault(_ *uapi.Info) ([]byte, error) {
	v := f.gpuvmFault()
	return marshal(&v), nil
}

// infoUQFWAreas mirrors the UQ_FW_AREAS case: per IP type (query_hw_ip.type)
// the user-queue firmware area sizes, EOPNOTSUPP when the IP generation has
// no callback for them, EINVAL for other IP types. The result is union
// drm_amdgpu_info_uq_metadata (16 bytes). The kernel discards the copy's
// result here and returns 0 even when the copy faults; so does vmemu.
func (f *File) infoUQFWAreas(in *uapi.Info) ([]byte, error) {
	p := &f.dev.prof
	b := make([]byte, uapi.SizeOfInfoUQMetadata)
	switch in.QueryHWIP().Type {
	case uapi.AMDGPU_HW_IP_GFX:
		if p.UQGfx == nil {
			return nil, errno.EOPNOTSUPP
		}
		p.UQGfx.MarshalBytes(b)
	case uapi.AMDGPU_HW_IP_COMPUTE:
		if p.UQCompute == nil {
			return nil, errno.EOPNOTSUPP
		}
		p.UQCompute.MarshalBytes(b)
	case uapi.AMDGPU_HW_IP_DMA:
		if p.UQSDMA == nil {
			return nil, errno.EOPNOTSUPP
		}
		p.UQSDMA.MarshalBytes(b)
	default:
		return nil, errno.EINVAL
	}
	return b, nil
}
