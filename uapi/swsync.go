package uapi

import "structs"

// SW_SYNC_IOC_MAGIC is the ioctl type of the sw_sync debugfs file. sw_sync
// has no uapi header: the structs and numbers below are defined in
// drivers/dma-buf/sw_sync.c itself.
const SW_SYNC_IOC_MAGIC = 'W'

// sw_sync request numbers.
const (
	SW_SYNC_IOC_CREATE_FENCE uint32 = iocIOWR | SW_SYNC_IOC_MAGIC<<IOC_TYPESHIFT | SizeOfSWSyncCreateFenceData<<IOC_SIZESHIFT | 0
	// SW_SYNC_IOC_INC takes a __u32 increment of the timeline value.
	SW_SYNC_IOC_INC      uint32 = iocIOW | SW_SYNC_IOC_MAGIC<<IOC_TYPESHIFT | 4<<IOC_SIZESHIFT | 1
	SW_SYNC_GET_DEADLINE uint32 = iocIOWR | SW_SYNC_IOC_MAGIC<<IOC_TYPESHIFT | SizeOfSWSyncGetDeadline<<IOC_SIZESHIFT | 2
)

// Struct sizes.
const (
	SizeOfSWSyncCreateFenceData = 40
	SizeOfSWSyncGetDeadline     = 16
)

// SWSyncCreateFenceData is struct sw_sync_create_fence_data, from
// drivers/dma-buf/sw_sync.c.
type SWSyncCreateFenceData struct {
	_     structs.HostLayout
	Value uint32 // seqno of the new fence
	Name  [32]byte
	Fence int32 // out: sync_file fd
}

// SWSyncGetDeadline is struct sw_sync_get_deadline, from
// drivers/dma-buf/sw_sync.c.
type SWSyncGetDeadline struct {
	_          structs.HostLayout
	DeadlineNs uint64 // out; must be 0 on input
	Pad        uint32 // must be 0
	FenceFD    int32
}
