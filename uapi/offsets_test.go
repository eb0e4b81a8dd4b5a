package uapi

import (
	"reflect"
	"strings"
	"testing"
)

// offsetOf returns the byte offset of the (dotted) field path in *v.
func offsetOf(t *testing.T, v any, path string) uintptr {
	t.Helper()
	typ := reflect.TypeOf(v).Elem()
	var off uintptr
	for _, name := range strings.Split(path, ".") {
		f, ok := typ.FieldByName(name)
		if !ok {
			t.Fatalf("%s has no field %s", typ, name)
		}
		off += f.Offset
		typ = f.Type
	}
	return off
}

// TestOffsets checks the fields that are easy to get wrong against the
// offsets in the spec tables (which were computed with gcc from the headers).
func TestOffsets(t *testing.T) {
	for _, tt := range []struct {
		v     any
		field string
		want  uintptr
	}{
		// drm_version: 4 bytes of implicit padding before name_len.
		{new(DRMVersion), "VersionPatchlevel", 8},
		{new(DRMVersion), "NameLen", 16},
		{new(DRMVersion), "Name", 24},
		{new(DRMVersion), "DateLen", 32},
		{new(DRMVersion), "Date", 40},
		{new(DRMVersion), "DescLen", 48},
		{new(DRMVersion), "Desc", 56},
		{new(PrimeHandle), "FD", 8},
		{new(SetClientName), "Name", 8},

		// Syncobj.
		{new(SyncobjHandle), "FD", 8},
		{new(SyncobjHandle), "Pad", 12},
		{new(SyncobjHandle), "Point", 16},
		{new(SyncobjTransfer), "SrcPoint", 8},
		{new(SyncobjTransfer), "DstPoint", 16},
		{new(SyncobjTransfer), "Flags", 24},
		{new(SyncobjWait), "TimeoutNsec", 8},
		{new(SyncobjWait), "CountHandles", 16},
		{new(SyncobjWait), "Flags", 20},
		{new(SyncobjWait), "FirstSignaled", 24},
		{new(SyncobjWait), "DeadlineNsec", 32},
		{new(SyncobjTimelineWait), "Points", 8},
		{new(SyncobjTimelineWait), "TimeoutNsec", 16},
		{new(SyncobjTimelineWait), "CountHandles", 24},
		{new(SyncobjTimelineWait), "Flags", 28},
		{new(SyncobjTimelineWait), "FirstSignaled", 32},
		{new(SyncobjTimelineWait), "DeadlineNsec", 40},
		{new(SyncobjEventfd), "Point", 8},
		{new(SyncobjEventfd), "FD", 16},
		{new(SyncobjArray), "CountHandles", 8},
		{new(SyncobjTimelineArray), "CountHandles", 16},
		{new(SyncobjTimelineArray), "Flags", 20},

		// GEM.
		{new(GemCreateIn), "DomainFlags", 24},
		{new(GemWaitIdleIn), "Timeout", 8},
		{new(GemOp), "Value", 8},
		{new(GemOp), "NumEntries", 16},
		{new(GemOp), "Padding", 20},
		{new(GemUserptr), "Flags", 16},
		{new(GemUserptr), "Handle", 20},
		{new(GemMetadata), "Data", 8},
		{new(GemMetadata), "Data.Flags", 8},
		{new(GemMetadata), "Data.TilingInfo", 16},
		{new(GemMetadata), "Data.DataSizeBytes", 24},
		{new(GemMetadata), "Data.Data", 28},
		{new(GemListHandles), "NumEntries", 8},
		{new(GemListHandlesEntry), "Size", 8},
		{new(GemListHandlesEntry), "PreferredDomains", 16},
		{new(GemListHandlesEntry), "AllocFlags", 24},
		{new(GemListHandlesEntry), "Alignment", 32},
		{new(UALinkHandleIn), "ImportUALinkHandle", 8},

		// GEM_VA: the tail fields after the legacy 40 bytes.
		{new(GemVA), "Operation", 8},
		{new(GemVA), "Flags", 12},
		{new(GemVA), "VAAddress", 16},
		{new(GemVA), "OffsetInBO", 24},
		{new(GemVA), "MapSize", 32},
		{new(GemVA), "VMTimelinePoint", 40},
		{new(GemVA), "VMTimelineSyncobjOut", 48},
		{new(GemVA), "NumSyncobjHandles", 52},
		{new(GemVA), "InputFenceSyncobjHandles", 56},
		{new(GemVA_V1), "MapSize", 32},

		// CTX, SCHED.
		{new(CtxIn), "CtxID", 8},
		{new(CtxIn), "Priority", 12},
		{new(CtxOutState), "Hangs", 8},
		{new(CtxOutState), "ResetStatus", 12},
		{new(SchedIn), "Priority", 8},
		{new(SchedIn), "CtxID", 12},

		// CS and chunks.
		{new(BOListIn), "BOInfoSize", 12},
		{new(BOListIn), "BOInfoPtr", 16},
		{new(CSIn), "NumChunks", 8},
		{new(CSIn), "Flags", 12},
		{new(CSIn), "Chunks", 16},
		{new(CSChunk), "LengthDW", 4},
		{new(CSChunk), "ChunkData", 8},
		{new(CSChunkIB), "Flags", 4},
		{new(CSChunkIB), "VAStart", 8},
		{new(CSChunkIB), "IBBytes", 16},
		{new(CSChunkIB), "IPType", 20},
		{new(CSChunkIB), "IPInstance", 24},
		{new(CSChunkIB), "Ring", 28},
		{new(CSChunkDep), "CtxID", 12},
		{new(CSChunkDep), "Handle", 16},
		{new(CSChunkFence), "Offset", 4},
		{new(CSChunkSyncobj), "Flags", 4},
		{new(CSChunkSyncobj), "Point", 8},
		{new(CSChunkCPGfxShadow), "Flags", 24},
		{new(WaitCSIn), "Timeout", 8},
		{new(WaitCSIn), "IPType", 16},
		{new(WaitCSIn), "IPInstance", 20},
		{new(WaitCSIn), "Ring", 24},
		{new(WaitCSIn), "CtxID", 28},
		{new(Fence), "SeqNo", 16},
		{new(WaitFencesIn), "FenceCount", 8},
		{new(WaitFencesIn), "WaitAll", 12},
		{new(WaitFencesIn), "TimeoutNs", 16},
		{new(WaitFencesOut), "FirstSignaled", 4},
		{new(FenceToHandleIn), "Fence.SeqNo", 16},
		{new(FenceToHandleIn), "What", 24},
		{new(FenceToHandleIn), "Pad", 28},

		// INFO.
		{new(Info), "ReturnSize", 8},
		{new(Info), "Query", 12},
		{new(Info), "Union", 16},
		{new(InfoHWIP), "CapabilitiesFlags", 8},
		{new(InfoHWIP), "IBStartAlignment", 16},
		{new(InfoHWIP), "IBSizeAlignment", 20},
		{new(InfoHWIP), "AvailableRings", 24},
		{new(InfoHWIP), "IPDiscoveryVersion", 28},
		{new(InfoHWIP), "UserqNumSlots", 32},
		{new(InfoDevice), "ChipRev", 4},
		{new(InfoDevice), "ExternalRev", 8},
		{new(InfoDevice), "PCIRev", 12},
		{new(InfoDevice), "Family", 16},
		{new(InfoDevice), "MaxEngineClock", 32},
		{new(InfoDevice), "CUBitmap", 56},
		{new(InfoDevice), "IDsFlags", 136},
		{new(InfoDevice), "VirtualAddressOffset", 144},
		{new(InfoDevice), "VirtualAddressMax", 152},
		{new(InfoDevice), "VirtualAddressAlignment", 160},
		{new(InfoDevice), "PTEFragmentSize", 164},
		{new(InfoDevice), "GARTPageSize", 168},
		{new(InfoDevice), "PrimBufGPUAddr", 192},
		{new(InfoDevice), "CUAOBitmap", 272},
		{new(InfoDevice), "HighVAOffset", 336},
		{new(InfoDevice), "HighVAMax", 344},
		{new(InfoDevice), "PaScTileSteeringOverride", 352},
		{new(InfoDevice), "TCCDisabledMask", 360},
		{new(InfoDevice), "MallSize", 408},
		{new(InfoDevice), "EnabledRBPipesMaskHi", 416},
		{new(InfoDevice), "UserqIPMask", 436},
		{new(InfoVbios), "Version", 128},
		{new(InfoVbios), "VbiosVerStr", 136},
		{new(InfoVbios), "Date", 168},
		{new(MemoryInfo), "CPUAccessibleVRAM", 32},
		{new(MemoryInfo), "GTT.MaxAllocation", 88},
		{new(InfoVCEClockTable), "NumValidEntries", 96},
		{new(InfoGPUVMFault), "Status", 8},
		{new(InfoGPUVMFault), "VMHub", 12},

		// User queues.
		{new(UserqIn), "Flags", 20},
		{new(UserqIn), "QueueVA", 24},
		{new(UserqIn), "QueueSize", 32},
		{new(UserqIn), "RptrVA", 40},
		{new(UserqIn), "WptrVA", 48},
		{new(UserqIn), "MQD", 56},
		{new(UserqIn), "MQDSize", 64},
		{new(UserqSignal), "SyncobjHandles", 8},
		{new(UserqSignal), "NumSyncobjHandles", 16},
		{new(UserqSignal), "BOReadHandles", 24},
		{new(UserqSignal), "BOWriteHandles", 32},
		{new(UserqSignal), "NumBOReadHandles", 40},
		{new(UserqSignal), "NumBOWriteHandles", 44},
		{new(UserqSignal_V2), "NumSyncobjHandles", 16},
		{new(UserqSignal_V2), "Pad0", 18},
		{new(UserqSignal_V2), "Pad1", 20},
		{new(UserqSignal_V2), "BOReadHandles", 24},
		{new(UserqSignal_V2), "SyncobjPoints", 48},
		{new(UserqWait), "SyncobjTimelineHandles", 16},
		{new(UserqWait), "SyncobjTimelinePoints", 24},
		{new(UserqWait), "BOReadHandles", 32},
		{new(UserqWait), "BOWriteHandles", 40},
		{new(UserqWait), "NumSyncobjTimelineHandles", 48},
		{new(UserqWait), "NumFences", 50},
		{new(UserqWait), "NumSyncobjHandles", 52},
		{new(UserqWait), "NumBOReadHandles", 56},
		{new(UserqWait), "NumBOWriteHandles", 60},
		{new(UserqWait), "OutFences", 64},

		// dma-buf, sync_file, sw_sync.
		{new(DmaBufExportSyncFile), "FD", 4},
		{new(SyncMergeData), "FD2", 32},
		{new(SyncMergeData), "Fence", 36},
		{new(SyncMergeData), "Flags", 40},
		{new(SyncFenceInfo), "DriverName", 32},
		{new(SyncFenceInfo), "Status", 64},
		{new(SyncFenceInfo), "TimestampNs", 72},
		{new(SyncFileInfo), "Status", 32},
		{new(SyncFileInfo), "NumFences", 40},
		{new(SyncFileInfo), "SyncFenceInfo", 48},
		{new(SWSyncCreateFenceData), "Name", 4},
		{new(SWSyncCreateFenceData), "Fence", 36},
		{new(SWSyncGetDeadline), "Pad", 8},
		{new(SWSyncGetDeadline), "FenceFD", 12},
	} {
		t.Run(typeName(tt.v)+"."+tt.field, func(t *testing.T) {
			if got := offsetOf(t, tt.v, tt.field); got != tt.want {
				t.Errorf("offset = %d, want %d", got, tt.want)
			}
		})
	}
}
