package amdgpu_test

import (
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// The cost of the ioctl layer: one syncobj life cycle (create, signal,
// wait on the signaled object, destroy) through File.Ioctl, and the same
// through the syncobj.Table methods directly, in the same run.

func BenchmarkSyncobjCycle(b *testing.B) {
	b.Run("ioctl", func(b *testing.B) {
		_, f := newFile(b, amdgpu.Config{})
		handles := pin(b, make([]uint32, 1))
		var c uapi.SyncobjCreate
		sig := uapi.SyncobjArray{Handles: uapi.SliceP64(handles), CountHandles: 1}
		w := uapi.SyncobjWait{Handles: uapi.SliceP64(handles), CountHandles: 1}
		var d uapi.SyncobjDestroy
		b.ReportAllocs()
		for b.Loop() {
			c = uapi.SyncobjCreate{}
			if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_CREATE, &c); err != nil {
				b.Fatal(err)
			}
			handles[0] = c.Handle
			if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_SIGNAL, &sig); err != nil {
				b.Fatal(err)
			}
			if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_WAIT, &w); err != nil {
				b.Fatal(err)
			}
			d.Handle = c.Handle
			if err := ioctl(f, uapi.DRM_IOCTL_SYNCOBJ_DESTROY, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		_, f := newFile(b, amdgpu.Config{})
		t := f.Syncobjs()
		io := usermem.Local{}
		handles := pin(b, make([]uint32, 1))
		addr := usermem.SliceAddr(handles)
		b.ReportAllocs()
		for b.Loop() {
			h, err := t.Create(0)
			if err != nil {
				b.Fatal(err)
			}
			handles[0] = h
			if err := t.Signal(io, addr, 1, 0); err != nil {
				b.Fatal(err)
			}
			w := waitArgs(addr)
			if err := t.Wait(io, &w); err != nil {
				b.Fatal(err)
			}
			if err := t.Destroy(h, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
