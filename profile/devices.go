package profile

import "github.com/vmemu/vmemu/uapi"

// The registered devices.
//
// Sources, cited per profile:
//
//   - [shim]: Mesa src/amd/drm-shim/amdgpu_devices.c (bminor/mesa-mesa
//     56d758d3), DEV_INFO / HW_IP_INFO(GFX, COMPUTE) / FW_VERSION(ME, PFP,
//     MEC) / READ_MMR_REG(GB_ADDR_CONFIG) / MEMORY answers dumped from the
//     real part with amdgpu_dump_states. The memory totals are the capture's
//     total_heap_size values (real_vram_size, visible_vram_size and the GTT
//     manager size of the capturing machine).
//   - [kms]: drivers/gpu/drm/amd/amdgpu/amdgpu_kms.c (kernel-patches/bpf
//     36990c9a, KMS 3.65): fixed ib alignments per IP (gfx/compute 32/32,
//     sdma 256/4), the MAX_IBS table (amdgpu_ring.c amdgpu_ring_max_ibs()).
//   - [gfx10], [gfx11]: gfx_v10_0.c / gfx_v11_0.c set_gds_init() (GDS 64 KiB
//     on gfx10, 4 KiB on gfx11, 64 GWS, 16 OA), gfx_v11_0_ip_block (11.0),
//     gfx_v11_0_get_gfx_shadow_info_nocheck() (shadow 73728/256, CSA 484/256,
//     EOP GFX11_MEC_HPD_SIZE 2048/256).
//   - [disc]: the SDMA IP block and discovery versions (sdma_v5_2 for GC
//     10.3.0, sdma_v6_0 for GC 11.x) and SDMA instance counts come from the
//     IP discovery assignment in amdgpu_discovery.c as Mesa's sdma_version
//     table expects them; they were not captured and are unverified against
//     a dump.
//   - compute rings: 8 kernel compute queues (amdgpu_num_kcq default),
//     reported as 4 (amdgpu_ctx_num_entities[COMPUTE]), which matches the
//     captured available_rings 0xf.
//
// Sensors are vmemu's model of an idle GPU, derived from the captured DEV_INFO
// clocks: current sclk/mclk = the minimum clocks, peak pstate = the maximum
// clocks, load 0 %. Other sensors answer EINVAL (not modelled).
func init() {
	Register(navi31())
	Register(navi21())
	Register(gfx1150())
}

// Fixed per-IP answers of amdgpu_hw_ip_info() [kms].
const (
	gfxIBAlign  = 32
	sdmaIBStart = 256
	sdmaIBSize  = 4
)

func idleSensors(d *uapi.InfoDevice) map[uint32]uint32 {
	return map[uint32]uint32{
		uapi.AMDGPU_INFO_SENSOR_GFX_SCLK:             uint32(d.MinEngineClock / 1000),
		uapi.AMDGPU_INFO_SENSOR_GFX_MCLK:             uint32(d.MinMemoryClock / 1000),
		uapi.AMDGPU_INFO_SENSOR_GPU_LOAD:             0,
		uapi.AMDGPU_INFO_SENSOR_PEAK_PSTATE_GFX_SCLK: uint32(d.MaxEngineClock / 1000),
		uapi.AMDGPU_INFO_SENSOR_PEAK_PSTATE_GFX_MCLK: uint32(d.MaxMemoryClock / 1000),
	}
}

// gfxFirmware builds the FW_VERSION table from the captured ME/PFP/MEC.
func gfxFirmware(me, pfp, mec, feature uint32) map[FWKey]uapi.InfoFirmware {
	return map[FWKey]uapi.InfoFirmware{
		{Type: uapi.AMDGPU_INFO_FW_GFX_ME}:  {Ver: me, Feature: feature},
		{Type: uapi.AMDGPU_INFO_FW_GFX_PFP}: {Ver: pfp, Feature: feature},
		{Type: uapi.AMDGPU_INFO_FW_GFX_MEC}: {Ver: mec, Feature: feature},
	}
}

