package uapi

import (
	"fmt"
	"testing"
)

// TestIoctlNumbers checks every request number against the literal value in
// the spec tables (uapi.md §2.1, §3.1–§3.3) or computed from the header, its
// decoding with the IOC_* accessors, and that its size field equals the size
// of the argument.
func TestIoctlNumbers(t *testing.T) {
	const (
		n  = IOC_NONE
		w  = IOC_WRITE
		r  = IOC_READ
		rw = IOC_READ | IOC_WRITE
	)
	for _, tt := range []struct {
		name string
		req  uint32
		want uint32
		dir  uint32
		typ  uint32
		nr   uint32
		size int // SizeOfX of the argument
	}{
		// amdgpu (§2.1).
		{"AMDGPU_GEM_CREATE", DRM_IOCTL_AMDGPU_GEM_CREATE, 0xC0206440, rw, 'd', 0x40, SizeOfGemCreate},
		{"AMDGPU_GEM_MMAP", DRM_IOCTL_AMDGPU_GEM_MMAP, 0xC0086441, rw, 'd', 0x41, SizeOfGemMmap},
		{"AMDGPU_CTX", DRM_IOCTL_AMDGPU_CTX, 0xC0106442, rw, 'd', 0x42, SizeOfCtx},
		{"AMDGPU_BO_LIST", DRM_IOCTL_AMDGPU_BO_LIST, 0xC0186443, rw, 'd', 0x43, SizeOfBOList},
		{"AMDGPU_CS", DRM_IOCTL_AMDGPU_CS, 0xC0186444, rw, 'd', 0x44, SizeOfCS},
		{"AMDGPU_INFO", DRM_IOCTL_AMDGPU_INFO, 0x40206445, w, 'd', 0x45, SizeOfInfo},
		{"AMDGPU_GEM_METADATA", DRM_IOCTL_AMDGPU_GEM_METADATA, 0xC1206446, rw, 'd', 0x46, SizeOfGemMetadata},
		{"AMDGPU_GEM_WAIT_IDLE", DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE, 0xC0106447, rw, 'd', 0x47, SizeOfGemWaitIdle},
		{"AMDGPU_GEM_VA", DRM_IOCTL_AMDGPU_GEM_VA, 0x40406448, w, 'd', 0x48, SizeOfGemVA},
		{"AMDGPU_GEM_VA_V1", DRM_IOCTL_AMDGPU_GEM_VA_V1, 0x40286448, w, 'd', 0x48, SizeOfGemVA_V1},
		{"AMDGPU_WAIT_CS", DRM_IOCTL_AMDGPU_WAIT_CS, 0xC0206449, rw, 'd', 0x49, SizeOfWaitCS},
		{"AMDGPU_GEM_OP", DRM_IOCTL_AMDGPU_GEM_OP, 0xC0186450, rw, 'd', 0x50, SizeOfGemOp},
		{"AMDGPU_GEM_OP_V1", DRM_IOCTL_AMDGPU_GEM_OP_V1, 0xC0106450, rw, 'd', 0x50, SizeOfGemOp_V1},
		{"AMDGPU_GEM_USERPTR", DRM_IOCTL_AMDGPU_GEM_USERPTR, 0xC0186451, rw, 'd', 0x51, SizeOfGemUserptr},
		{"AMDGPU_WAIT_FENCES", DRM_IOCTL_AMDGPU_WAIT_FENCES, 0xC0186452, rw, 'd', 0x52, SizeOfWaitFences},
		{"AMDGPU_VM", DRM_IOCTL_AMDGPU_VM, 0xC0086453, rw, 'd', 0x53, SizeOfVM},
		{"AMDGPU_FENCE_TO_HANDLE", DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE, 0xC0206454, rw, 'd', 0x54, SizeOfFenceToHandle},
		{"AMDGPU_SCHED", DRM_IOCTL_AMDGPU_SCHED, 0x40106455, w, 'd', 0x55, SizeOfSched},
		{"AMDGPU_USERQ", DRM_IOCTL_AMDGPU_USERQ, 0xC0486456, rw, 'd', 0x56, SizeOfUserq},
		{"AMDGPU_USERQ_SIGNAL", DRM_IOCTL_AMDGPU_USERQ_SIGNAL, 0xC0306457, rw, 'd', 0x57, SizeOfUserqSignal},
		{"AMDGPU_USERQ_SIGNAL_V2", DRM_IOCTL_AMDGPU_USERQ_SIGNAL_V2, 0xC0386457, rw, 'd', 0x57, SizeOfUserqSignal_V2},
		{"AMDGPU_USERQ_WAIT", DRM_IOCTL_AMDGPU_USERQ_WAIT, 0xC0486458, rw, 'd', 0x58, SizeOfUserqWait},
		{"AMDGPU_GEM_LIST_HANDLES", DRM_IOCTL_AMDGPU_GEM_LIST_HANDLES, 0xC0106459, rw, 'd', 0x59, SizeOfGemListHandles},
		{"AMDGPU_PROC_OPTIONS", DRM_IOCTL_AMDGPU_PROC_OPTIONS, 0xC008645A, rw, 'd', 0x5A, SizeOfProcOptions},
		{"AMDGPU_UALINK_HANDLE", DRM_IOCTL_AMDGPU_UALINK_HANDLE, 0xC018645B, rw, 'd', 0x5B, SizeOfUALinkHandle},

		// DRM core (§3.1; the unlisted ones computed from drm.h).
		{"VERSION", DRM_IOCTL_VERSION, 0xC0406400, rw, 'd', 0x00, SizeOfDRMVersion},
		{"GEM_CLOSE", DRM_IOCTL_GEM_CLOSE, 0x40086409, w, 'd', 0x09, SizeOfGemClose},
		{"GEM_FLINK", DRM_IOCTL_GEM_FLINK, 0xC008640A, rw, 'd', 0x0A, SizeOfGemFlink},
		{"GEM_OPEN", DRM_IOCTL_GEM_OPEN, 0xC010640B, rw, 'd', 0x0B, SizeOfGemOpen},
		{"GET_CAP", DRM_IOCTL_GET_CAP, 0xC010640C, rw, 'd', 0x0C, SizeOfGetCap},
		{"SET_CLIENT_CAP", DRM_IOCTL_SET_CLIENT_CAP, 0x4010640D, w, 'd', 0x0D, SizeOfSetClientCap},
		{"PRIME_HANDLE_TO_FD", DRM_IOCTL_PRIME_HANDLE_TO_FD, 0xC00C642D, rw, 'd', 0x2D, SizeOfPrimeHandle},
		{"PRIME_FD_TO_HANDLE", DRM_IOCTL_PRIME_FD_TO_HANDLE, 0xC00C642E, rw, 'd', 0x2E, SizeOfPrimeHandle},
		{"SET_CLIENT_NAME", DRM_IOCTL_SET_CLIENT_NAME, 0xC01064D1, rw, 'd', 0xD1, SizeOfSetClientName},

		// Syncobj (§3.2).
		{"SYNCOBJ_CREATE", DRM_IOCTL_SYNCOBJ_CREATE, 0xC00864BF, rw, 'd', 0xBF, SizeOfSyncobjCreate},
		{"SYNCOBJ_DESTROY", DRM_IOCTL_SYNCOBJ_DESTROY, 0xC00864C0, rw, 'd', 0xC0, SizeOfSyncobjDestroy},
		{"SYNCOBJ_HANDLE_TO_FD", DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 0xC01864C1, rw, 'd', 0xC1, SizeOfSyncobjHandle},
		{"SYNCOBJ_HANDLE_TO_FD_V1", DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1, 0xC01064C1, rw, 'd', 0xC1, SizeOfSyncobjHandle_V1},
		{"SYNCOBJ_FD_TO_HANDLE", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 0xC01864C2, rw, 'd', 0xC2, SizeOfSyncobjHandle},
		{"SYNCOBJ_FD_TO_HANDLE_V1", DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1, 0xC01064C2, rw, 'd', 0xC2, SizeOfSyncobjHandle_V1},
		{"SYNCOBJ_WAIT", DRM_IOCTL_SYNCOBJ_WAIT, 0xC02864C3, rw, 'd', 0xC3, SizeOfSyncobjWait},
		{"SYNCOBJ_WAIT_V1", DRM_IOCTL_SYNCOBJ_WAIT_V1, 0xC02064C3, rw, 'd', 0xC3, SizeOfSyncobjWait_V1},
		{"SYNCOBJ_RESET", DRM_IOCTL_SYNCOBJ_RESET, 0xC01064C4, rw, 'd', 0xC4, SizeOfSyncobjArray},
		{"SYNCOBJ_SIGNAL", DRM_IOCTL_SYNCOBJ_SIGNAL, 0xC01064C5, rw, 'd', 0xC5, SizeOfSyncobjArray},
		{"SYNCOBJ_TIMELINE_WAIT", DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, 0xC03064CA, rw, 'd', 0xCA, SizeOfSyncobjTimelineWait},
		{"SYNCOBJ_TIMELINE_WAIT_V1", DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT_V1, 0xC02864CA, rw, 'd', 0xCA, SizeOfSyncobjTimelineWait_V1},
		{"SYNCOBJ_QUERY", DRM_IOCTL_SYNCOBJ_QUERY, 0xC01864CB, rw, 'd', 0xCB, SizeOfSyncobjTimelineArray},
		{"SYNCOBJ_TRANSFER", DRM_IOCTL_SYNCOBJ_TRANSFER, 0xC02064CC, rw, 'd', 0xCC, SizeOfSyncobjTransfer},
		{"SYNCOBJ_TIMELINE_SIGNAL", DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, 0xC01864CD, rw, 'd', 0xCD, SizeOfSyncobjTimelineArray},
		{"SYNCOBJ_EVENTFD", DRM_IOCTL_SYNCOBJ_EVENTFD, 0xC01864CF, rw, 'd', 0xCF, SizeOfSyncobjEventfd},

		// dma-buf (§3.3).
		{"DMA_BUF_IOCTL_SYNC", DMA_BUF_IOCTL_SYNC, 0x40086200, w, 'b', 0, SizeOfDmaBufSync},
		{"DMA_BUF_SET_NAME_A", DMA_BUF_SET_NAME_A, 0x40046201, w, 'b', 1, 4},
		{"DMA_BUF_SET_NAME_B", DMA_BUF_SET_NAME_B, 0x40086201, w, 'b', 1, 8},
		{"DMA_BUF_IOCTL_EXPORT_SYNC_FILE", DMA_BUF_IOCTL_EXPORT_SYNC_FILE, 0xC0086202, rw, 'b', 2, SizeOfDmaBufExportSyncFile},
		{"DMA_BUF_IOCTL_IMPORT_SYNC_FILE", DMA_BUF_IOCTL_IMPORT_SYNC_FILE, 0x40086203, w, 'b', 3, SizeOfDmaBufImportSyncFile},

		// sync_file.h (computed from the header).
		{"SYNC_IOC_MERGE", SYNC_IOC_MERGE, 0xC0303E03, rw, '>', 3, SizeOfSyncMergeData},
		{"SYNC_IOC_FILE_INFO", SYNC_IOC_FILE_INFO, 0xC0383E04, rw, '>', 4, SizeOfSyncFileInfo},
		{"SYNC_IOC_SET_DEADLINE", SYNC_IOC_SET_DEADLINE, 0x40103E05, w, '>', 5, SizeOfSyncSetDeadline},

		// sw_sync.c (computed from the source).
		{"SW_SYNC_IOC_CREATE_FENCE", SW_SYNC_IOC_CREATE_FENCE, 0xC0285700, rw, 'W', 0, SizeOfSWSyncCreateFenceData},
		{"SW_SYNC_IOC_INC", SW_SYNC_IOC_INC, 0x40045701, w, 'W', 1, 4},
		{"SW_SYNC_GET_DEADLINE", SW_SYNC_GET_DEADLINE, 0xC0105702, rw, 'W', 2, SizeOfSWSyncGetDeadline},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.req != tt.want {
				t.Errorf("request = %#x, want %#x", tt.req, tt.want)
			}
			if got := IOC(tt.dir, tt.typ, tt.nr, uint32(tt.size)); got != tt.req {
				t.Errorf("IOC(%d, %q, %#x, %d) = %#x, want %#x", tt.dir, rune(tt.typ), tt.nr, tt.size, got, tt.req)
			}
			if got := IOC_DIR(tt.req); got != tt.dir {
				t.Errorf("IOC_DIR = %d, want %d", got, tt.dir)
			}
			if got := IOC_TYPE(tt.req); got != tt.typ {
				t.Errorf("IOC_TYPE = %#x, want %#x", got, tt.typ)
			}
			if got := IOC_NR(tt.req); got != tt.nr {
				t.Errorf("IOC_NR = %#x, want %#x", got, tt.nr)
			}
			if got := IOC_SIZE(tt.req); got != uint32(tt.size) {
				t.Errorf("IOC_SIZE = %d, want SizeOf %d", got, tt.size)
			}
			if tt.typ == DRM_IOCTL_BASE {
				var got uint32
				switch tt.dir {
				case w:
					got = DRM_IOW(tt.nr, uint32(tt.size))
				case r:
					got = DRM_IOR(tt.nr, uint32(tt.size))
				case rw:
					got = DRM_IOWR(tt.nr, uint32(tt.size))
				case n:
					got = DRM_IO(tt.nr)
				}
				if got != tt.req {
					t.Errorf("DRM_IO* helper = %#x, want %#x", got, tt.req)
				}
			}
		})
	}
}

