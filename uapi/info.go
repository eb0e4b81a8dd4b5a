package uapi

import "structs"

// DRM_IOCTL_AMDGPU_INFO is DRM_IOW: the result goes to Info.ReturnPointer,
// not back into the argument.
const DRM_IOCTL_AMDGPU_INFO uint32 = drmIOW | SizeOfInfo<<IOC_SIZESHIFT | (DRM_COMMAND_BASE + DRM_AMDGPU_INFO)

// Struct sizes (x86-64/arm64).
const (
	SizeOfInfo                   = 32
	SizeOfInfoUnion              = 16 // the anonymous union in drm_amdgpu_info
	SizeOfQueryFW                = 16
	SizeOfInfoModeCrtcArg        = 8
	SizeOfInfoQueryHWIPArg       = 8
	SizeOfInfoReadMMRRegArg      = 16
	SizeOfInfoVbiosArg           = 8
	SizeOfInfoSensorArg          = 4
	SizeOfInfoVideoCapArg        = 4
	SizeOfInfoGDS                = 32
	SizeOfInfoVRAMGTT            = 24
	SizeOfHeapInfo               = 32
	SizeOfMemoryInfo             = 96
	SizeOfInfoFirmware           = 8
	SizeOfInfoVbios              = 200
	SizeOfInfoDevice             = 440
	SizeOfInfoHWIP               = 40
	SizeOfInfoNumHandles         = 8
	SizeOfInfoVCEClockTableEntry = 16
	SizeOfInfoVCEClockTable      = 104
	SizeOfInfoVideoCodecInfo     = 24
	SizeOfInfoVideoCaps          = 192
	SizeOfInfoGPUVMFault         = 16
	SizeOfInfoUQMetadataGfx      = 16
	SizeOfInfoUQMetadataCompute  = 8
	SizeOfInfoUQMetadataSDMA     = 8
	SizeOfInfoUQMetadata         = 16 // union drm_amdgpu_info_uq_metadata
)

// INFO query ids (AMDGPU_INFO_*).
const (
	AMDGPU_INFO_ACCEL_WORKING            = 0x00
	AMDGPU_INFO_CRTC_FROM_ID             = 0x01
	AMDGPU_INFO_HW_IP_INFO               = 0x02
	AMDGPU_INFO_HW_IP_COUNT              = 0x03
	AMDGPU_INFO_TIMESTAMP                = 0x05
	AMDGPU_INFO_FW_VERSION               = 0x0e
	AMDGPU_INFO_NUM_BYTES_MOVED          = 0x0f
	AMDGPU_INFO_VRAM_USAGE               = 0x10
	AMDGPU_INFO_GTT_USAGE                = 0x11
	AMDGPU_INFO_GDS_CONFIG               = 0x13
	AMDGPU_INFO_VRAM_GTT                 = 0x14
	AMDGPU_INFO_READ_MMR_REG             = 0x15
	AMDGPU_INFO_DEV_INFO                 = 0x16
	AMDGPU_INFO_VIS_VRAM_USAGE           = 0x17
	AMDGPU_INFO_NUM_EVICTIONS            = 0x18
	AMDGPU_INFO_MEMORY                   = 0x19
	AMDGPU_INFO_VCE_CLOCK_TABLE          = 0x1A
	AMDGPU_INFO_VBIOS                    = 0x1B
	AMDGPU_INFO_NUM_HANDLES              = 0x1C
	AMDGPU_INFO_SENSOR                   = 0x1D
	AMDGPU_INFO_NUM_VRAM_CPU_PAGE_FAULTS = 0x1E
	AMDGPU_INFO_VRAM_LOST_COUNTER        = 0x1F
	AMDGPU_INFO_RAS_ENABLED_FEATURES     = 0x20
	AMDGPU_INFO_VIDEO_CAPS               = 0x21
	AMDGPU_INFO_MAX_IBS                  = 0x22
	AMDGPU_INFO_GPUVM_FAULT              = 0x23
	AMDGPU_INFO_UQ_FW_AREAS              = 0x24
)