// regGBAddrConfig is the dword offset of GB_ADDR_CONFIG (GC base 0x1260 +
// 0x13de) that libdrm and Mesa read on every family.
const regGBAddrConfig = 0x263e

// gfx11UQ are the UQ_FW_AREAS answers of GFX11 [gfx11].
var (
	gfx11UQGfx     = uapi.InfoUQMetadataGfx{ShadowSize: 73728, ShadowAlignment: 256, CSASize: 484, CSAAlignment: 256}
	gfx11UQCompute = uapi.InfoUQMetadataCompute{EOPSize: 2048, EOPAlignment: 256}
)

// navi31 is the Radeon RX 7900 XTX (Navi 31, GC 11.0.0, RDNA3).
// Source: [shim] "navi31"; [kms]; [gfx11]; [disc].
func navi31() *Profile {
	p := &Profile{
		Name: "navi31", Marketing: "AMD Radeon RX 7900 XTX",
		Source:    "Mesa drm-shim amdgpu_devices.c \"navi31\" (captured); amdgpu_kms.c KMS 3.65",
		Family:    uapi.AMDGPU_FAMILY_GC_11_0_0,
		ChipClass: "GFX11 (RDNA3)",
		VendorID:  0x1002, DeviceID: 0x744c, RevisionID: 0xc8,
		ChipRev: 0x00, ExternalRev: 0x01,
		VRAMSize: 25753026560, VisibleVRAMSize: 25753026560, GTTSize: 33254252544,
		GfxRings: 1, ComputeRings: 8, SDMARings: 2, VABits: 48,
		DRM: drmAMDGPU, Explicit: true,
		IP: [uapi.AMDGPU_HW_IP_NUM]IP{
			uapi.AMDGPU_HW_IP_GFX:     {Present: true, Major: 11, Minor: 0, Discovery: 0xb0000, Instances: 1, Rings: 1, UserqSlots: 2},
			uapi.AMDGPU_HW_IP_COMPUTE: {Present: true, Major: 11, Minor: 0, Discovery: 0xb0000, Instances: 1, Rings: 8, UserqSlots: 16},
			uapi.AMDGPU_HW_IP_DMA:     {Present: true, Major: 6, Minor: 0, Discovery: 0x60000, Instances: 2, Rings: 2},
		},
		Firmware:  gfxFirmware(1486, 1525, 494, 29),
		Registers: map[uint32]uint32{regGBAddrConfig: 0x00000545},
		DPM:       true,
		GDS:       uapi.InfoGDS{ComputePartitionSize: 0x1000, GDSTotalSize: 0x1000, GWSPerComputePartition: 64, OAPerComputePartition: 16},
		UQGfx:     &gfx11UQGfx, UQCompute: &gfx11UQCompute,
	}
	p.DevInfo = uapi.InfoDevice{
		NumShaderEngines: 6, NumShaderArraysPerEngine: 2,
		GPUCounterFreq: 100000, MaxEngineClock: 2371000, MaxMemoryClock: 1249000,
		CUActiveNumber:     96,
		CUBitmap:           [4][4]uint32{{0xff, 0xff, 0xff, 0xff}, {0xff, 0xff, 0xff, 0xff}, {0xff, 0xff, 0, 0}, {0xff, 0xff, 0, 0}},
		EnabledRBPipesMask: 0xffffff, NumRBPipes: 24, NumHWGfxContexts: 8, PCIeGen: 4,
		VRAMType: uapi.AMDGPU_VRAM_TYPE_GDDR6, VRAMBitWidth: 384,
		WaveFrontSize: 32, NumShaderVisibleVGPRs: 1536, NumCUPerSH: 8, NumTCCBlocks: 24,
		GSVGTTableDepth: 32, GSPrimBufferDepth: 1792, MaxGSWavesPerVGT: 32, PCIeNumLanes: 16,
		MinEngineClock: 500000, MinMemoryClock: 96000,
		TCPCacheSize: 32, NumSQCPerWGP: 1, SQCDataCacheSize: 16, SQCInstCacheSize: 32,
		GL1CCacheSize: 256, GL2CCacheSize: 6144, MallSize: 100663296,
	}
	p.Sensors = idleSensors(&p.DevInfo)
	return p
}

