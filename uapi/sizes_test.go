package uapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// allTypes lists every struct in the package with its size in bytes, copied
// from the spec tables (/work/shared/spec/uapi.md §2–§3) or computed by hand
// from the kernel headers where the spec gives none.
var allTypes = []struct {
	v    Marshallable
	size int
}{
	// drm.h core.
	{new(DRMVersion), 64},
	{new(GemClose), 8},
	{new(GemFlink), 8},
	{new(GemOpen), 16},
	{new(GetCap), 16},
	{new(SetClientCap), 16},
	{new(PrimeHandle), 12},
	{new(SetClientName), 16},
	// drm.h syncobj.
	{new(SyncobjCreate), 8},
	{new(SyncobjDestroy), 8},
	{new(SyncobjHandle), 24},
	{new(SyncobjHandle_V1), 16},
	{new(SyncobjTransfer), 32},
	{new(SyncobjWait), 40},
	{new(SyncobjWait_V1), 32},
	{new(SyncobjTimelineWait), 48},
	{new(SyncobjTimelineWait_V1), 40},
	{new(SyncobjEventfd), 24},
	{new(SyncobjArray), 16},
	{new(SyncobjTimelineArray), 24},
	// amdgpu GEM.
	{new(GemCreateIn), 32},
	{new(GemCreateOut), 8},
	{new(GemMmapIn), 8},
	{new(GemMmapOut), 8},
	{new(GemWaitIdleIn), 16},
	{new(GemWaitIdleOut), 8},
	{new(GemVMEntry), 32},
	{new(GemOp), 24},
	{new(GemOp_V1), 16},
	{new(GemUserptr), 24},
	{new(GemMetadata), 288},
	{new(GemMetadataData), 280},
	{new(GemListHandles), 16},
	{new(GemListHandlesEntry), 40},
	{new(UALinkHandleIn), 24},
	{new(UALinkHandleOut), 16},
	// amdgpu VA and VM.
	{new(GemVA), 64},
	{new(GemVA_V1), 40},
	{new(VMIn), 8},
	{new(VMOut), 8},
	// amdgpu CTX and SCHED.
	{new(CtxIn), 16},
	{new(CtxOutAlloc), 8},
	{new(CtxOutState), 16},
	{new(CtxOutPstate), 8},
	{new(SchedIn), 16},
	// amdgpu CS, BO_LIST, waits.
	{new(BOListIn), 24},
	{new(BOListEntry), 8},
	{new(BOListOut), 8},
	{new(CSChunk), 16},
	{new(CSIn), 24},
	{new(CSOut), 8},
	{new(CSChunkIB), 32},
	{new(CSChunkDep), 24},
	{new(CSChunkFence), 8},
	{new(CSChunkSem), 4},
	{new(CSChunkSyncobj), 16},
	{new(CSChunkCPGfxShadow), 32},
	{new(WaitCSIn), 32},
	{new(WaitCSOut), 8},
	{new(Fence), 24},
	{new(WaitFencesIn), 24},
	{new(WaitFencesOut), 8},
	{new(FenceToHandleIn), 32},
	{new(FenceToHandleOut), 4},
	// amdgpu INFO.
	{new(Info), 32},
	{new(InfoModeCrtcArg), 8},
	{new(InfoQueryHWIPArg), 8},
	{new(InfoReadMMRRegArg), 16},
	{new(QueryFW), 16},
	{new(InfoVbiosArg), 8},
	{new(InfoSensorArg), 4},
	{new(InfoVideoCapArg), 4},
	{new(InfoGDS), 32},
	{new(InfoVRAMGTT), 24},
	{new(HeapInfo), 32},
	{new(MemoryInfo), 96},
	{new(InfoFirmware), 8},
	{new(InfoVbios), 200},
	{new(InfoDevice), 440},
	{new(InfoHWIP), 40},
	{new(InfoNumHandles), 8},
	{new(InfoVCEClockTableEntry), 16},
	{new(InfoVCEClockTable), 104},
	{new(InfoVideoCodecInfo), 24},
	{new(InfoVideoCaps), 192},
	{new(InfoGPUVMFault), 16},
	{new(InfoUQMetadataGfx), 16},
	{new(InfoUQMetadataCompute), 8},
	{new(InfoUQMetadataSDMA), 8},
	// amdgpu user queues.
	{new(UserqIn), 72},
	{new(UserqOut), 8},
	{new(UserqMQDGfx11), 16},
	{new(UserqMQDSDMAGfx11), 8},
	{new(UserqMQDComputeGfx11), 8},
	{new(UserqSignal), 48},
	{new(UserqSignal_V2), 56},
	{new(UserqFenceInfo), 16},
	{new(UserqWait), 72},
	// amdgpu linux-next only.
	{new(ProcOptions), 8},
	// dma-buf.h.
	{new(DmaBufSync), 8},
	{new(DmaBufExportSyncFile), 8},
	{new(DmaBufImportSyncFile), 8},
	// sync_file.h.
	{new(SyncMergeData), 48},
	{new(SyncFenceInfo), 80},
	{new(SyncFileInfo), 56},
	{new(SyncSetDeadline), 16},
	// sw_sync.c.
	{new(SWSyncCreateFenceData), 40},
	{new(SWSyncGetDeadline), 16},
}