// AMDGPU_INFO_FW_VERSION sub-queries (QueryFW.FWType).
const (
	AMDGPU_INFO_FW_VCE                          = 0x1
	AMDGPU_INFO_FW_UVD                          = 0x2
	AMDGPU_INFO_FW_GMC                          = 0x03
	AMDGPU_INFO_FW_GFX_ME                       = 0x04
	AMDGPU_INFO_FW_GFX_PFP                      = 0x05
	AMDGPU_INFO_FW_GFX_CE                       = 0x06
	AMDGPU_INFO_FW_GFX_RLC                      = 0x07
	AMDGPU_INFO_FW_GFX_MEC                      = 0x08
	AMDGPU_INFO_FW_SMC                          = 0x0a
	AMDGPU_INFO_FW_SDMA                         = 0x0b
	AMDGPU_INFO_FW_SOS                          = 0x0c
	AMDGPU_INFO_FW_ASD                          = 0x0d
	AMDGPU_INFO_FW_VCN                          = 0x0e
	AMDGPU_INFO_FW_GFX_RLC_RESTORE_LIST_CNTL    = 0x0f
	AMDGPU_INFO_FW_GFX_RLC_RESTORE_LIST_GPM_MEM = 0x10
	AMDGPU_INFO_FW_GFX_RLC_RESTORE_LIST_SRM_MEM = 0x11
	AMDGPU_INFO_FW_DMCU                         = 0x12
	AMDGPU_INFO_FW_TA                           = 0x13
	AMDGPU_INFO_FW_DMCUB                        = 0x14
	AMDGPU_INFO_FW_TOC                          = 0x15
	AMDGPU_INFO_FW_CAP                          = 0x16
	AMDGPU_INFO_FW_GFX_RLCP                     = 0x17
	AMDGPU_INFO_FW_GFX_RLCV                     = 0x18
	AMDGPU_INFO_FW_MES_KIQ                      = 0x19
	AMDGPU_INFO_FW_MES                          = 0x1a
	AMDGPU_INFO_FW_IMU                          = 0x1b
	AMDGPU_INFO_FW_VPE                          = 0x1c
	AMDGPU_INFO_FW_MP5                          = 0x1d // linux-next only
)

// AMDGPU_INFO_VBIOS sub-queries (InfoVbiosArg.Type).
const (
	AMDGPU_INFO_VBIOS_SIZE  = 0x1
	AMDGPU_INFO_VBIOS_IMAGE = 0x2
	AMDGPU_INFO_VBIOS_INFO  = 0x3
)

// AMDGPU_INFO_SENSOR sub-queries (InfoSensorArg.Type).
const (
	AMDGPU_INFO_SENSOR_GFX_SCLK               = 0x1
	AMDGPU_INFO_SENSOR_GFX_MCLK               = 0x2
	AMDGPU_INFO_SENSOR_GPU_TEMP               = 0x3
	AMDGPU_INFO_SENSOR_GPU_LOAD               = 0x4
	AMDGPU_INFO_SENSOR_GPU_AVG_POWER          = 0x5
	AMDGPU_INFO_SENSOR_VDDNB                  = 0x6
	AMDGPU_INFO_SENSOR_VDDGFX                 = 0x7
	AMDGPU_INFO_SENSOR_STABLE_PSTATE_GFX_SCLK = 0x8
	AMDGPU_INFO_SENSOR_STABLE_PSTATE_GFX_MCLK = 0x9
	AMDGPU_INFO_SENSOR_PEAK_PSTATE_GFX_SCLK   = 0xa
	AMDGPU_INFO_SENSOR_PEAK_PSTATE_GFX_MCLK   = 0xb
	AMDGPU_INFO_SENSOR_GPU_INPUT_POWER        = 0xc
)

