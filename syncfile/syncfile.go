// Package syncfile models struct sync_file (drivers/dma-buf/sync_file.c), a
// file that holds one dma_fence, and the sw_sync test timelines
// (drivers/dma-buf/sw_sync.c) that tests and IGT use to make fences they
// signal by hand.
//
// The objects here carry no file descriptor: the amdgpu package installs them
// into real descriptors (internal/hostfd) and routes the fd ioctls
// (SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO, SYNC_IOC_SET_DEADLINE,
// SW_SYNC_IOC_CREATE_FENCE, SW_SYNC_IOC_INC, SW_SYNC_GET_DEADLINE) to them.
package syncfile

import (
	"fmt"
	"sync"

	"github.com/vmemu/vmemu/fence"
)

// SyncFile is struct sync_file.
type SyncFile struct {
	fence *fence.Fence

	mu sync.Mutex
	// name is the user_name given at merge time. Protected by mu.
	name string
}

// New returns a sync_file holding f (sync_file_create()).
func New(f *fence.Fence) *SyncFile { return &SyncFile{fence: f} }

// Fence returns the held fence (sync_file_get_fence()).
func (s *SyncFile) Fence() *fence.Fence { return s.fence }

// SyncFileFence is Fence; it implements syncobj.FenceFile.
func (s *SyncFile) SyncFileFence() *fence.Fence { return s.fence }

// Merge mirrors sync_file_merge(): a new sync_file holding
// dma_fence_unwrap_merge(a, b), named name.
func Merge(d *fence.Domain, name string, a, b *SyncFile) *SyncFile {
	m := New(d.Merge(a.fence, b.fence))
	m.name = truncName(name)
	return m
}

// Name mirrors sync_file_get_name(): the merge name if one was given, else
// "<driver>-<timeline><context>-<seqno>".
func (s *SyncFile) Name() string {
	s.mu.Lock()
	n := s.name
	s.mu.Unlock()
	if n != "" {
		return n
	}
	drv, tl := Names(s.fence)
	return truncName(fmt.Sprintf("%s-%s%d-%d", drv, tl, s.fence.Context(), int64(s.fence.Seqno())))
}

// Namer is implemented by fence Ops that name their driver and timeline
// (dma_fence_ops.get_driver_name / get_timeline_name).
type Namer interface {
	DriverName() string
	TimelineName() string
}

// Names returns f's driver and timeline names: from its Ops if they are a
// Namer, "stub" for stubs (context 0, as dma_fence_stub_get_name()), and
// "vmemu"/"unbound" otherwise.
func Names(f *fence.Fence) (driver, timeline string) {
	if n, ok := f.Ops().(Namer); ok {
		return n.DriverName(), n.TimelineName()
	}
	if f.Context() == 0 {
		return "stub", "stub"
	}
	return "vmemu", "unbound"
}

// Info is one entry of SYNC_IOC_FILE_INFO (struct sync_fence_info).
type Info struct {
	ObjName, DriverName string
	Status              int32
	TimestampNS         int64
}

// FenceInfo mirrors the data sync_file_ioctl_fence_info() collects: the
// number of leaf fences (dma_fence_unwrap_for_each) and their infos.
func (s *SyncFile) FenceInfo() []Info {
	var out []Info
	fence.Unwrap(s.fence, func(f *fence.Fence) {
		drv, tl := Names(f)
		in := Info{ObjName: truncName(tl), DriverName: truncName(drv), Status: f.Status()}
		if f.IsSignaled() {
			in.TimestampNS = f.Timestamp()
		}
		out = append(out, in)
	})
	return out
}

// truncName bounds a name as strscpy into a 32-byte field does.
func truncName(s string) string {
	if len(s) > 31 {
		return s[:31]
	}
	return s
}
