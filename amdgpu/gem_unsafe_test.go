package amdgpu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	"github.com/cockroachdb/datadriven"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
)

func ioctl[T any](f *File, req uint32, arg *T) error {
	err := f.Ioctl(uintptr(req), unsafe.Pointer(arg))
	runtime.KeepAlive(arg)
	return err
}

func gemCreate(f *File, size, align, domains, flags uint64) (uint32, error) {
	var in uapi.GemCreateIn
	in.BOSize, in.Alignment, in.Domains, in.DomainFlags = size, align, domains, flags
	err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_CREATE, &in)
	var out uapi.GemCreateOut
	b := make([]byte, uapi.SizeOfGemCreate)
	in.MarshalBytes(b)
	out.UnmarshalBytes(b)
	return out.Handle, err
}

func gemClose(f *File, h uint32) error {
	a := uapi.GemClose{Handle: h}
	return ioctl(f, uapi.DRM_IOCTL_GEM_CLOSE, &a)
}

func mustDevice(t testing.TB, cfg Config) (*Device, *File) {
	t.Helper()
	cfg.FailDeadlocks = true
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, f
}

const (
	vram = uapi.AMDGPU_GEM_DOMAIN_VRAM
	gtt  = uapi.AMDGPU_GEM_DOMAIN_GTT
)