// AMDGPU_INFO_RAS_ENABLED_FEATURES mask bits.
const (
	AMDGPU_INFO_RAS_ENABLED_UMC   = 1 << 0
	AMDGPU_INFO_RAS_ENABLED_SDMA  = 1 << 1
	AMDGPU_INFO_RAS_ENABLED_GFX   = 1 << 2
	AMDGPU_INFO_RAS_ENABLED_MMHUB = 1 << 3
	AMDGPU_INFO_RAS_ENABLED_ATHUB = 1 << 4
	AMDGPU_INFO_RAS_ENABLED_PCIE  = 1 << 5
	AMDGPU_INFO_RAS_ENABLED_HDP   = 1 << 6
	AMDGPU_INFO_RAS_ENABLED_XGMI  = 1 << 7
	AMDGPU_INFO_RAS_ENABLED_DF    = 1 << 8
	AMDGPU_INFO_RAS_ENABLED_SMN   = 1 << 9
	AMDGPU_INFO_RAS_ENABLED_SEM   = 1 << 10
	AMDGPU_INFO_RAS_ENABLED_MP0   = 1 << 11
	AMDGPU_INFO_RAS_ENABLED_MP1   = 1 << 12
	AMDGPU_INFO_RAS_ENABLED_FUSE  = 1 << 13
)

// AMDGPU_INFO_VIDEO_CAPS sub-queries (InfoVideoCapArg.Type) and codec
// indices into InfoVideoCaps.CodecInfo.
const (
	AMDGPU_INFO_VIDEO_CAPS_DECODE = 0
	AMDGPU_INFO_VIDEO_CAPS_ENCODE = 1

	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_MPEG2     = 0
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_MPEG4     = 1
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_VC1       = 2
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_MPEG4_AVC = 3
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_HEVC      = 4
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_JPEG      = 5
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_VP9       = 6
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_AV1       = 7
	AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_COUNT     = 8
)

// AMDGPU_INFO_READ_MMR_REG instance encoding.
const (
	AMDGPU_INFO_MMR_SE_INDEX_SHIFT = 0
	AMDGPU_INFO_MMR_SE_INDEX_MASK  = 0xff
	AMDGPU_INFO_MMR_SH_INDEX_SHIFT = 8
	AMDGPU_INFO_MMR_SH_INDEX_MASK  = 0xff
)

// InfoDevice.IDsFlags bits (AMDGPU_IDS_FLAGS_*).
const (
	AMDGPU_IDS_FLAGS_FUSION                 = 0x01
	AMDGPU_IDS_FLAGS_PREEMPTION             = 0x02
	AMDGPU_IDS_FLAGS_TMZ                    = 0x04
	AMDGPU_IDS_FLAGS_CONFORMANT_TRUNC_COORD = 0x08
	AMDGPU_IDS_FLAGS_GANG_SUBMIT            = 0x10

	AMDGPU_IDS_FLAGS_MODE_MASK  = 0x300
	AMDGPU_IDS_FLAGS_MODE_SHIFT = 0x8
	AMDGPU_IDS_FLAGS_MODE_PF    = 0x0
	AMDGPU_IDS_FLAGS_MODE_VF    = 0x1
	AMDGPU_IDS_FLAGS_MODE_PT    = 0x2
)

// InfoDevice.VRAMType values (AMDGPU_VRAM_TYPE_*).
const (
	AMDGPU_VRAM_TYPE_UNKNOWN = 0
	AMDGPU_VRAM_TYPE_GDDR1   = 1
	AMDGPU_VRAM_TYPE_DDR2    = 2
	AMDGPU_VRAM_TYPE_GDDR3   = 3
	AMDGPU_VRAM_TYPE_GDDR4   = 4
	AMDGPU_VRAM_TYPE_GDDR5   = 5
	AMDGPU_VRAM_TYPE_HBM     = 6
	AMDGPU_VRAM_TYPE_DDR3    = 7
	AMDGPU_VRAM_TYPE_DDR4    = 8
	AMDGPU_VRAM_TYPE_GDDR6   = 9
	AMDGPU_VRAM_TYPE_DDR5    = 10
	AMDGPU_VRAM_TYPE_LPDDR4  = 11
	AMDGPU_VRAM_TYPE_LPDDR5  = 12
	AMDGPU_VRAM_TYPE_HBM3E   = 13
	AMDGPU_VRAM_TYPE_HBM4    = 14
)