// navi21 is the Radeon RX 6800 (Navi 21, GC 10.3.0, RDNA2; 60 CUs, no
// resizable BAR: 256 MiB CPU-visible VRAM).
// Source: [shim] "navi21"; [kms]; [gfx10]; [disc].
func navi21() *Profile {
	p := &Profile{
		Name: "navi21", Marketing: "AMD Radeon RX 6800",
		Source:    "Mesa drm-shim amdgpu_devices.c \"navi21\" (captured); amdgpu_kms.c KMS 3.65",
		Family:    uapi.AMDGPU_FAMILY_NV,
		ChipClass: "GFX10.3 (RDNA2)",
		VendorID:  0x1002, DeviceID: 0x73bf, RevisionID: 0xc3,
		ChipRev: 0x01, ExternalRev: 0x29,
		VRAMSize: 17163091968, VisibleVRAMSize: 268435456, GTTSize: 16746784768,
		GfxRings: 1, ComputeRings: 8, SDMARings: 4, VABits: 48,
		DRM: drmAMDGPU, Explicit: true,
		IP: [uapi.AMDGPU_HW_IP_NUM]IP{
			uapi.AMDGPU_HW_IP_GFX:     {Present: true, Major: 10, Minor: 0, Discovery: 0xa0300, Instances: 1, Rings: 1},
			uapi.AMDGPU_HW_IP_COMPUTE: {Present: true, Major: 10, Minor: 0, Discovery: 0xa0300, Instances: 1, Rings: 8},
			uapi.AMDGPU_HW_IP_DMA:     {Present: true, Major: 5, Minor: 2, Discovery: 0x50200, Instances: 4, Rings: 4},
		},
		Firmware:  gfxFirmware(64, 95, 104, 42),
		Registers: map[uint32]uint32{regGBAddrConfig: 0x00000444},
		DPM:       true,
		GDS:       uapi.InfoGDS{ComputePartitionSize: 0x10000, GDSTotalSize: 0x10000, GWSPerComputePartition: 64, OAPerComputePartition: 16},
	}
	p.DevInfo = uapi.InfoDevice{
		NumShaderEngines: 4, NumShaderArraysPerEngine: 2,
		GPUCounterFreq: 100000, MaxEngineClock: 2475000, MaxMemoryClock: 1000000,
		CUActiveNumber: 60, CUAOMask: 0x3ffff,
		CUBitmap:           [4][4]uint32{{0x3ff, 0x3ff}, {}, {0x3ff, 0x3ff}, {0x3ff, 0x3ff}},
		EnabledRBPipesMask: 0xff0f, NumRBPipes: 16, NumHWGfxContexts: 8, PCIeGen: 3,
		CERAMSize: 65536, VRAMType: uapi.AMDGPU_VRAM_TYPE_GDDR6, VRAMBitWidth: 256,
		GCDoubleOffchipLDSBuf: 1,
		WaveFrontSize:         32, NumShaderVisibleVGPRs: 1024, NumCUPerSH: 10, NumTCCBlocks: 16,
		GSVGTTableDepth: 32, GSPrimBufferDepth: 1792, MaxGSWavesPerVGT: 32, PCIeNumLanes: 16,
		CUAOBitmap:     [4][4]uint32{{0x3ff, 0x3ff}, {}, {0x3ff, 0x3ff}, {0x3ff, 0x3ff}},
		MinEngineClock: 500000, MinMemoryClock: 96000,
		MallSize: 134217728,
	}
	p.Sensors = idleSensors(&p.DevInfo)
	return p
}