// TestGEMErrnos pins every errno of the GEM ioctls, in the kernel's order.
// Reference: amdgpu_gem_create_ioctl(), amdgpu_gem_mmap_ioctl(),
// amdgpu_gem_wait_idle_ioctl(), amdgpu_gem_op_ioctl(),
// amdgpu_gem_metadata_ioctl(), amdgpu_gem_userptr_ioctl(),
// amdgpu_gem_list_handles_ioctl(), drm_gem_close_ioctl().
func TestGEMErrnos(t *testing.T) {
	_, f := mustDevice(t, Config{})
	h, err := gemCreate(f, 4096, 0, gtt, 0)
	if err != nil {
		t.Fatal(err)
	}
	noCPU, err := gemCreate(f, 4096, 0, vram, uapi.AMDGPU_GEM_CREATE_NO_CPU_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"create unsettable flag", func() error { _, e := gemCreate(f, 4096, 0, gtt, uapi.AMDGPU_GEM_CREATE_VRAM_CONTIGUOUS); return e }, errno.EINVAL},
		{"create flag before domain", func() error { _, e := gemCreate(f, 4096, 0, 1<<12, uapi.AMDGPU_GEM_CREATE_PREEMPTIBLE); return e }, errno.EINVAL},
		{"create bad domain", func() error { _, e := gemCreate(f, 4096, 0, 0x100, 0); return e }, errno.EINVAL},
		{"create special+normal", func() error { _, e := gemCreate(f, 4096, 0, gtt|uapi.AMDGPU_GEM_DOMAIN_GDS, 0); return e }, errno.EINVAL},
		{"create two specials", func() error {
			_, e := gemCreate(f, 4096, 0, uapi.AMDGPU_GEM_DOMAIN_GWS|uapi.AMDGPU_GEM_DOMAIN_OA, 0)
			return e
		}, errno.EINVAL},
		{"create encrypted no tmz", func() error { _, e := gemCreate(f, 4096, 0, vram, uapi.AMDGPU_GEM_CREATE_ENCRYPTED); return e }, errno.EINVAL},
		{"create gds always valid", func() error {
			_, e := gemCreate(f, 64, 0, uapi.AMDGPU_GEM_DOMAIN_GDS, uapi.AMDGPU_GEM_CREATE_VM_ALWAYS_VALID)
			return e
		}, errno.EINVAL},
		{"create too big for VRAM and GTT", func() error { _, e := gemCreate(f, 1<<50, 0, vram, 0); return e }, errno.ENOMEM},
		{"create zero size", func() error { _, e := gemCreate(f, 0, 0, gtt, 0); return e }, errno.ENOSPC},
		{"close unknown", func() error { return gemClose(f, 999) }, errno.EINVAL},
		{"close zero", func() error { return gemClose(f, 0) }, errno.EINVAL},
		{"mmap unknown", func() error { a := uapi.GemMmapIn{Handle: 999}; return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_MMAP, &a) }, errno.ENOENT},
		{"mmap no cpu access", func() error { a := uapi.GemMmapIn{Handle: noCPU}; return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_MMAP, &a) }, errno.EPERM},
		{"wait idle unknown", func() error {
			a := uapi.GemWaitIdleIn{Handle: 999}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE, &a)
		}, errno.ENOENT},
		{"op padding before handle", func() error {
			a := uapi.GemOp{Handle: 999, Padding: 1}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &a)
		}, errno.EINVAL},
		{"op unknown handle", func() error { a := uapi.GemOp{Handle: 999}; return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &a) }, errno.ENOENT},
		{"op unknown op", func() error { a := uapi.GemOp{Handle: h, Op: 7}; return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &a) }, errno.EINVAL},
		{"op mapping info too many", func() error {
			a := uapi.GemOp{Handle: h, Op: uapi.AMDGPU_GEM_OP_GET_MAPPING_INFO, NumEntries: 1 << 30}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &a)
		}, errno.EINVAL},
		{"metadata unknown", func() error {
			a := uapi.GemMetadata{Handle: 999}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_METADATA, &a)
		}, errno.ENOENT},
		{"metadata too big", func() error {
			a := uapi.GemMetadata{Handle: h, Op: uapi.AMDGPU_GEM_METADATA_OP_SET_METADATA}
			a.Data.DataSizeBytes = 257
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_METADATA, &a)
		}, errno.EINVAL},
		{"metadata unknown op", func() error {
			a := uapi.GemMetadata{Handle: h, Op: 9}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_METADATA, &a)
		}, nil},
		{"userptr unaligned", func() error {
			a := uapi.GemUserptr{Addr: 0x1001, Size: 4096, Flags: uapi.AMDGPU_GEM_USERPTR_READONLY}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_USERPTR, &a)
		}, errno.EINVAL},
		{"userptr beyond user space", func() error {
			a := uapi.GemUserptr{Addr: 1 << 47, Size: 4096, Flags: 1 << 9}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_USERPTR, &a)
		}, errno.EFAULT},
		{"userptr bad flag", func() error {
			a := uapi.GemUserptr{Addr: 0x1000, Size: 4096, Flags: 1 << 9}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_USERPTR, &a)
		}, errno.EINVAL},
		{"userptr writable without register", func() error {
			a := uapi.GemUserptr{Addr: 0x1000, Size: 4096}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_USERPTR, &a)
		}, errno.EACCES},
		{"userptr unsupported", func() error {
			a := uapi.GemUserptr{Addr: 0x1000, Size: 4096, Flags: uapi.AMDGPU_GEM_USERPTR_REGISTER}
			return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_USERPTR, &a)
		}, errno.ENODEV},
		{"list handles too small", func() error {
			a := uapi.GemListHandles{NumEntries: 1}
			if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_LIST_HANDLES, &a); err != nil || a.NumEntries != 2 {
				return fmt.Errorf("got %v, num_entries %d", err, a.NumEntries)
			}
			return nil
		}, nil},
		{"info vram usage", func() error {
			req := uapi.Info{Query: uapi.AMDGPU_INFO_VRAM_USAGE, ReturnSize: 8}
			return infoIoctl(f, &req, out)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.call(); !errors.Is(got, tc.want) && !(got == nil && tc.want == nil) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if err := f.Device().Mem().Check(); err != nil {
		t.Fatal(err)
	}
}

// TestGEMRoundTrip checks the successful paths: create-info, placement,
// metadata, mmap offset, list handles (lowest free id), wait idle,
// legacy GEM_OP, MapBO across an eviction.
func TestGEMRoundTrip(t *testing.T) {
	d, f := mustDevice(t, Config{})
	h1, _ := gemCreate(f, 5000, 65536, vram, uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED|uapi.AMDGPU_GEM_CREATE_EXPLICIT_SYNC)
	h2, _ := gemCreate(f, 4096, 0, gtt, 0)
	if h1 != 1 || h2 != 2 {
		t.Fatalf("handles %d %d, want 1 2", h1, h2)
	}
	var info uapi.GemCreateIn
	op := uapi.GemOp{Handle: h1, Op: uapi.AMDGPU_GEM_OP_GET_GEM_CREATE_INFO, Value: uint64(uapi.PtrTo(&info))}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &op); err != nil {
		t.Fatal(err)
	}
	// CPU_ACCESS_REQUIRED is dropped after creation; VRAM_CLEARED and
	// VRAM_WIPE_ON_RELEASE are added.
	wantFlags := uint64(uapi.AMDGPU_GEM_CREATE_EXPLICIT_SYNC | uapi.AMDGPU_GEM_CREATE_VRAM_CLEARED | uapi.AMDGPU_GEM_CREATE_VRAM_WIPE_ON_RELEASE)
	if info.BOSize != 8192 || info.Alignment != 65536 || info.Domains != vram || info.DomainFlags != wantFlags {
		t.Errorf("create info %+v, want size 8192 align 65536 VRAM flags %#x", info, wantFlags)
	}
	// Legacy 16-byte SET_PLACEMENT: VRAM only also allows GTT.
	v1 := uapi.GemOp_V1{Handle: h2, Op: uapi.AMDGPU_GEM_OP_SET_PLACEMENT, Value: vram | 0x40}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP_V1, &v1); err != nil {
		t.Fatal(err)
	}
	b := f.LookupBO(h2)
	if p, a := b.Domains(); p != bo.VRAM || a != bo.VRAM|bo.GTT {
		t.Errorf("domains %v %v", p, a)
	}
	b.Put()
	// Metadata round trip.
	md := uapi.GemMetadata{Handle: h1, Op: uapi.AMDGPU_GEM_METADATA_OP_SET_METADATA}
	md.Data.Flags, md.Data.TilingInfo, md.Data.DataSizeBytes = 7, 0x1234, 6
	md.Data.Data[0], md.Data.Data[1] = 0x04030201, 0x0605
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_METADATA, &md); err != nil {
		t.Fatal(err)
	}
	get := uapi.GemMetadata{Handle: h1, Op: uapi.AMDGPU_GEM_METADATA_OP_GET_METADATA}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_METADATA, &get); err != nil {
		t.Fatal(err)
	}
	if get.Data.Flags != 7 || get.Data.TilingInfo != 0x1234 || get.Data.DataSizeBytes != 6 ||
		get.Data.Data[0] != 0x04030201 || get.Data.Data[1]&0xffff != 0x0605 {
		t.Errorf("metadata %+v", get.Data)
	}
	// Mapping info: no mappings.
	mi := uapi.GemOp{Handle: h1, Op: uapi.AMDGPU_GEM_OP_GET_MAPPING_INFO, NumEntries: 4}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_OP, &mi); err != nil || mi.NumEntries != 0 {
		t.Errorf("mapping info: %v, %d entries", err, mi.NumEntries)
	}
	// mmap offsets are distinct and page aligned above 4 GiB.
	m1, m2 := uapi.GemMmapIn{Handle: h1}, uapi.GemMmapIn{Handle: h2}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_MMAP, &m1); err != nil {
		t.Fatal(err)
	}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_MMAP, &m2); err != nil {
		t.Fatal(err)
	}
	o1, o2 := binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Pointer(&m1)), 8)), binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Pointer(&m2)), 8))
	if o1 < 1<<32 || o1 == o2 || o1%4096 != 0 {
		t.Errorf("mmap offsets %#x %#x", o1, o2)
	}
	// Lowest free handle is reused.
	if err := gemClose(f, h1); err != nil {
		t.Fatal(err)
	}
	h3, _ := gemCreate(f, 4096, 0, gtt, 0)
	if h3 != 1 {
		t.Errorf("handle after close %d, want 1", h3)
	}
	ents := make([]uapi.GemListHandlesEntry, 4)
	lh := uapi.GemListHandles{Entries: uapi.SliceP64(ents), NumEntries: 4}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_LIST_HANDLES, &lh); err != nil || lh.NumEntries != 2 {
		t.Fatalf("list: %v %d", err, lh.NumEntries)
	}
	if ents[0].GemHandle != 1 || ents[1].GemHandle != 2 || ents[1].PreferredDomains != vram {
		t.Errorf("entries %+v", ents[:2])
	}
	// CPU view survives a move; GEM_WAIT_IDLE sees the move's KERNEL fence.
	v, err := f.MapBO(h2)
	if err != nil {
		t.Fatal(err)
	}
	v.WriteAt([]byte("survives"), 100)
	b = f.LookupBO(h2)
	validate(t, d, b, bo.VRAM)
	busy := uapi.GemWaitIdleIn{Handle: h2, Timeout: 0}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE, &busy); err != nil {
		t.Fatal(err)
	}
	if st := (*uapi.GemWaitIdleOut)(unsafe.Pointer(&busy)); st.Status != 1 {
		t.Errorf("status right after the move %d, want 1 (busy)", st.Status)
	}
	idle := uapi.GemWaitIdleIn{Handle: h2, Timeout: ^uint64(0)}
	if err := ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE, &idle); err != nil {
		t.Fatal(err)
	}
	if st := (*uapi.GemWaitIdleOut)(unsafe.Pointer(&idle)); st.Status != 0 {
		t.Errorf("status after infinite wait %d", st.Status)
	}
	if dom, _ := b.Placement(); dom != bo.VRAM {
		t.Errorf("placement %v", dom)
	}
	b.Put()
	buf := make([]byte, 8)
	v.ReadAt(buf, 100)
	if string(buf) != "survives" {
		t.Errorf("read %q after move", buf)
	}
	v.Close() // the mapping holds a reference, as a VMA does
	f.Close()
	d.Clock().RunAll() // the wipes on release
	if err := d.Mem().Check(); err != nil {
		t.Fatal(err)
	}
	if s := d.MemStats(); s.VRAMUsage != 0 {
		t.Errorf("VRAM usage %d after close", s.VRAMUsage)
	}
}