// InfoGPUVMFault.VMHub encoding (AMDGPU_VMHUB_*).
const (
	AMDGPU_VMHUB_TYPE_MASK  = 0xff
	AMDGPU_VMHUB_TYPE_SHIFT = 0
	AMDGPU_VMHUB_TYPE_GFX   = 0
	AMDGPU_VMHUB_TYPE_MM0   = 1
	AMDGPU_VMHUB_TYPE_MM1   = 2
	AMDGPU_VMHUB_IDX_MASK   = 0xff00
	AMDGPU_VMHUB_IDX_SHIFT  = 8
)

// GPU families (InfoDevice.Family, AMDGPU_FAMILY_*).
const (
	AMDGPU_FAMILY_UNKNOWN   = 0
	AMDGPU_FAMILY_SI        = 110 // Hainan, Oland, Verde, Pitcairn, Tahiti
	AMDGPU_FAMILY_CI        = 120 // Bonaire, Hawaii
	AMDGPU_FAMILY_KV        = 125 // Kaveri, Kabini, Mullins
	AMDGPU_FAMILY_VI        = 130 // Iceland, Tonga
	AMDGPU_FAMILY_CZ        = 135 // Carrizo, Stoney
	AMDGPU_FAMILY_AI        = 141 // Vega10
	AMDGPU_FAMILY_RV        = 142 // Raven
	AMDGPU_FAMILY_NV        = 143 // Navi10
	AMDGPU_FAMILY_VGH       = 144 // Van Gogh
	AMDGPU_FAMILY_GC_11_0_0 = 145
	AMDGPU_FAMILY_YC        = 146 // Yellow Carp
	AMDGPU_FAMILY_GC_11_0_1 = 148
	AMDGPU_FAMILY_GC_10_3_6 = 149
	AMDGPU_FAMILY_GC_10_3_7 = 151
	AMDGPU_FAMILY_GC_11_5_0 = 150
	AMDGPU_FAMILY_GC_12_0_0 = 152
	AMDGPU_FAMILY_GC_11_5_4 = 154 // linux-next only
)

// AMDGPU_VCE_CLOCK_TABLE_ENTRIES is the length of InfoVCEClockTable.Entries.
const AMDGPU_VCE_CLOCK_TABLE_ENTRIES = 6

// Info is struct drm_amdgpu_info, from include/uapi/drm/amdgpu_drm.h, the
// argument of DRM_IOCTL_AMDGPU_INFO. The anonymous union at offset 16 is
//
//	union {
//		struct { __u32 id; __u32 _pad; } mode_crtc;
//		struct { __u32 type; __u32 ip_instance; } query_hw_ip;
//		struct { __u32 dword_offset; __u32 count;
//			 __u32 instance; __u32 flags; } read_mmr_reg;
//		struct drm_amdgpu_query_fw query_fw;
//		struct { __u32 type; __u32 offset; } vbios_info;
//		struct { __u32 type; } sensor_info;
//		struct { __u32 type; } video_cap;
//	};
//
// and is kept as raw bytes; the accessor methods decode each arm.
type Info struct {
	_             structs.HostLayout
	ReturnPointer P64    // user buffer for the result
	ReturnSize    uint32 // at most this many bytes are written
	Query         uint32 // AMDGPU_INFO_*
	Union         [SizeOfInfoUnion]byte
}

// ModeCrtc decodes the mode_crtc arm.
func (i *Info) ModeCrtc() (a InfoModeCrtcArg) { a.UnmarshalBytes(i.Union[:]); return a }

// QueryHWIP decodes the query_hw_ip arm.
func (i *Info) QueryHWIP() (a InfoQueryHWIPArg) { a.UnmarshalBytes(i.Union[:]); return a }

// ReadMMRReg decodes the read_mmr_reg arm.
func (i *Info) ReadMMRReg() (a InfoReadMMRRegArg) { a.UnmarshalBytes(i.Union[:]); return a }

// QueryFW decodes the query_fw arm.
func (i *Info) QueryFW() (a QueryFW) { a.UnmarshalBytes(i.Union[:]); return a }