func typeName(v any) string { return reflect.TypeOf(v).Elem().Name() }

// TestSizes checks the Go layout, SizeBytes (also on a nil receiver) and the
// alignment of every struct against the C sizes.
func TestSizes(t *testing.T) {
	for _, tt := range allTypes {
		t.Run(typeName(tt.v), func(t *testing.T) {
			typ := reflect.TypeOf(tt.v).Elem()
			if got := int(typ.Size()); got != tt.size {
				t.Errorf("Sizeof = %d, want %d", got, tt.size)
			}
			if got := tt.v.SizeBytes(); got != tt.size {
				t.Errorf("SizeBytes() = %d, want %d", got, tt.size)
			}
			nilPtr := reflect.Zero(reflect.TypeOf(tt.v)).Interface().(Marshallable)
			if got := nilPtr.SizeBytes(); got != tt.size {
				t.Errorf("(nil).SizeBytes() = %d, want %d", got, tt.size)
			}
			if !tt.v.Packed() {
				t.Errorf("Packed() = false")
			}
			if typ.NumField() == 0 || typ.Field(0).Type.String() != "structs.HostLayout" {
				t.Errorf("first field is not structs.HostLayout")
			}
		})
	}
}

// TestSizeOfConstants checks the SizeOfX constants: struct constants against
// their struct, union constants against the literal union size and the
// largest arm.
func TestSizeOfConstants(t *testing.T) {
	for _, tt := range []struct {
		name  string
		konst int
		want  int
		arms  []Marshallable
	}{
		{"DRMVersion", SizeOfDRMVersion, 64, []Marshallable{new(DRMVersion)}},
		{"GemClose", SizeOfGemClose, 8, []Marshallable{new(GemClose)}},
		{"GemFlink", SizeOfGemFlink, 8, []Marshallable{new(GemFlink)}},
		{"GemOpen", SizeOfGemOpen, 16, []Marshallable{new(GemOpen)}},
		{"GetCap", SizeOfGetCap, 16, []Marshallable{new(GetCap)}},
		{"SetClientCap", SizeOfSetClientCap, 16, []Marshallable{new(SetClientCap)}},
		{"PrimeHandle", SizeOfPrimeHandle, 12, []Marshallable{new(PrimeHandle)}},
		{"SetClientName", SizeOfSetClientName, 16, []Marshallable{new(SetClientName)}},
		{"SyncobjCreate", SizeOfSyncobjCreate, 8, []Marshallable{new(SyncobjCreate)}},
		{"SyncobjDestroy", SizeOfSyncobjDestroy, 8, []Marshallable{new(SyncobjDestroy)}},
		{"SyncobjHandle", SizeOfSyncobjHandle, 24, []Marshallable{new(SyncobjHandle)}},
		{"SyncobjHandle_V1", SizeOfSyncobjHandle_V1, 16, []Marshallable{new(SyncobjHandle_V1)}},
		{"SyncobjTransfer", SizeOfSyncobjTransfer, 32, []Marshallable{new(SyncobjTransfer)}},
		{"SyncobjWait", SizeOfSyncobjWait, 40, []Marshallable{new(SyncobjWait)}},
		{"SyncobjWait_V1", SizeOfSyncobjWait_V1, 32, []Marshallable{new(SyncobjWait_V1)}},
		{"SyncobjTimelineWait", SizeOfSyncobjTimelineWait, 48, []Marshallable{new(SyncobjTimelineWait)}},
		{"SyncobjTimelineWait_V1", SizeOfSyncobjTimelineWait_V1, 40, []Marshallable{new(SyncobjTimelineWait_V1)}},
		{"SyncobjEventfd", SizeOfSyncobjEventfd, 24, []Marshallable{new(SyncobjEventfd)}},
		{"SyncobjArray", SizeOfSyncobjArray, 16, []Marshallable{new(SyncobjArray)}},
		{"SyncobjTimelineArray", SizeOfSyncobjTimelineArray, 24, []Marshallable{new(SyncobjTimelineArray)}},
		{"GemCreate", SizeOfGemCreate, 32, []Marshallable{new(GemCreateIn), new(GemCreateOut)}},
		{"GemMmap", SizeOfGemMmap, 8, []Marshallable{new(GemMmapIn), new(GemMmapOut)}},
		{"GemWaitIdle", SizeOfGemWaitIdle, 16, []Marshallable{new(GemWaitIdleIn), new(GemWaitIdleOut)}},
		{"GemOp", SizeOfGemOp, 24, []Marshallable{new(GemOp)}},
		{"GemOp_V1", SizeOfGemOp_V1, 16, []Marshallable{new(GemOp_V1)}},
		{"GemVMEntry", SizeOfGemVMEntry, 32, []Marshallable{new(GemVMEntry)}},
		{"GemUserptr", SizeOfGemUserptr, 24, []Marshallable{new(GemUserptr)}},
		{"GemMetadata", SizeOfGemMetadata, 288, []Marshallable{new(GemMetadata)}},
		{"GemMetadataData", SizeOfGemMetadataData, 280, []Marshallable{new(GemMetadataData)}},
		{"GemListHandles", SizeOfGemListHandles, 16, []Marshallable{new(GemListHandles)}},
		{"GemListHandlesEntry", SizeOfGemListHandlesEntry, 40, []Marshallable{new(GemListHandlesEntry)}},
		{"UALinkHandle", SizeOfUALinkHandle, 24, []Marshallable{new(UALinkHandleIn), new(UALinkHandleOut)}},
		{"GemVA", SizeOfGemVA, 64, []Marshallable{new(GemVA)}},
		{"GemVA_V1", SizeOfGemVA_V1, 40, []Marshallable{new(GemVA_V1)}},
		{"VM", SizeOfVM, 8, []Marshallable{new(VMIn), new(VMOut)}},
		{"Ctx", SizeOfCtx, 16, []Marshallable{new(CtxIn), new(CtxOutAlloc), new(CtxOutState), new(CtxOutPstate)}},
		{"Sched", SizeOfSched, 16, []Marshallable{new(SchedIn)}},
		{"BOList", SizeOfBOList, 24, []Marshallable{new(BOListIn), new(BOListOut)}},
		{"BOListEntry", SizeOfBOListEntry, 8, []Marshallable{new(BOListEntry)}},
		{"CS", SizeOfCS, 24, []Marshallable{new(CSIn), new(CSOut)}},
		{"CSChunk", SizeOfCSChunk, 16, []Marshallable{new(CSChunk)}},
		{"CSChunkIB", SizeOfCSChunkIB, 32, []Marshallable{new(CSChunkIB)}},
		{"CSChunkDep", SizeOfCSChunkDep, 24, []Marshallable{new(CSChunkDep)}},
		{"CSChunkFence", SizeOfCSChunkFence, 8, []Marshallable{new(CSChunkFence)}},
		{"CSChunkSem", SizeOfCSChunkSem, 4, []Marshallable{new(CSChunkSem)}},
		{"CSChunkSyncobj", SizeOfCSChunkSyncobj, 16, []Marshallable{new(CSChunkSyncobj)}},
		{"CSChunkCPGfxShadow", SizeOfCSChunkCPGfxShadow, 32, []Marshallable{new(CSChunkCPGfxShadow)}},
		{"CSChunkData", SizeOfCSChunkData, 32, []Marshallable{new(CSChunkIB), new(CSChunkFence)}},
		{"WaitCS", SizeOfWaitCS, 32, []Marshallable{new(WaitCSIn), new(WaitCSOut)}},
		{"Fence", SizeOfFence, 24, []Marshallable{new(Fence)}},
		{"WaitFences", SizeOfWaitFences, 24, []Marshallable{new(WaitFencesIn), new(WaitFencesOut)}},
		{"FenceToHandle", SizeOfFenceToHandle, 32, []Marshallable{new(FenceToHandleIn), new(FenceToHandleOut)}},
		{"Info", SizeOfInfo, 32, []Marshallable{new(Info)}},
		{"InfoUnion", SizeOfInfoUnion, 16, []Marshallable{new(InfoModeCrtcArg), new(InfoQueryHWIPArg), new(InfoReadMMRRegArg), new(QueryFW), new(InfoVbiosArg), new(InfoSensorArg), new(InfoVideoCapArg)}},
		{"QueryFW", SizeOfQueryFW, 16, []Marshallable{new(QueryFW)}},
		{"InfoModeCrtcArg", SizeOfInfoModeCrtcArg, 8, []Marshallable{new(InfoModeCrtcArg)}},
		{"InfoQueryHWIPArg", SizeOfInfoQueryHWIPArg, 8, []Marshallable{new(InfoQueryHWIPArg)}},
		{"InfoReadMMRRegArg", SizeOfInfoReadMMRRegArg, 16, []Marshallable{new(InfoReadMMRRegArg)}},
		{"InfoVbiosArg", SizeOfInfoVbiosArg, 8, []Marshallable{new(InfoVbiosArg)}},
		{"InfoSensorArg", SizeOfInfoSensorArg, 4, []Marshallable{new(InfoSensorArg)}},
		{"InfoVideoCapArg", SizeOfInfoVideoCapArg, 4, []Marshallable{new(InfoVideoCapArg)}},
		{"InfoGDS", SizeOfInfoGDS, 32, []Marshallable{new(InfoGDS)}},
		{"InfoVRAMGTT", SizeOfInfoVRAMGTT, 24, []Marshallable{new(InfoVRAMGTT)}},
		{"HeapInfo", SizeOfHeapInfo, 32, []Marshallable{new(HeapInfo)}},
		{"MemoryInfo", SizeOfMemoryInfo, 96, []Marshallable{new(MemoryInfo)}},
		{"InfoFirmware", SizeOfInfoFirmware, 8, []Marshallable{new(InfoFirmware)}},
		{"InfoVbios", SizeOfInfoVbios, 200, []Marshallable{new(InfoVbios)}},
		{"InfoDevice", SizeOfInfoDevice, 440, []Marshallable{new(InfoDevice)}},
		{"InfoHWIP", SizeOfInfoHWIP, 40, []Marshallable{new(InfoHWIP)}},
		{"InfoNumHandles", SizeOfInfoNumHandles, 8, []Marshallable{new(InfoNumHandles)}},
		{"InfoVCEClockTableEntry", SizeOfInfoVCEClockTableEntry, 16, []Marshallable{new(InfoVCEClockTableEntry)}},
		{"InfoVCEClockTable", SizeOfInfoVCEClockTable, 104, []Marshallable{new(InfoVCEClockTable)}},
		{"InfoVideoCodecInfo", SizeOfInfoVideoCodecInfo, 24, []Marshallable{new(InfoVideoCodecInfo)}},
		{"InfoVideoCaps", SizeOfInfoVideoCaps, 192, []Marshallable{new(InfoVideoCaps)}},
		{"InfoGPUVMFault", SizeOfInfoGPUVMFault, 16, []Marshallable{new(InfoGPUVMFault)}},
		{"InfoUQMetadataGfx", SizeOfInfoUQMetadataGfx, 16, []Marshallable{new(InfoUQMetadataGfx)}},
		{"InfoUQMetadataCompute", SizeOfInfoUQMetadataCompute, 8, []Marshallable{new(InfoUQMetadataCompute)}},
		{"InfoUQMetadataSDMA", SizeOfInfoUQMetadataSDMA, 8, []Marshallable{new(InfoUQMetadataSDMA)}},
		{"InfoUQMetadata", SizeOfInfoUQMetadata, 16, []Marshallable{new(InfoUQMetadataGfx), new(InfoUQMetadataCompute), new(InfoUQMetadataSDMA)}},
		{"Userq", SizeOfUserq, 72, []Marshallable{new(UserqIn), new(UserqOut)}},
		{"UserqMQDGfx11", SizeOfUserqMQDGfx11, 16, []Marshallable{new(UserqMQDGfx11)}},
		{"UserqMQDSDMAGfx11", SizeOfUserqMQDSDMAGfx11, 8, []Marshallable{new(UserqMQDSDMAGfx11)}},
		{"UserqMQDComputeGfx11", SizeOfUserqMQDComputeGfx11, 8, []Marshallable{new(UserqMQDComputeGfx11)}},
		{"UserqSignal", SizeOfUserqSignal, 48, []Marshallable{new(UserqSignal)}},
		{"UserqSignal_V2", SizeOfUserqSignal_V2, 56, []Marshallable{new(UserqSignal_V2)}},
		{"UserqFenceInfo", SizeOfUserqFenceInfo, 16, []Marshallable{new(UserqFenceInfo)}},
		{"UserqWait", SizeOfUserqWait, 72, []Marshallable{new(UserqWait)}},
		{"ProcOptions", SizeOfProcOptions, 8, []Marshallable{new(ProcOptions)}},
		{"DmaBufSync", SizeOfDmaBufSync, 8, []Marshallable{new(DmaBufSync)}},
		{"DmaBufExportSyncFile", SizeOfDmaBufExportSyncFile, 8, []Marshallable{new(DmaBufExportSyncFile)}},
		{"DmaBufImportSyncFile", SizeOfDmaBufImportSyncFile, 8, []Marshallable{new(DmaBufImportSyncFile)}},
		{"SyncMergeData", SizeOfSyncMergeData, 48, []Marshallable{new(SyncMergeData)}},
		{"SyncFenceInfo", SizeOfSyncFenceInfo, 80, []Marshallable{new(SyncFenceInfo)}},
		{"SyncFileInfo", SizeOfSyncFileInfo, 56, []Marshallable{new(SyncFileInfo)}},
		{"SyncSetDeadline", SizeOfSyncSetDeadline, 16, []Marshallable{new(SyncSetDeadline)}},
		{"SWSyncCreateFenceData", SizeOfSWSyncCreateFenceData, 40, []Marshallable{new(SWSyncCreateFenceData)}},
		{"SWSyncGetDeadline", SizeOfSWSyncGetDeadline, 16, []Marshallable{new(SWSyncGetDeadline)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.konst != tt.want {
				t.Errorf("SizeOf%s = %d, want %d", tt.name, tt.konst, tt.want)
			}
			largest := 0
			for _, a := range tt.arms {
				largest = max(largest, a.SizeBytes())
			}
			if largest != tt.want {
				t.Errorf("largest arm is %d bytes, want %d", largest, tt.want)
			}
		})
	}
}

// TestAllStructsListed is a sync test: every struct type declared in the
// package must be in allTypes, so that TestSizes, the round-trip tests and
// the fuzz target cover it.
func TestAllStructsListed(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if _, ok := ts.Type.(*ast.StructType); ok {
					declared = append(declared, ts.Name.Name)
				}
			}
		}
	}
	listed := map[string]bool{}
	for _, tt := range allTypes {
		n := typeName(tt.v)
		if listed[n] {
			t.Errorf("%s listed twice in allTypes", n)
		}
		listed[n] = true
	}
	sort.Strings(declared)
	for _, n := range declared {
		if !listed[n] {
			t.Errorf("struct %s is not in allTypes", n)
		}
		delete(listed, n)
	}
	for n := range listed {
		t.Errorf("allTypes lists %s, which is not a declared struct", n)
	}
}