func validate(t testing.TB, d *Device, b *bo.BO, dom bo.Domain) {
	t.Helper()
	r := b.Resv()
	if err := r.Lock(nil); err != nil {
		t.Fatal(err)
	}
	defer r.Unlock()
	if err := d.Mem().Validate(nil, b, dom); err != nil {
		t.Fatal(err)
	}
}

// TestGEMConcurrent creates, writes and closes BOs from several goroutines
// on a small VRAM so that they evict each other. Run with -race.
func TestGEMConcurrent(t *testing.T) {
	d, _ := mustDevice(t, Config{VRAMSize: 256 << 10, VisibleVRAMSize: 64 << 10, GTTSize: 1 << 20})
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		f, err := d.Open()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var hs []uint32
			for i := 0; i < 60; i++ {
				dom := uint64(vram)
				if i%3 == 0 {
					dom |= gtt
				}
				h, err := gemCreate(f, uint64(4096*(1+i%4)), 0, dom, uapi.AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED)
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				if v, err := f.MapBO(h); err == nil {
					v.WriteAt([]byte{byte(g), byte(i)}, 0)
					v.Close()
				}
				hs = append(hs, h)
				if len(hs) > 8 {
					if err := gemClose(f, hs[0]); err != nil {
						t.Errorf("close: %v", err)
					}
					hs = hs[1:]
				}
				if err := d.Mem().Check(); err != nil {
					t.Errorf("invariant: %v", err)
					return
				}
			}
			f.Close()
		}(g)
	}
	wg.Wait()
	d.Clock().RunAll()
	if err := d.Mem().Check(); err != nil {
		t.Fatal(err)
	}
	if s := d.Mem().Stats(); s.Evictions == 0 {
		t.Errorf("no eviction happened: the test exercises nothing")
	}
	if s := d.Mem().Stats(); s.LiveBOs != 0 || s.Pools[bo.VRAM].Used != 0 {
		t.Errorf("after close: %d live BOs, VRAM used %d", s.LiveBOs, s.Pools[bo.VRAM].Used)
	}
}

