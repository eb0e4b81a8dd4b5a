package uapi

import "structs"

// SYNC_IOC_MAGIC is the ioctl type of include/uapi/linux/sync_file.h.
// Numbers 0–2 were burned by an earlier API.
const SYNC_IOC_MAGIC = '>'

// sync_file request numbers.
const (
	SYNC_IOC_MERGE        uint32 = iocIOWR | SYNC_IOC_MAGIC<<IOC_TYPESHIFT | SizeOfSyncMergeData<<IOC_SIZESHIFT | 3
	SYNC_IOC_FILE_INFO    uint32 = iocIOWR | SYNC_IOC_MAGIC<<IOC_TYPESHIFT | SizeOfSyncFileInfo<<IOC_SIZESHIFT | 4
	SYNC_IOC_SET_DEADLINE uint32 = iocIOW | SYNC_IOC_MAGIC<<IOC_TYPESHIFT | SizeOfSyncSetDeadline<<IOC_SIZESHIFT | 5
)

// Struct sizes.
const (
	SizeOfSyncMergeData   = 48
	SizeOfSyncFenceInfo   = 80
	SizeOfSyncFileInfo    = 56
	SizeOfSyncSetDeadline = 16
)

// SyncMergeData is struct sync_merge_data, from
// include/uapi/linux/sync_file.h.
type SyncMergeData struct {
	_     structs.HostLayout
	Name  [32]byte
	FD2   int32 // second sync_file fd
	Fence int32 // out: fd of the merged sync_file
	Flags uint32
	Pad   uint32
}

// SyncFenceInfo is struct sync_fence_info, from
// include/uapi/linux/sync_file.h.
type SyncFenceInfo struct {
	_           structs.HostLayout
	ObjName     [32]byte
	DriverName  [32]byte
	Status      int32 // 1 signaled, 0 active, <0 error
	Flags       uint32
	TimestampNs uint64
}

// SyncFileInfo is struct sync_file_info, from include/uapi/linux/sync_file.h.
type SyncFileInfo struct {
	_         structs.HostLayout
	Name      [32]byte
	Status    int32 // 1 signaled, 0 active, <0 error
	Flags     uint32
	NumFences uint32 // 0: the kernel reports the count
	Pad       uint32
	// SyncFenceInfo points to SyncFenceInfo[num_fences].
	SyncFenceInfo P64
}

// SyncSetDeadline is struct sync_set_deadline, from
// include/uapi/linux/sync_file.h.
type SyncSetDeadline struct {
	_          structs.HostLayout
	DeadlineNs uint64 // absolute CLOCK_MONOTONIC
	Pad        uint64 // must be zero
}