// VbiosInfo decodes the vbios_info arm.
func (i *Info) VbiosInfo() (a InfoVbiosArg) { a.UnmarshalBytes(i.Union[:]); return a }

// SensorInfo decodes the sensor_info arm.
func (i *Info) SensorInfo() (a InfoSensorArg) { a.UnmarshalBytes(i.Union[:]); return a }

// VideoCap decodes the video_cap arm.
func (i *Info) VideoCap() (a InfoVideoCapArg) { a.UnmarshalBytes(i.Union[:]); return a }

// SetArg stores one arm into the union, zeroing the rest of it.
func (i *Info) SetArg(a Marshallable) {
	i.Union = [SizeOfInfoUnion]byte{}
	a.MarshalBytes(i.Union[:])
}

// InfoModeCrtcArg is the mode_crtc arm of the drm_amdgpu_info union, from
// include/uapi/drm/amdgpu_drm.h.
type InfoModeCrtcArg struct {
	_   structs.HostLayout
	ID  uint32
	Pad uint32
}

// InfoQueryHWIPArg is the query_hw_ip arm of the drm_amdgpu_info union, from
// include/uapi/drm/amdgpu_drm.h (HW_IP_INFO, HW_IP_COUNT).
type InfoQueryHWIPArg struct {
	_          structs.HostLayout
	Type       uint32 // AMDGPU_HW_IP_*
	IPInstance uint32 // ignored by HW_IP_COUNT
}

// InfoReadMMRRegArg is the read_mmr_reg arm of the drm_amdgpu_info union,
// from include/uapi/drm/amdgpu_drm.h.
type InfoReadMMRRegArg struct {
	_           structs.HostLayout
	DwordOffset uint32
	Count       uint32
	Instance    uint32 // AMDGPU_INFO_MMR_{SE,SH}_INDEX_*
	Flags       uint32 // none defined
}

// QueryFW is struct drm_amdgpu_query_fw, from include/uapi/drm/amdgpu_drm.h:
// the query_fw arm of the drm_amdgpu_info union.
type QueryFW struct {
	_          structs.HostLayout
	FWType     uint32 // AMDGPU_INFO_FW_*
	IPInstance uint32
	Index      uint32
	Pad        uint32
}

// InfoVbiosArg is the vbios_info arm of the drm_amdgpu_info union, from
// include/uapi/drm/amdgpu_drm.h.
type InfoVbiosArg struct {
	_      structs.HostLayout
	Type   uint32 // AMDGPU_INFO_VBIOS_*
	Offset uint32
}

// InfoSensorArg is the sensor_info arm of the drm_amdgpu_info union, from
// include/uapi/drm/amdgpu_drm.h.
type InfoSensorArg struct {
	_    structs.HostLayout
	Type uint32 // AMDGPU_INFO_SENSOR_*
}

// InfoVideoCapArg is the video_cap arm of the drm_amdgpu_info union, from
// include/uapi/drm/amdgpu_drm.h.
type InfoVideoCapArg struct {
	_    structs.HostLayout
	Type uint32 // AMDGPU_INFO_VIDEO_CAPS_DECODE or _ENCODE
}

// InfoGDS is struct drm_amdgpu_info_gds, from include/uapi/drm/amdgpu_drm.h
// (AMDGPU_INFO_GDS_CONFIG).
type InfoGDS struct {
	_                      structs.HostLayout
	GDSGfxPartitionSize    uint32
	ComputePartitionSize   uint32
	GDSTotalSize           uint32
	GWSPerGfxPartition     uint32
	GWSPerComputePartition uint32
	OAPerGfxPartition      uint32
	OAPerComputePartition  uint32
	Pad                    uint32
}

// InfoVRAMGTT is struct drm_amdgpu_info_vram_gtt, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_VRAM_GTT).
type InfoVRAMGTT struct {
	_                     structs.HostLayout
	VRAMSize              uint64
	VRAMCPUAccessibleSize uint64
	GTTSize               uint64
}