// TestGEMDataDriven runs amdgpu/testdata/gem*.txt: GEM ioctls with VRAM
// accounting seen through AMDGPU_INFO.
func TestGEMDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if !strings.Contains(path, "gem") {
			t.Skip()
		}
		var d *Device
		var f *File
		handles := map[string]uint32{}
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			out := gemCmd(t, td, &d, &f, handles)
			if d != nil {
				if err := d.Mem().Check(); err != nil {
					t.Fatalf("%s: invariant: %v", td.Pos, err)
				}
			}
			return out
		})
	})
}

func gemErr(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		for _, n := range []struct {
			e error
			s string
		}{{errno.EINVAL, "EINVAL"}, {errno.ENOMEM, "ENOMEM"}, {errno.ENOENT, "ENOENT"}, {errno.EPERM, "EPERM"}, {errno.ENOSPC, "ENOSPC"}} {
			if en == n.e {
				return "error: " + n.s
			}
		}
	}
	return "error: " + err.Error()
}

func argU64(t testing.TB, td *datadriven.TestData, key string, def uint64) uint64 {
	if !td.HasArg(key) {
		return def
	}
	var s string
	td.ScanArgs(t, key, &s)
	mult := uint64(1)
	if strings.HasSuffix(s, "M") {
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	} else if strings.HasSuffix(s, "K") {
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v * mult
}

var gemDomains = map[string]uint64{"VRAM": vram, "GTT": gtt, "CPU": uapi.AMDGPU_GEM_DOMAIN_CPU}

func gemCmd(t *testing.T, td *datadriven.TestData, dp **Device, fp **File, hs map[string]uint32) string {
	switch td.Cmd {
	case "device":
		// Example: device profile=navi31
		var p string
		td.ScanArgs(t, "profile", &p)
		*dp, *fp = mustDevice(t, Config{Profile: p})
		return ""
	case "create":
		// Example: create name=a size=1M domain=VRAM|GTT [flags=0x1]
		var name, dom string
		td.ScanArgs(t, "name", &name)
		td.ScanArgs(t, "domain", &dom)
		var d uint64
		for _, x := range strings.Split(dom, "|") {
			d |= gemDomains[x]
		}
		h, err := gemCreate(*fp, argU64(t, td, "size", 4096), 0, d, argU64(t, td, "flags", 0))
		if err != nil {
			return gemErr(err)
		}
		hs[name] = h
		b := (*fp).LookupBO(h)
		defer b.Put()
		dm, _ := b.Placement()
		pref, _ := b.Domains()
		return fmt.Sprintf("handle %d in %v (preferred %v)", h, dm, pref)
	case "close":
		// Example: close name=a
		var name string
		td.ScanArgs(t, "name", &name)
		if err := gemClose(*fp, hs[name]); err != nil {
			return gemErr(err)
		}
		return ""
	case "bookkeep":
		// Example: bookkeep name=a   (adds an unsignaled BOOKKEEP fence, kept as "f")
		var name string
		td.ScanArgs(t, "name", &name)
		b := (*fp).LookupBO(hs[name])
		defer b.Put()
		dom := (*dp).Domain()
		fn := dom.New(dom.ContextAlloc(1), 1)
		r := b.Resv()
		r.Lock(nil)
		r.ReserveFences(1)
		r.AddFence(fn, resv.BOOKKEEP)
		r.Unlock()
		pending = append(pending, fn)
		return ""
	case "signal-all":
		// Example: signal-all
		for _, fn := range pending {
			fn.Signal()
		}
		pending = nil
		(*dp).Clock().RunAll()
		return ""
	case "run":
		// Example: run
		(*dp).Clock().RunAll()
		return ""
	case "info":
		// Example: info
		m := (*dp).MemStats()
		q := func(query uint32) uint64 {
			req := uapi.Info{Query: query, ReturnSize: 8}
			out := make([]byte, 8)
			if err := infoIoctl(*fp, &req, out); err != nil {
				t.Fatal(err)
			}
			return binary.LittleEndian.Uint64(out)
		}
		var vg uapi.InfoVRAMGTT
		out := make([]byte, uapi.SizeOfInfoVRAMGTT)
		req := uapi.Info{Query: uapi.AMDGPU_INFO_VRAM_GTT, ReturnSize: uint32(len(out))}
		if err := infoIoctl(*fp, &req, out); err != nil {
			t.Fatal(err)
		}
		vg.UnmarshalBytes(out)
		_ = m
		return fmt.Sprintf("VRAM_USAGE %d\nVIS_VRAM_USAGE %d\nGTT_USAGE %d\nNUM_EVICTIONS %d\nNUM_BYTES_MOVED %d\nVRAM_GTT vram %d visible %d gtt %d",
			q(uapi.AMDGPU_INFO_VRAM_USAGE), q(uapi.AMDGPU_INFO_VIS_VRAM_USAGE), q(uapi.AMDGPU_INFO_GTT_USAGE),
			q(uapi.AMDGPU_INFO_NUM_EVICTIONS), q(uapi.AMDGPU_INFO_NUM_BYTES_MOVED),
			vg.VRAMSize, vg.VRAMCPUAccessibleSize, vg.GTTSize)
	}
	t.Fatalf("unknown command %q", td.Cmd)
	return ""
}

// pending are the fences "bookkeep" made, signaled by "signal-all".
var pending []*fence.Fence

// BenchmarkGEMCreateClose is a GEM_CREATE + GEM_CLOSE pair through Ioctl.
func BenchmarkGEMCreateClose(b *testing.B) {
	for _, dom := range []struct {
		name string
		d    uint64
	}{{"GTT", gtt}, {"VRAM", vram}} {
		b.Run(dom.name, func(b *testing.B) {
			d, f := mustDevice(b, Config{})
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h, err := gemCreate(f, 64<<10, 0, dom.d, 0)
				if err != nil {
					b.Fatal(err)
				}
				if err := gemClose(f, h); err != nil {
					b.Fatal(err)
				}
				if i%1024 == 0 {
					d.Clock().RunAll() // the VRAM wipes
				}
			}
		})
	}
}

