package uapi

import "structs"

// DMA_BUF_BASE is the ioctl type of include/uapi/linux/dma-buf.h.
const DMA_BUF_BASE = 'b'

// dma-buf request numbers.
const (
	DMA_BUF_IOCTL_SYNC uint32 = iocIOW | DMA_BUF_BASE<<IOC_TYPESHIFT | SizeOfDmaBufSync<<IOC_SIZESHIFT | 0

	// DMA_BUF_SET_NAME takes a user pointer to a NUL-terminated name (at
	// most DMA_BUF_NAME_LEN bytes). Its number encodes sizeof(const char *),
	// so 32-bit and 64-bit callers use the _A and _B numbers; the kernel
	// accepts both.
	DMA_BUF_SET_NAME_A uint32 = iocIOW | DMA_BUF_BASE<<IOC_TYPESHIFT | 4<<IOC_SIZESHIFT | 1
	DMA_BUF_SET_NAME_B uint32 = iocIOW | DMA_BUF_BASE<<IOC_TYPESHIFT | 8<<IOC_SIZESHIFT | 1

	DMA_BUF_IOCTL_EXPORT_SYNC_FILE uint32 = iocIOWR | DMA_BUF_BASE<<IOC_TYPESHIFT | SizeOfDmaBufExportSyncFile<<IOC_SIZESHIFT | 2
	DMA_BUF_IOCTL_IMPORT_SYNC_FILE uint32 = iocIOW | DMA_BUF_BASE<<IOC_TYPESHIFT | SizeOfDmaBufImportSyncFile<<IOC_SIZESHIFT | 3
)

// Struct sizes.
const (
	SizeOfDmaBufSync           = 8
	SizeOfDmaBufExportSyncFile = 8
	SizeOfDmaBufImportSyncFile = 8
)

// DMA_BUF_NAME_LEN bounds the name set by DMA_BUF_SET_NAME.
const DMA_BUF_NAME_LEN = 32

// DMA_BUF_SYNC_* flags of DmaBufSync, and the READ/WRITE flags of the sync
// file import/export structs.
const (
	DMA_BUF_SYNC_READ             = 1 << 0
	DMA_BUF_SYNC_WRITE            = 2 << 0
	DMA_BUF_SYNC_RW               = DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE
	DMA_BUF_SYNC_START            = 0 << 2
	DMA_BUF_SYNC_END              = 1 << 2
	DMA_BUF_SYNC_VALID_FLAGS_MASK = DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END
)

// DmaBufSync is struct dma_buf_sync, from include/uapi/linux/dma-buf.h.
type DmaBufSync struct {
	_     structs.HostLayout
	Flags uint64 // DMA_BUF_SYNC_*
}

// DmaBufExportSyncFile is struct dma_buf_export_sync_file, from
// include/uapi/linux/dma-buf.h.
type DmaBufExportSyncFile struct {
	_     structs.HostLayout
	Flags uint32 // DMA_BUF_SYNC_READ and/or DMA_BUF_SYNC_WRITE
	FD    int32  // out: sync_file fd
}

// DmaBufImportSyncFile is struct dma_buf_import_sync_file, from
// include/uapi/linux/dma-buf.h.
type DmaBufImportSyncFile struct {
	_     structs.HostLayout
	Flags uint32 // DMA_BUF_SYNC_READ and/or DMA_BUF_SYNC_WRITE
	FD    int32  // sync_file fd
}