// HeapInfo is struct drm_amdgpu_heap_info, from
// include/uapi/drm/amdgpu_drm.h.
type HeapInfo struct {
	_              structs.HostLayout
	TotalHeapSize  uint64
	UsableHeapSize uint64
	HeapUsage      uint64
	MaxAllocation  uint64
}

// MemoryInfo is struct drm_amdgpu_memory_info, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_MEMORY).
type MemoryInfo struct {
	_                 structs.HostLayout
	VRAM              HeapInfo
	CPUAccessibleVRAM HeapInfo
	GTT               HeapInfo
}

// InfoFirmware is struct drm_amdgpu_info_firmware, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_FW_VERSION).
type InfoFirmware struct {
	_       structs.HostLayout
	Ver     uint32
	Feature uint32
}

// InfoVbios is struct drm_amdgpu_info_vbios, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_VBIOS_INFO).
type InfoVbios struct {
	_           structs.HostLayout
	Name        [64]byte
	VbiosPN     [64]byte
	Version     uint32
	Pad         uint32
	VbiosVerStr [32]byte
	Date        [32]byte
}

// InfoDevice is struct drm_amdgpu_info_device, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_DEV_INFO).
//
// Layout of the newest header (linux-next): 440 bytes with an explicit pad
// after PaScTileSteeringOverride. The mainline header has that pad implicit
// and a trailing __u32 pad after UserqIPMask, making 448 bytes; every named
// field has the same offset in both, and INFO copies only
// min(return_size, size) bytes, so both kinds of caller are served.
type InfoDevice struct {
	_                        structs.HostLayout
	DeviceID                 uint32
	ChipRev                  uint32
	ExternalRev              uint32
	PCIRev                   uint32
	Family                   uint32 // AMDGPU_FAMILY_*
	NumShaderEngines         uint32
	NumShaderArraysPerEngine uint32
	GPUCounterFreq           uint32 // kHz
	MaxEngineClock           uint64
	MaxMemoryClock           uint64
	CUActiveNumber           uint32
	CUAOMask                 uint32 // invalid, don't use
	CUBitmap                 [4][4]uint32
	EnabledRBPipesMask       uint32
	NumRBPipes               uint32
	NumHWGfxContexts         uint32
	PCIeGen                  uint32
	IDsFlags                 uint64 // AMDGPU_IDS_FLAGS_*
	VirtualAddressOffset     uint64
	VirtualAddressMax        uint64
	VirtualAddressAlignment  uint32
	PTEFragmentSize          uint32
	GARTPageSize             uint32
	CERAMSize                uint32
	VRAMType                 uint32 // AMDGPU_VRAM_TYPE_*
	VRAMBitWidth             uint32
	VCEHarvestConfig         uint32
	GCDoubleOffchipLDSBuf    uint32
	PrimBufGPUAddr           uint64
	PosBufGPUAddr            uint64
	CntlSBBufGPUAddr         uint64
	ParamBufGPUAddr          uint64
	PrimBufSize              uint32
	PosBufSize               uint32
	CntlSBBufSize            uint32
	ParamBufSize             uint32
	WaveFrontSize            uint32
	NumShaderVisibleVGPRs    uint32
	NumCUPerSH               uint32
	NumTCCBlocks             uint32
	GSVGTTableDepth          uint32
	GSPrimBufferDepth        uint32
	MaxGSWavesPerVGT         uint32
	PCIeNumLanes             uint32
	CUAOBitmap               [4][4]uint32
	HighVAOffset             uint64
	HighVAMax                uint64
	PaScTileSteeringOverride uint32
	Pad                      uint32 // implicit in mainline
	TCCDisabledMask          uint64
	MinEngineClock           uint64
	MinMemoryClock           uint64
	TCPCacheSize             uint32 // gfx11+
	NumSQCPerWGP             uint32
	SQCDataCacheSize         uint32
	SQCInstCacheSize         uint32
	GL1CCacheSize            uint32
	GL2CCacheSize            uint32
	MallSize                 uint64
	EnabledRBPipesMaskHi     uint32
	ShadowSize               uint32
	ShadowAlignment          uint32
	CSASize                  uint32
	CSAAlignment             uint32
	UserqIPMask              uint32 // 1 << AMDGPU_HW_IP_*
}