// TestGEMHandleTableConcurrent runs GEM_VA, whose handle lookup takes no
// lock (gemTable.peek), against GEM_CREATE and GEM_CLOSE growing and
// shrinking the same file's handle table. A handle that stays open must
// always resolve; one being closed and reopened resolves (0) or not
// (ENOENT), nothing else. Run with -race.
func TestGEMHandleTableConcurrent(t *testing.T) {
	_, f := mustDevice(t, Config{})
	stable, err := gemCreate(f, 4096, 0, gtt, 0)
	if err != nil {
		t.Fatal(err)
	}
	var last atomic.Uint32 // the newest churned handle
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var hs []uint32
		for i := 0; ; i++ {
			if i >= 48 { // at least 33 live handles: the table grows
				select {
				case <-stop:
					return
				default:
				}
			}
			h, err := gemCreate(f, 4096, 0, gtt, 0)
			if err != nil {
				t.Errorf("create: %v", err)
				return
			}
			last.Store(h)
			hs = append(hs, h)
			if i%3 == 2 { // keep the table growing, with holes
				if err := gemClose(f, hs[0]); err != nil {
					t.Errorf("close: %v", err)
				}
				hs = hs[1:]
			}
		}
	}()
	va := func(h uint32, op uint32, addr uint64) error {
		a := uapi.GemVA{Handle: h, Operation: op, Flags: uapi.AMDGPU_VM_DELAY_UPDATE,
			VAAddress: addr, MapSize: 4096}
		if op == uapi.AMDGPU_VA_OP_MAP {
			a.Flags |= uapi.AMDGPU_VM_PAGE_READABLE
		}
		return ioctl(f, uapi.DRM_IOCTL_AMDGPU_GEM_VA, &a)
	}
	var resolved, gone int
	for i := 0; i < 2000; i++ {
		addr := uint64(1<<32) + uint64(i%64)*8192
		if err := va(stable, uapi.AMDGPU_VA_OP_MAP, addr); err != nil {
			t.Fatalf("map of an open handle: %v", err)
		}
		if err := va(stable, uapi.AMDGPU_VA_OP_UNMAP, addr); err != nil {
			t.Fatalf("unmap of an open handle: %v", err)
		}
		h := last.Load() - uint32(i%3)
		switch err := va(h, uapi.AMDGPU_VA_OP_MAP, addr+4096); err {
		case nil:
			resolved++
			if err := va(h, uapi.AMDGPU_VA_OP_UNMAP, addr+4096); err != nil && err != syscall.ENOENT {
				t.Fatalf("unmap of churned handle %d: %v", h, err)
			}
		case syscall.ENOENT:
			gone++
		default:
			t.Fatalf("map of churned handle %d: %v", h, err)
		}
	}
	close(stop)
	<-done
	if n := f.Handles(); n <= 16 {
		t.Errorf("%d handles at the end: the table never grew past its first slice", n)
	}
	t.Logf("churned handles: %d resolved, %d gone", resolved, gone)
}

// TestStatsIoctls counts ioctls across files, closed ones included, and
// not those refused on a closed file.
func TestStatsIoctls(t *testing.T) {
	d, f := mustDevice(t, Config{})
	g, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		h, err := gemCreate(f, 4096, 0, gtt, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := gemClose(g, h); err != syscall.EINVAL { // not g's handle (drm_gem_handle_delete()); counted all the same
			t.Fatalf("close on the other file: %v", err)
		}
	}
	if n := d.Stats().Ioctls; n != 6 {
		t.Fatalf("Ioctls = %d, want 6", n)
	}
	g.Close()
	if err := gemClose(g, 1); err == nil {
		t.Fatal("ioctl on a closed file succeeded")
	}
	if _, err := gemCreate(f, 4096, 0, gtt, 0); err != nil {
		t.Fatal(err)
	}
	if n := d.Stats().Ioctls; n != 7 {
		t.Fatalf("after close: Ioctls = %d, want 7", n)
	}
}