func TestIOCHelpers(t *testing.T) {
	for _, tt := range []struct {
		got, want uint32
	}{
		{IO('d', 0x1e), 0x0000641E}, // DRM_IOCTL_SET_MASTER
		{DRM_IO(0x1f), 0x0000641F},  // DRM_IOCTL_DROP_MASTER
		{IOR('d', 0x02, 4), 0x80046402},
		{DRM_IOR(0x02, 4), 0x80046402}, // DRM_IOCTL_GET_MAGIC
		{IOW('b', 0, 8), 0x40086200},
		{IOWR('d', 0x40, 32), 0xC0206440},
		{IOC_SIZE(0xFFFFFFFF), IOC_SIZEMASK},
		{IOC_DIR(0xFFFFFFFF), IOC_DIRMASK},
	} {
		if tt.got != tt.want {
			t.Errorf("got %#x, want %#x", tt.got, tt.want)
		}
	}
	// The amdgpu indices must stay inside the driver range.
	for _, idx := range []uint32{DRM_AMDGPU_GEM_CREATE, DRM_AMDGPU_UALINK_HANDLE} {
		if nr := DRM_COMMAND_BASE + idx; nr >= DRM_COMMAND_END {
			t.Errorf("nr %#x outside the driver range", nr)
		}
	}
}

func Example_requestNumber() {
	fmt.Printf("%#x\n", DRM_IOWR(DRM_COMMAND_BASE+DRM_AMDGPU_GEM_CREATE, SizeOfGemCreate))
	// Output: 0xc0206440
}