// InfoHWIP is struct drm_amdgpu_info_hw_ip, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_HW_IP_INFO).
type InfoHWIP struct {
	_                  structs.HostLayout
	HWIPVersionMajor   uint32
	HWIPVersionMinor   uint32
	CapabilitiesFlags  uint64
	IBStartAlignment   uint32
	IBSizeAlignment    uint32
	AvailableRings     uint32 // bit i = ring i
	IPDiscoveryVersion uint32 // bits 23:16 major, 15:8 minor, 7:0 revision
	UserqNumSlots      uint32
	_                  [4]byte // implicit trailing padding
}

// InfoNumHandles is struct drm_amdgpu_info_num_handles, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_NUM_HANDLES).
type InfoNumHandles struct {
	_              structs.HostLayout
	UVDMaxHandles  uint32
	UVDUsedHandles uint32
}

// InfoVCEClockTableEntry is struct drm_amdgpu_info_vce_clock_table_entry,
// from include/uapi/drm/amdgpu_drm.h.
type InfoVCEClockTableEntry struct {
	_    structs.HostLayout
	Sclk uint32
	Mclk uint32
	Eclk uint32
	Pad  uint32
}

// InfoVCEClockTable is struct drm_amdgpu_info_vce_clock_table, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_VCE_CLOCK_TABLE).
type InfoVCEClockTable struct {
	_               structs.HostLayout
	Entries         [AMDGPU_VCE_CLOCK_TABLE_ENTRIES]InfoVCEClockTableEntry
	NumValidEntries uint32
	Pad             uint32
}

// InfoVideoCodecInfo is struct drm_amdgpu_info_video_codec_info, from
// include/uapi/drm/amdgpu_drm.h.
type InfoVideoCodecInfo struct {
	_                 structs.HostLayout
	Valid             uint32
	MaxWidth          uint32
	MaxHeight         uint32
	MaxPixelsPerFrame uint32
	MaxLevel          uint32
	Pad               uint32
}

// InfoVideoCaps is struct drm_amdgpu_info_video_caps, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_VIDEO_CAPS).
type InfoVideoCaps struct {
	_         structs.HostLayout
	CodecInfo [AMDGPU_INFO_VIDEO_CAPS_CODEC_IDX_COUNT]InfoVideoCodecInfo
}

// InfoGPUVMFault is struct drm_amdgpu_info_gpuvm_fault, from
// include/uapi/drm/amdgpu_drm.h (AMDGPU_INFO_GPUVM_FAULT).
type InfoGPUVMFault struct {
	_      structs.HostLayout
	Addr   uint64
	Status uint32
	VMHub  uint32 // AMDGPU_VMHUB_*
}

// InfoUQMetadataGfx is struct drm_amdgpu_info_uq_metadata_gfx, from
// include/uapi/drm/amdgpu_drm.h: the gfx arm of union
// drm_amdgpu_info_uq_metadata (AMDGPU_INFO_UQ_FW_AREAS).
type InfoUQMetadataGfx struct {
	_               structs.HostLayout
	ShadowSize      uint32
	ShadowAlignment uint32
	CSASize         uint32
	CSAAlignment    uint32
}

// InfoUQMetadataCompute is struct drm_amdgpu_info_uq_metadata_compute, from
// include/uapi/drm/amdgpu_drm.h: the compute arm of union
// drm_amdgpu_info_uq_metadata.
type InfoUQMetadataCompute struct {
	_            structs.HostLayout
	EOPSize      uint32
	EOPAlignment uint32
}

// InfoUQMetadataSDMA is struct drm_amdgpu_info_uq_metadata_sdma, from
// include/uapi/drm/amdgpu_drm.h: the sdma arm of union
// drm_amdgpu_info_uq_metadata.
type InfoUQMetadataSDMA struct {
	_            structs.HostLayout
	CSASize      uint32
	CSAAlignment uint32
}