// gfx1150 is the Radeon 890M of the Ryzen AI 300 "Strix Point" APU (GC
// 11.5.0, RDNA3.5; 16 CUs, 512 MiB VRAM carve-out, LPDDR5, GTT half of a
// 32 GB host).
// Source: [shim] "gfx1150"; [kms]; [gfx11]; [disc] (one SDMA instance,
// unverified). The marketing name for 1002:150E rev D1 is from the PCI id
// and CU count, not from amdgpu.ids.
func gfx1150() *Profile {
	p := &Profile{
		Name: "gfx1150", Marketing: "AMD Radeon 890M (Strix Point APU)",
		Source:    "Mesa drm-shim amdgpu_devices.c \"gfx1150\" (captured); amdgpu_kms.c KMS 3.65",
		Family:    uapi.AMDGPU_FAMILY_GC_11_5_0,
		ChipClass: "GFX11.5 (RDNA3.5 APU)",
		VendorID:  0x1002, DeviceID: 0x150e, RevisionID: 0xd1,
		ChipRev: 0x01, ExternalRev: 0x11,
		VRAMSize: 536870912, VisibleVRAMSize: 536870912, GTTSize: 16488497152,
		APU:      true,
		GfxRings: 1, ComputeRings: 8, SDMARings: 1, VABits: 48,
		DRM: drmAMDGPU, Explicit: true,
		IP: [uapi.AMDGPU_HW_IP_NUM]IP{
			uapi.AMDGPU_HW_IP_GFX:     {Present: true, Major: 11, Minor: 0, Discovery: 0xb0500, Instances: 1, Rings: 1, UserqSlots: 2},
			uapi.AMDGPU_HW_IP_COMPUTE: {Present: true, Major: 11, Minor: 0, Discovery: 0xb0500, Instances: 1, Rings: 8, UserqSlots: 16},
			uapi.AMDGPU_HW_IP_DMA:     {Present: true, Major: 6, Minor: 0, Discovery: 0x60100, Instances: 1, Rings: 1},
		},
		IDsFlags:  uapi.AMDGPU_IDS_FLAGS_CONFORMANT_TRUNC_COORD, // captured ids_flags 0x9 = FUSION | this
		Firmware:  gfxFirmware(29, 39, 24, 35),
		Registers: map[uint32]uint32{regGBAddrConfig: 0x00000242},
		DPM:       true,
		GDS:       uapi.InfoGDS{ComputePartitionSize: 0x1000, GDSTotalSize: 0x1000, GWSPerComputePartition: 64, OAPerComputePartition: 16},
		UQGfx:     &gfx11UQGfx, UQCompute: &gfx11UQCompute,
	}
	p.DevInfo = uapi.InfoDevice{
		NumShaderEngines: 1, NumShaderArraysPerEngine: 2,
		GPUCounterFreq: 100000, MaxEngineClock: 2900000, MaxMemoryClock: 937000,
		CUActiveNumber:     16,
		CUBitmap:           [4][4]uint32{{0xff, 0xff}},
		EnabledRBPipesMask: 0xf, NumRBPipes: 4, NumHWGfxContexts: 8, PCIeGen: 4,
		VRAMType: uapi.AMDGPU_VRAM_TYPE_LPDDR5, VRAMBitWidth: 128,
		WaveFrontSize: 32, NumShaderVisibleVGPRs: 1024, NumCUPerSH: 8, NumTCCBlocks: 4,
		GSVGTTableDepth: 32, GSPrimBufferDepth: 1792, MaxGSWavesPerVGT: 32, PCIeNumLanes: 16,
		MinEngineClock: 600000, MinMemoryClock: 400000,
		TCPCacheSize: 32, NumSQCPerWGP: 1, SQCDataCacheSize: 16, SQCInstCacheSize: 32,
		GL1CCacheSize: 256, GL2CCacheSize: 2048,
	}
	p.Sensors = idleSensors(&p.DevInfo)
	return p
}
