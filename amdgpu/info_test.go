package amdgpu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/profile"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// sentinel fills result buffers so that tests see which bytes INFO wrote.
const sentinel = 0xAA

// queryInfo issues one INFO query with the union arm arg (nil: zero) and a
// result buffer of size bytes, prefilled with sentinel.
func queryInfo(t testing.TB, f *File, query uint32, arg uapi.Marshallable, size uint32) ([]byte, error) {
	t.Helper()
	var req uapi.Info
	req.Query = query
	req.ReturnSize = size
	if arg != nil {
		req.SetArg(arg)
	}
	buf := bytes.Repeat([]byte{sentinel}, int(max(size, 1)))
	err := infoIoctl(f, &req, buf)
	return buf[:size], err
}

func hwIP(typ, inst uint32) *uapi.InfoQueryHWIPArg {
	return &uapi.InfoQueryHWIPArg{Type: typ, IPInstance: inst}
}

func fw(typ, inst, index uint32) *uapi.QueryFW {
	return &uapi.QueryFW{FWType: typ, IPInstance: inst, Index: index}
}

func mmr(off, count, instance uint32) *uapi.InfoReadMMRRegArg {
	return &uapi.InfoReadMMRRegArg{DwordOffset: off, Count: count, Instance: instance}
}

// allInstances is the READ_MMR_REG instance libdrm and Mesa pass for
// "every SE and SH" (0xffffffff).
const allInstances = 0xffffffff

// sizeOfInfoDeviceMainline is sizeof(struct drm_amdgpu_info_device) in the
// mainline header (trailing pad), which libdrm passes as return_size.
const sizeOfInfoDeviceMainline = 448

// initQuery is one INFO query a user-space driver makes while it
// initialises.
type initQuery struct {
	name  string
	query uint32
	arg   uapi.Marshallable
	size  uint32
	// present: only asked when the IP reports rings (Mesa asks HW_IP_COUNT
	// and the VCN/UVD/VCE firmware only then).
	ifIP int
	// ignored marks queries whose error the caller ignores; want is the
	// errno vmemu answers for them.
	want error
}

// initQueries lists the INFO queries made by
//
//   - libdrm amdgpu_device_initialize() → amdgpu_query_gpu_info_init()
//     (amdgpu/amdgpu_device.c, amdgpu_gpu_info.c) and amdgpu_query_heap_info();
//   - Mesa ac_query_gpu_info() (src/amd/common/ac_gpu_info.c) with
//     ac_drm_query_gpu_info() and ac_drm_query_heap_info()
//     (src/amd/common/ac_linux_drm.c); RADV's timestamp calibration and
//     device-lost fault query.
//
// Reference: amdgpu_device_initialize(), ac_query_gpu_info().
func initQueries() []initQuery {
	qs := []initQuery{
		// libdrm amdgpu_device_initialize()
		{name: "libdrm ACCEL_WORKING", query: uapi.AMDGPU_INFO_ACCEL_WORKING, size: 4, ifIP: -1},
		{name: "libdrm DEV_INFO", query: uapi.AMDGPU_INFO_DEV_INFO, size: sizeOfInfoDeviceMainline, ifIP: -1},
		{name: "libdrm READ_MMR_REG GB_ADDR_CONFIG", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(0x263e, 1, allInstances), size: 4, ifIP: -1},
		{name: "libdrm HW_IP_COUNT GFX", query: uapi.AMDGPU_INFO_HW_IP_COUNT, arg: hwIP(uapi.AMDGPU_HW_IP_GFX, 0), size: 4, ifIP: -1},
		{name: "libdrm HW_IP_INFO GFX", query: uapi.AMDGPU_INFO_HW_IP_INFO, arg: hwIP(uapi.AMDGPU_HW_IP_GFX, 0), size: uapi.SizeOfInfoHWIP, ifIP: -1},
		// libdrm amdgpu_query_heap_info() / Mesa ac_drm_query_heap_info()
		{name: "heap VRAM_GTT", query: uapi.AMDGPU_INFO_VRAM_GTT, size: uapi.SizeOfInfoVRAMGTT, ifIP: -1},
		{name: "heap VRAM_USAGE", query: uapi.AMDGPU_INFO_VRAM_USAGE, size: 8, ifIP: -1},
		{name: "heap VIS_VRAM_USAGE", query: uapi.AMDGPU_INFO_VIS_VRAM_USAGE, size: 8, ifIP: -1},
		{name: "heap GTT_USAGE", query: uapi.AMDGPU_INFO_GTT_USAGE, size: 8, ifIP: -1},
		// Mesa ac_query_gpu_info()
		{name: "mesa DEV_INFO", query: uapi.AMDGPU_INFO_DEV_INFO, size: uapi.SizeOfInfoDevice, ifIP: -1},
		{name: "mesa FW ME", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_GFX_ME, 0, 0), size: 8, ifIP: -1},
		{name: "mesa FW MEC", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_GFX_MEC, 0, 0), size: 8, ifIP: -1},
		{name: "mesa FW PFP", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_GFX_PFP, 0, 0), size: 8, ifIP: -1},
		{name: "mesa FW VCN", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_VCN, 0, 0), size: 8, ifIP: uapi.AMDGPU_HW_IP_VCN_DEC},
		{name: "mesa FW VCE", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_VCE, 0, 0), size: 8, ifIP: uapi.AMDGPU_HW_IP_VCE},
		{name: "mesa FW UVD", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_UVD, 0, 0), size: 8, ifIP: uapi.AMDGPU_HW_IP_UVD},
		{name: "mesa MEMORY", query: uapi.AMDGPU_INFO_MEMORY, size: uapi.SizeOfMemoryInfo, ifIP: -1},
		{name: "mesa VIDEO_CAPS DECODE (ignored)", query: uapi.AMDGPU_INFO_VIDEO_CAPS, arg: &uapi.InfoVideoCapArg{Type: uapi.AMDGPU_INFO_VIDEO_CAPS_DECODE}, size: uapi.SizeOfInfoVideoCaps, ifIP: -1, want: errno.EINVAL},
		{name: "mesa VIDEO_CAPS ENCODE (ignored)", query: uapi.AMDGPU_INFO_VIDEO_CAPS, arg: &uapi.InfoVideoCapArg{Type: uapi.AMDGPU_INFO_VIDEO_CAPS_ENCODE}, size: uapi.SizeOfInfoVideoCaps, ifIP: -1, want: errno.EINVAL},
		{name: "radv TIMESTAMP", query: uapi.AMDGPU_INFO_TIMESTAMP, size: 8, ifIP: -1},
		{name: "radv GPUVM_FAULT", query: uapi.AMDGPU_INFO_GPUVM_FAULT, size: uapi.SizeOfInfoGPUVMFault, ifIP: -1},
	}
	for t := uint32(0); t < uapi.AMDGPU_HW_IP_NUM; t++ {
		qs = append(qs,
			initQuery{name: fmt.Sprintf("mesa HW_IP_INFO %d", t), query: uapi.AMDGPU_INFO_HW_IP_INFO, arg: hwIP(t, 0), size: uapi.SizeOfInfoHWIP, ifIP: -1},
			initQuery{name: fmt.Sprintf("mesa HW_IP_COUNT %d", t), query: uapi.AMDGPU_INFO_HW_IP_COUNT, arg: hwIP(t, 0), size: 4, ifIP: int(t)})
	}
	return qs
}

// TestInfoInitQueries checks that every registered profile answers every
// query libdrm's and Mesa's initialisation make, and that the answers meet
// their requirements (acceleration on, gfx or compute rings, known
// firmware, DRM ≥ 3.42).
//
// Reference: amdgpu_device_initialize() (libdrm), ac_query_gpu_info() (Mesa).
func TestInfoInitQueries(t *testing.T) {
	for _, name := range profile.Names() {
		t.Run(name, func(t *testing.T) {
			dev, f := infoOpen(t, Config{Profile: name})
			p := dev.Profile()
			if v := dev.Version(); v.Major != 3 || v.Minor < 42 {
				t.Errorf("DRM %d.%d: Mesa needs 3.42+", v.Major, v.Minor)
			}
			rings := map[int]uint32{}
			for ip := range uapi.AMDGPU_HW_IP_NUM {
				b, err := queryInfo(t, f, uapi.AMDGPU_INFO_HW_IP_INFO, hwIP(uint32(ip), 0), uapi.SizeOfInfoHWIP)
				if err != nil {
					t.Fatalf("HW_IP_INFO %d: %v", ip, err)
				}
				var r uapi.InfoHWIP
				r.UnmarshalBytes(b)
				rings[ip] = r.AvailableRings
			}
			if rings[uapi.AMDGPU_HW_IP_GFX] == 0 && rings[uapi.AMDGPU_HW_IP_COMPUTE] == 0 {
				t.Error("no gfx or compute ring: Mesa fails init")
			}
			for _, q := range initQueries() {
				if q.ifIP >= 0 && rings[q.ifIP] == 0 {
					continue
				}
				b, err := queryInfo(t, f, q.query, q.arg, q.size)
				if !errors.Is(err, q.want) && !(q.want == nil && err == nil) {
					t.Errorf("%s: err %v, want %v", q.name, err, q.want)
					continue
				}
				if err != nil {
					continue
				}
				switch q.query {
				case uapi.AMDGPU_INFO_ACCEL_WORKING:
					if binary.LittleEndian.Uint32(b) == 0 {
						t.Error("accel_working 0")
					}
				case uapi.AMDGPU_INFO_DEV_INFO:
					var d uapi.InfoDevice
					d.UnmarshalBytes(b)
					if d.Family != p.Family || d.DeviceID != uint32(p.DeviceID) || d.ExternalRev != p.ExternalRev {
						t.Errorf("%s: identity %d/%#x/%#x", q.name, d.Family, d.DeviceID, d.ExternalRev)
					}
					if d.VirtualAddressMax <= d.VirtualAddressOffset {
						t.Errorf("%s: empty VA window", q.name)
					}
					if !bytes.Equal(b[uapi.SizeOfInfoDevice:], bytes.Repeat([]byte{sentinel}, len(b)-uapi.SizeOfInfoDevice)) {
						t.Errorf("%s: wrote past sizeof(drm_amdgpu_info_device)", q.name)
					}
				case uapi.AMDGPU_INFO_FW_VERSION:
					var fw uapi.InfoFirmware
					fw.UnmarshalBytes(b)
					if fw.Ver == 0 {
						t.Errorf("%s: version 0", q.name)
					}
				case uapi.AMDGPU_INFO_READ_MMR_REG:
					if got, want := binary.LittleEndian.Uint32(b), p.Registers[0x263e]; got != want || got == 0 {
						t.Errorf("GB_ADDR_CONFIG %#x, want %#x", got, want)
					}
				}
			}
		})
	}
}

// errCase is one INFO call and the errno the kernel answers.
type errCase struct {
	name  string
	query uint32
	arg   uapi.Marshallable
	size  uint32
	want  error
}

func runErrCases(t *testing.T, f *File, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size := c.size
			if size == 0 {
				size = 512
			}
			_, err := queryInfo(t, f, c.query, c.arg, size)
			if c.want == nil {
				if err != nil {
					t.Fatalf("err %v, want success", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

// TestInfoErrors checks each query's argument checks and their order: when
// two checks would fail, the first in amdgpu_info_ioctl() decides the errno.
//
// Reference: amdgpu_info_ioctl(), amdgpu_hw_ip_info(), amdgpu_firmware_info()
// in amdgpu_kms.c.
func TestInfoErrors(t *testing.T) {
	_, f := infoOpen(t, Config{Profile: "navi31"})
	const (
		gfx  = uapi.AMDGPU_HW_IP_GFX
		dma  = uapi.AMDGPU_HW_IP_DMA
		vcn  = uapi.AMDGPU_HW_IP_VCN_DEC
		uvd  = uapi.AMDGPU_HW_IP_UVD
		ipN  = uapi.AMDGPU_HW_IP_NUM
		inv  = errno.EINVAL
		flt  = errno.EFAULT
		gbAC = 0x263e
	)
	sensor := func(typ uint32) *uapi.InfoSensorArg { return &uapi.InfoSensorArg{Type: typ} }
	vbios := func(typ, off uint32) *uapi.InfoVbiosArg { return &uapi.InfoVbiosArg{Type: typ, Offset: off} }
	video := func(typ uint32) *uapi.InfoVideoCapArg { return &uapi.InfoVideoCapArg{Type: typ} }
	runErrCases(t, f, []errCase{
		{name: "unknown query 0x04", query: 0x04, want: inv},
		{name: "unknown query 0x12", query: 0x12, want: inv},
		{name: "unknown query 0x25", query: 0x25, want: inv},
		{name: "CRTC_FROM_ID no display", query: uapi.AMDGPU_INFO_CRTC_FROM_ID, want: inv},

		{name: "HW_IP_INFO instance 1", query: uapi.AMDGPU_INFO_HW_IP_INFO, arg: hwIP(gfx, 1), want: inv},
		{name: "HW_IP_INFO instance before type", query: uapi.AMDGPU_INFO_HW_IP_INFO, arg: hwIP(ipN, 1), want: inv},
		{name: "HW_IP_INFO unknown type", query: uapi.AMDGPU_INFO_HW_IP_INFO, arg: hwIP(ipN, 0), want: inv},
		{name: "HW_IP_INFO absent IP succeeds", query: uapi.AMDGPU_INFO_HW_IP_INFO, arg: hwIP(vcn, 0)},
		{name: "HW_IP_COUNT unknown type", query: uapi.AMDGPU_INFO_HW_IP_COUNT, arg: hwIP(ipN, 0), want: inv},
		{name: "HW_IP_COUNT absent IP", query: uapi.AMDGPU_INFO_HW_IP_COUNT, arg: hwIP(vcn, 0), want: inv},
		{name: "HW_IP_COUNT ignores ip_instance", query: uapi.AMDGPU_INFO_HW_IP_COUNT, arg: hwIP(gfx, 7)},

		{name: "FW ip_instance 1", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_GFX_ME, 1, 0), want: inv},
		{name: "FW ip_instance before type", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(0x7f, 1, 0), want: inv},
		{name: "FW type 0", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(0, 0, 0), want: inv},
		{name: "FW type 0x09 (hole)", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(0x09, 0, 0), want: inv},
		{name: "FW type past MP5", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(0x1e, 0, 0), want: inv},
		{name: "FW MEC index 1 (mec2)", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_GFX_MEC, 0, 1)},
		{name: "FW MEC index 2", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_GFX_MEC, 0, 2), want: inv},
		{name: "FW SDMA last instance", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_SDMA, 0, 1)},
		{name: "FW SDMA past instances", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_SDMA, 0, 2), want: inv},
		{name: "FW TA ASD index", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_TA, 0, 1), want: inv},
		{name: "FW TA XGMI", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_TA, 0, 2)},
		{name: "FW TA past SECUREDISPLAY", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_TA, 0, 8), want: inv},
		{name: "FW ME ignores index", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_GFX_ME, 0, 9)},
		{name: "FW MP5", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_MP5, 0, 0)},

		{name: "MMR SE 3", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(gbAC, 1, 3)},
		{name: "MMR SE 4", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(gbAC, 1, 4), want: inv},
		{name: "MMR SE all, SH 1", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(gbAC, 1, 0x1ff)},
		{name: "MMR SH 2", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(gbAC, 1, 0x200), want: inv},
		{name: "MMR count 128", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(gbAC, 128, allInstances), want: flt},
		{name: "MMR count 129", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(gbAC, 129, allInstances), want: inv},
		{name: "MMR bad SE before bad offset", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(0x1234, 1, 5), want: inv},
		{name: "MMR unallowed offset", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(0x1234, 1, allInstances), want: flt},
		{name: "MMR run into unallowed offset", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(gbAC, 2, allInstances), want: flt},
		{name: "MMR count 0", query: uapi.AMDGPU_INFO_READ_MMR_REG, arg: mmr(0x1234, 0, allInstances)},

		{name: "VBIOS SIZE", query: uapi.AMDGPU_INFO_VBIOS, arg: vbios(uapi.AMDGPU_INFO_VBIOS_SIZE, 0)},
		{name: "VBIOS IMAGE past size", query: uapi.AMDGPU_INFO_VBIOS, arg: vbios(uapi.AMDGPU_INFO_VBIOS_IMAGE, 0), want: inv},
		{name: "VBIOS INFO", query: uapi.AMDGPU_INFO_VBIOS, arg: vbios(uapi.AMDGPU_INFO_VBIOS_INFO, 0)},
		{name: "VBIOS type 0", query: uapi.AMDGPU_INFO_VBIOS, arg: vbios(0, 0), want: inv},
		{name: "VBIOS type 4", query: uapi.AMDGPU_INFO_VBIOS, arg: vbios(4, 0), want: inv},

		{name: "NUM_HANDLES UVD", query: uapi.AMDGPU_INFO_NUM_HANDLES, arg: hwIP(uvd, 0), want: errno.ENODATA},
		{name: "NUM_HANDLES GFX", query: uapi.AMDGPU_INFO_NUM_HANDLES, arg: hwIP(gfx, 0), want: inv},

		{name: "SENSOR type 0", query: uapi.AMDGPU_INFO_SENSOR, arg: sensor(0), want: inv},
		{name: "SENSOR type 0xd", query: uapi.AMDGPU_INFO_SENSOR, arg: sensor(0xd), want: inv},
		{name: "SENSOR GFX_SCLK", query: uapi.AMDGPU_INFO_SENSOR, arg: sensor(uapi.AMDGPU_INFO_SENSOR_GFX_SCLK)},
		{name: "SENSOR GPU_TEMP not modelled", query: uapi.AMDGPU_INFO_SENSOR, arg: sensor(uapi.AMDGPU_INFO_SENSOR_GPU_TEMP), want: inv},

		{name: "VIDEO_CAPS DECODE no VCN", query: uapi.AMDGPU_INFO_VIDEO_CAPS, arg: video(0), want: inv},
		{name: "VIDEO_CAPS ENCODE no VCN", query: uapi.AMDGPU_INFO_VIDEO_CAPS, arg: video(1), want: inv},
		{name: "VIDEO_CAPS type 2", query: uapi.AMDGPU_INFO_VIDEO_CAPS, arg: video(2), want: inv},
		{name: "RAS no context", query: uapi.AMDGPU_INFO_RAS_ENABLED_FEATURES, want: inv},

		{name: "UQ_FW_AREAS GFX", query: uapi.AMDGPU_INFO_UQ_FW_AREAS, arg: hwIP(gfx, 0)},
		{name: "UQ_FW_AREAS DMA no callback", query: uapi.AMDGPU_INFO_UQ_FW_AREAS, arg: hwIP(dma, 0), want: errno.EOPNOTSUPP},
		{name: "UQ_FW_AREAS VCN", query: uapi.AMDGPU_INFO_UQ_FW_AREAS, arg: hwIP(vcn, 0), want: inv},

		{name: "GDS_CONFIG", query: uapi.AMDGPU_INFO_GDS_CONFIG},
		{name: "VCE_CLOCK_TABLE", query: uapi.AMDGPU_INFO_VCE_CLOCK_TABLE},
		{name: "VRAM_LOST_COUNTER", query: uapi.AMDGPU_INFO_VRAM_LOST_COUNTER},
		{name: "MAX_IBS", query: uapi.AMDGPU_INFO_MAX_IBS},
		{name: "NUM_BYTES_MOVED", query: uapi.AMDGPU_INFO_NUM_BYTES_MOVED},
		{name: "NUM_EVICTIONS", query: uapi.AMDGPU_INFO_NUM_EVICTIONS},
		{name: "NUM_VRAM_CPU_PAGE_FAULTS", query: uapi.AMDGPU_INFO_NUM_VRAM_CPU_PAGE_FAULTS},
	})

	t.Run("gfx10 UQ_FW_AREAS", func(t *testing.T) {
		_, f := infoOpen(t, Config{Profile: "navi21"})
		runErrCases(t, f, []errCase{
			{name: "GFX no callback", query: uapi.AMDGPU_INFO_UQ_FW_AREAS, arg: hwIP(gfx, 0), want: errno.EOPNOTSUPP},
			{name: "COMPUTE no callback", query: uapi.AMDGPU_INFO_UQ_FW_AREAS, arg: hwIP(uapi.AMDGPU_HW_IP_COMPUTE, 0), want: errno.EOPNOTSUPP},
			{name: "FW SDMA instance 3", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_SDMA, 0, 3)},
			{name: "FW SDMA instance 4", query: uapi.AMDGPU_INFO_FW_VERSION, arg: fw(uapi.AMDGPU_INFO_FW_SDMA, 0, 4), want: inv},
		})
	})
}

// TestInfoReturnPointer checks the checks made before the query is looked
// at: a zero return_size or return_pointer is EINVAL, whatever the query.
//
// Reference: amdgpu_info_ioctl() ("if (!info->return_size ||
// !info->return_pointer) return -EINVAL").
func TestInfoReturnPointer(t *testing.T) {
	_, f := infoOpen(t, Config{})
	var out [8]byte
	for _, c := range []struct {
		name  string
		query uint32
		size  uint32
		ptr   bool
	}{
		{"zero size", uapi.AMDGPU_INFO_ACCEL_WORKING, 0, true},
		{"zero size, unknown query", 0x77, 0, true},
		{"null pointer", uapi.AMDGPU_INFO_ACCEL_WORKING, 8, false},
		{"null pointer, unknown query", 0x77, 8, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := uapi.Info{Query: c.query, ReturnSize: c.size}
			var buf []byte
			if c.ptr {
				buf = out[:]
			}
			if err := infoIoctl(f, &req, buf); !errors.Is(err, errno.EINVAL) {
				t.Fatalf("err %v, want EINVAL", err)
			}
		})
	}
}

// TestInfoReturnSize checks that INFO copies min(return_size, size of the
// result) bytes and leaves the rest of the caller's buffer alone.
//
// Reference: amdgpu_info_ioctl(), copy_to_user(out, …, min(size, sizeof)).
func TestInfoReturnSize(t *testing.T) {
	_, f := infoOpen(t, Config{})
	for _, c := range []struct {
		name    string
		query   uint32
		arg     uapi.Marshallable
		size    uint32
		written int
	}{
		{"ACCEL_WORKING 2 of 4", uapi.AMDGPU_INFO_ACCEL_WORKING, nil, 2, 2},
		{"ACCEL_WORKING 4 of 4", uapi.AMDGPU_INFO_ACCEL_WORKING, nil, 16, 4},
		{"TIMESTAMP 3 of 8", uapi.AMDGPU_INFO_TIMESTAMP, nil, 3, 3},
		{"DEV_INFO 4", uapi.AMDGPU_INFO_DEV_INFO, nil, 4, 4},
		{"DEV_INFO 448 (mainline header)", uapi.AMDGPU_INFO_DEV_INFO, nil, sizeOfInfoDeviceMainline, uapi.SizeOfInfoDevice},
		{"HW_IP_INFO 1", uapi.AMDGPU_INFO_HW_IP_INFO, hwIP(0, 0), 1, 1},
		{"MEMORY 1000", uapi.AMDGPU_INFO_MEMORY, nil, 1000, uapi.SizeOfMemoryInfo},
		{"READ_MMR_REG 2 of 4", uapi.AMDGPU_INFO_READ_MMR_REG, mmr(0x263e, 1, allInstances), 2, 2},
		{"MAX_IBS 64", uapi.AMDGPU_INFO_MAX_IBS, nil, 64, 40},
		{"UQ_FW_AREAS 64", uapi.AMDGPU_INFO_UQ_FW_AREAS, hwIP(0, 0), 64, uapi.SizeOfInfoUQMetadata},
	} {
		t.Run(c.name, func(t *testing.T) {
			full, err := queryInfo(t, f, c.query, c.arg, 4096)
			if err != nil {
				t.Fatal(err)
			}
			b, err := queryInfo(t, f, c.query, c.arg, c.size)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b[:c.written], full[:c.written]) {
				t.Errorf("first %d bytes differ from the full result", c.written)
			}
			if rest := b[c.written:]; !bytes.Equal(rest, bytes.Repeat([]byte{sentinel}, len(rest))) {
				t.Errorf("wrote past %d bytes: % x", c.written, rest)
			}
		})
	}
}

// TestInfoFault checks that a return_pointer INFO cannot write to is
// EFAULT after the query's own checks, except for UQ_FW_AREAS, whose copy
// result the kernel discards.
//
// Reference: amdgpu_info_ioctl() (copy_to_user() ? -EFAULT : 0; the
// UQ_FW_AREAS case returns 0).
func TestInfoFault(t *testing.T) {
	_, f := infoOpen(t, Config{})
	const argAddr, outAddr = 0x10000, 0x20000
	var sb usermem.Sandbox
	arg := make([]byte, uapi.SizeOfInfo)
	if err := sb.Map(argAddr, arg); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		query uint32
		arg   uapi.Marshallable
		want  error
	}{
		{"ACCEL_WORKING", uapi.AMDGPU_INFO_ACCEL_WORKING, nil, errno.EFAULT},
		{"DEV_INFO", uapi.AMDGPU_INFO_DEV_INFO, nil, errno.EFAULT},
		{"MEMORY", uapi.AMDGPU_INFO_MEMORY, nil, errno.EFAULT},
		{"HW_IP_INFO", uapi.AMDGPU_INFO_HW_IP_INFO, hwIP(0, 0), errno.EFAULT},
		{"HW_IP_COUNT absent: EINVAL first", uapi.AMDGPU_INFO_HW_IP_COUNT, hwIP(uapi.AMDGPU_HW_IP_VCN_DEC, 0), errno.EINVAL},
		{"FW bad instance: EINVAL first", uapi.AMDGPU_INFO_FW_VERSION, fw(4, 1, 0), errno.EINVAL},
		{"READ_MMR_REG count 0", uapi.AMDGPU_INFO_READ_MMR_REG, mmr(0x263e, 0, allInstances), nil},
		{"UQ_FW_AREAS ignores the fault", uapi.AMDGPU_INFO_UQ_FW_AREAS, hwIP(0, 0), nil},
		{"GPUVM_FAULT", uapi.AMDGPU_INFO_GPUVM_FAULT, nil, errno.EFAULT},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := uapi.Info{ReturnPointer: outAddr, ReturnSize: 64, Query: c.query}
			if c.arg != nil {
				req.SetArg(c.arg)
			}
			req.MarshalBytes(arg)
			err := f.IoctlIO(&sb, uapi.DRM_IOCTL_AMDGPU_INFO, argAddr)
			if c.want == nil {
				if err != nil {
					t.Fatalf("err %v, want success", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
	t.Run("argument unmapped", func(t *testing.T) {
		if err := f.IoctlIO(&sb, uapi.DRM_IOCTL_AMDGPU_INFO, outAddr); !errors.Is(err, errno.EFAULT) {
			t.Fatalf("err %v, want EFAULT", err)
		}
	})
}

// TestInfoSensorNoDPM checks that without DPM every sensor query is ENOENT,
// before the sensor type is looked at.
//
// Reference: amdgpu_info_ioctl() SENSOR case ("if (!adev->pm.dpm_enabled)
// return -ENOENT").
func TestInfoSensorNoDPM(t *testing.T) {
	dev, f := infoOpen(t, Config{})
	dev.prof.DPM = false
	for _, typ := range []uint32{0, uapi.AMDGPU_INFO_SENSOR_GFX_SCLK, 0x99} {
		if _, err := queryInfo(t, f, uapi.AMDGPU_INFO_SENSOR, &uapi.InfoSensorArg{Type: typ}, 4); !errors.Is(err, errno.ENOENT) {
			t.Errorf("sensor %d: err %v, want ENOENT", typ, err)
		}
	}
}

// TestInfoTimestamp checks that TIMESTAMP counts gpu_counter_freq kHz
// ticks of the device clock.
//
// Reference: amdgpu_gfx_get_gpu_clock_counter() via amdgpu_info_ioctl().
func TestInfoTimestamp(t *testing.T) {
	dev, f := infoOpen(t, Config{})
	read := func() uint64 {
		b, err := queryInfo(t, f, uapi.AMDGPU_INFO_TIMESTAMP, nil, 8)
		if err != nil {
			t.Fatal(err)
		}
		return binary.LittleEndian.Uint64(b)
	}
	if got := read(); got != 0 {
		t.Errorf("at 0 ns: %d ticks", got)
	}
	dev.Clock().RunUntil(1_500_000_000)
	freq := uint64(dev.Profile().DevInfo.GPUCounterFreq) // kHz
	if got, want := read(), 1_500_000_000*freq/1_000_000; got != want {
		t.Errorf("at 1.5 s: %d ticks, want %d", got, want)
	}
	if got := gpuClockCounter(1<<63-1, ^uint32(0)); got != ^uint64(0) {
		t.Errorf("overflow: %d", got)
	}
}

// TestInfoUsageZero checks that the usage counters are zero and the
// usable sizes follow the kernel's formulas while no buffer object exists.
//
// Reference: amdgpu_info_ioctl() VRAM_GTT and MEMORY cases.
func TestInfoUsageZero(t *testing.T) {
	for _, name := range profile.Names() {
		t.Run(name, func(t *testing.T) {
			dev, f := infoOpen(t, Config{Profile: name})
			p := dev.Profile()
			b, err := queryInfo(t, f, uapi.AMDGPU_INFO_MEMORY, nil, uapi.SizeOfMemoryInfo)
			if err != nil {
				t.Fatal(err)
			}
			var got uapi.MemoryInfo
			got.UnmarshalBytes(b)
			vram := p.VRAMSize - 8<<20
			vis := min(p.VisibleVRAMSize, vram)
			want := uapi.MemoryInfo{
				VRAM:              uapi.HeapInfo{TotalHeapSize: p.VRAMSize, UsableHeapSize: vram, MaxAllocation: vram * 3 / 4},
				CPUAccessibleVRAM: uapi.HeapInfo{TotalHeapSize: p.VisibleVRAMSize, UsableHeapSize: vis, MaxAllocation: vis * 3 / 4},
				GTT:               uapi.HeapInfo{TotalHeapSize: p.GTTSize, UsableHeapSize: p.GTTSize, MaxAllocation: p.GTTSize * 3 / 4},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("MEMORY (-want +got):\n%s", diff)
			}
			b, err = queryInfo(t, f, uapi.AMDGPU_INFO_VRAM_GTT, nil, uapi.SizeOfInfoVRAMGTT)
			if err != nil {
				t.Fatal(err)
			}
			var vg uapi.InfoVRAMGTT
			vg.UnmarshalBytes(b)
			if diff := cmp.Diff(uapi.InfoVRAMGTT{VRAMSize: vram, VRAMCPUAccessibleSize: vis, GTTSize: p.GTTSize}, vg); diff != "" {
				t.Errorf("VRAM_GTT (-want +got):\n%s", diff)
			}
			for _, q := range []uint32{uapi.AMDGPU_INFO_VRAM_USAGE, uapi.AMDGPU_INFO_VIS_VRAM_USAGE, uapi.AMDGPU_INFO_GTT_USAGE,
				uapi.AMDGPU_INFO_NUM_BYTES_MOVED, uapi.AMDGPU_INFO_NUM_EVICTIONS, uapi.AMDGPU_INFO_NUM_VRAM_CPU_PAGE_FAULTS} {
				b, err := queryInfo(t, f, q, nil, 8)
				if err != nil || binary.LittleEndian.Uint64(b) != 0 {
					t.Errorf("query %#x: %x, %v; want 0", q, b, err)
				}
			}
		})
	}
}

// TestInfoConcurrent issues INFO from several goroutines on one file (run
// with -race).
func TestInfoConcurrent(t *testing.T) {
	_, f := infoOpen(t, Config{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				q := []uint32{uapi.AMDGPU_INFO_DEV_INFO, uapi.AMDGPU_INFO_MEMORY, uapi.AMDGPU_INFO_TIMESTAMP}[i%3]
				if _, err := queryInfo(t, f, q, nil, 512); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestInfoDataDriven prints INFO answers for the scripted queries of
// testdata/info.txt, one profile per block. Regenerate with -rewrite and
// review the diff.
//
//	info profile=NAME query=QUERY [arg=U32,U32,…] [size=N]
//
// QUERY is the AMDGPU_INFO_ suffix (DEV_INFO, HW_IP_INFO, …); arg fills the
// request's union with u32s; size is return_size (default: the result
// size). The output decodes the result, or names the errno.
func TestInfoDataDriven(t *testing.T) {
	devs := map[string]*File{}
	datadriven.RunTest(t, "testdata/info.txt", func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd != "info" {
			t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
		}
		var name, qname string
		d.ScanArgs(t, "profile", &name)
		d.ScanArgs(t, "query", &qname)
		q, ok := infoQueryIDs[qname]
		if !ok {
			t.Fatalf("%s: unknown query %q", d.Pos, qname)
		}
		f := devs[name]
		if f == nil {
			_, f = infoOpen(t, Config{Profile: name})
			devs[name] = f
		}
		var u [4]uint32
		if d.HasArg("arg") {
			var args []string
			for _, a := range d.CmdArgs {
				if a.Key == "arg" {
					args = a.Vals
				}
			}
			for i, s := range args {
				v, err := strconv.ParseUint(s, 0, 32)
				if err != nil || i >= len(u) {
					t.Fatalf("%s: bad arg %q", d.Pos, s)
				}
				u[i] = uint32(v)
			}
		}
		var req uapi.Info
		req.Query = q
		for i, v := range u {
			binary.LittleEndian.PutUint32(req.Union[4*i:], v)
		}
		size := uint32(4096)
		if d.HasArg("size") {
			d.ScanArgs(t, "size", &size)
		}
		req.ReturnSize = size
		buf := make([]byte, size)
		if err := infoIoctl(f, &req, buf); err != nil {
			var e syscall.Errno
			if errors.As(err, &e) {
				return "error: " + errnoName(e) + "\n"
			}
			t.Fatalf("%s: %v", d.Pos, err)
		}
		return decodeInfo(q, u[0], buf)
	})
}

var infoQueryIDs = map[string]uint32{
	"ACCEL_WORKING": uapi.AMDGPU_INFO_ACCEL_WORKING, "CRTC_FROM_ID": uapi.AMDGPU_INFO_CRTC_FROM_ID,
	"HW_IP_INFO": uapi.AMDGPU_INFO_HW_IP_INFO, "HW_IP_COUNT": uapi.AMDGPU_INFO_HW_IP_COUNT,
	"TIMESTAMP": uapi.AMDGPU_INFO_TIMESTAMP, "FW_VERSION": uapi.AMDGPU_INFO_FW_VERSION,
	"NUM_BYTES_MOVED": uapi.AMDGPU_INFO_NUM_BYTES_MOVED, "VRAM_USAGE": uapi.AMDGPU_INFO_VRAM_USAGE,
	"GTT_USAGE": uapi.AMDGPU_INFO_GTT_USAGE, "GDS_CONFIG": uapi.AMDGPU_INFO_GDS_CONFIG,
	"VRAM_GTT": uapi.AMDGPU_INFO_VRAM_GTT, "READ_MMR_REG": uapi.AMDGPU_INFO_READ_MMR_REG,
	"DEV_INFO": uapi.AMDGPU_INFO_DEV_INFO, "VIS_VRAM_USAGE": uapi.AMDGPU_INFO_VIS_VRAM_USAGE,
	"NUM_EVICTIONS": uapi.AMDGPU_INFO_NUM_EVICTIONS, "MEMORY": uapi.AMDGPU_INFO_MEMORY,
	"VCE_CLOCK_TABLE": uapi.AMDGPU_INFO_VCE_CLOCK_TABLE, "VBIOS": uapi.AMDGPU_INFO_VBIOS,
	"NUM_HANDLES": uapi.AMDGPU_INFO_NUM_HANDLES, "SENSOR": uapi.AMDGPU_INFO_SENSOR,
	"NUM_VRAM_CPU_PAGE_FAULTS": uapi.AMDGPU_INFO_NUM_VRAM_CPU_PAGE_FAULTS,
	"VRAM_LOST_COUNTER":        uapi.AMDGPU_INFO_VRAM_LOST_COUNTER,
	"RAS_ENABLED_FEATURES":     uapi.AMDGPU_INFO_RAS_ENABLED_FEATURES, "VIDEO_CAPS": uapi.AMDGPU_INFO_VIDEO_CAPS,
	"MAX_IBS": uapi.AMDGPU_INFO_MAX_IBS, "GPUVM_FAULT": uapi.AMDGPU_INFO_GPUVM_FAULT,
	"UQ_FW_AREAS": uapi.AMDGPU_INFO_UQ_FW_AREAS,
}

func errnoName(e syscall.Errno) string {
	for _, c := range []struct {
		e    syscall.Errno
		name string
	}{
		{errno.EINVAL, "EINVAL"}, {errno.EFAULT, "EFAULT"}, {errno.ENOENT, "ENOENT"},
		{errno.ENODATA, "ENODATA"}, {errno.EOPNOTSUPP, "EOPNOTSUPP"}, {errno.EACCES, "EACCES"},
	} {
		if e == c.e {
			return c.name
		}
	}
	return fmt.Sprintf("errno %d", int(e))
}

// decodeInfo prints a result: struct results field by field, scalar and
// array results as numbers. Only the bytes of the result's own size are
// decoded. sub is the first u32 of the request's union (the VBIOS type, the
// UQ_FW_AREAS IP), which selects the result's layout.
func decodeInfo(q, sub uint32, b []byte) string {
	var m uapi.Marshallable
	switch q {
	case uapi.AMDGPU_INFO_HW_IP_INFO:
		m = &uapi.InfoHWIP{}
	case uapi.AMDGPU_INFO_FW_VERSION:
		m = &uapi.InfoFirmware{}
	case uapi.AMDGPU_INFO_GDS_CONFIG:
		m = &uapi.InfoGDS{}
	case uapi.AMDGPU_INFO_VRAM_GTT:
		m = &uapi.InfoVRAMGTT{}
	case uapi.AMDGPU_INFO_MEMORY:
		m = &uapi.MemoryInfo{}
	case uapi.AMDGPU_INFO_DEV_INFO:
		m = &uapi.InfoDevice{}
	case uapi.AMDGPU_INFO_VCE_CLOCK_TABLE:
		m = &uapi.InfoVCEClockTable{}
	case uapi.AMDGPU_INFO_GPUVM_FAULT:
		m = &uapi.InfoGPUVMFault{}
	case uapi.AMDGPU_INFO_UQ_FW_AREAS:
		switch sub {
		case uapi.AMDGPU_HW_IP_GFX:
			m = &uapi.InfoUQMetadataGfx{}
		case uapi.AMDGPU_HW_IP_COMPUTE:
			m = &uapi.InfoUQMetadataCompute{}
		default:
			m = &uapi.InfoUQMetadataSDMA{}
		}
	case uapi.AMDGPU_INFO_TIMESTAMP, uapi.AMDGPU_INFO_NUM_BYTES_MOVED, uapi.AMDGPU_INFO_VRAM_USAGE,
		uapi.AMDGPU_INFO_GTT_USAGE, uapi.AMDGPU_INFO_VIS_VRAM_USAGE, uapi.AMDGPU_INFO_NUM_EVICTIONS,
		uapi.AMDGPU_INFO_NUM_VRAM_CPU_PAGE_FAULTS:
		return fmt.Sprintf("%d\n", binary.LittleEndian.Uint64(pad(b, 8)))
	case uapi.AMDGPU_INFO_MAX_IBS:
		return u32s(pad(b, 4*uapi.AMDGPU_HW_IP_NUM))
	case uapi.AMDGPU_INFO_VBIOS:
		if sub == uapi.AMDGPU_INFO_VBIOS_INFO {
			m = &uapi.InfoVbios{}
			break
		}
		return fmt.Sprintf("%d\n", binary.LittleEndian.Uint32(pad(b, 4)))
	case uapi.AMDGPU_INFO_READ_MMR_REG:
		return u32s(b)
	default:
		return fmt.Sprintf("%d\n", binary.LittleEndian.Uint32(pad(b, 4)))
	}
	m.UnmarshalBytes(pad(b, m.SizeBytes()))
	var sb strings.Builder
	printFields(&sb, "", reflect.ValueOf(m).Elem())
	return sb.String()
}

// pad returns b zero-extended or cut to n bytes.
func pad(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}

func u32s(b []byte) string {
	var parts []string
	for i := 0; i+4 <= len(b); i += 4 {
		parts = append(parts, fmt.Sprintf("%#x", binary.LittleEndian.Uint32(b[i:])))
	}
	if len(parts) > 16 {
		parts = parts[:16]
	}
	return strings.Join(parts, " ") + "\n"
}

// hexField reports whether a field reads better in hex.
func hexField(name string) bool {
	for _, s := range []string{"Mask", "Flags", "VA", "Address", "Bitmap", "Discovery", "DeviceID", "Rev", "Rings", "Addr", "Status", "Hub"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

func printFields(sb *strings.Builder, prefix string, v reflect.Value) {
	typ := v.Type()
	names := make([]int, 0, typ.NumField())
	for i := range typ.NumField() {
		if typ.Field(i).Name != "_" {
			names = append(names, i)
		}
	}
	sort.SliceStable(names, func(a, b int) bool { return names[a] < names[b] })
	for _, i := range names {
		fv, name := v.Field(i), prefix+typ.Field(i).Name
		switch fv.Kind() {
		case reflect.Struct:
			printFields(sb, name+".", fv)
		case reflect.Array:
			var parts []string
			flat(fv, &parts, hexField(name))
			fmt.Fprintf(sb, "%s: %s\n", name, strings.Join(parts, " "))
		default:
			if hexField(name) {
				fmt.Fprintf(sb, "%s: %#x\n", name, fv.Uint())
			} else {
				fmt.Fprintf(sb, "%s: %d\n", name, fv.Uint())
			}
		}
	}
}

func flat(v reflect.Value, parts *[]string, hex bool) {
	if v.Kind() == reflect.Array {
		if v.Type().Elem().Kind() == reflect.Struct {
			for i := range v.Len() {
				*parts = append(*parts, fmt.Sprintf("%+v", v.Index(i).Interface()))
			}
			return
		}
		for i := range v.Len() {
			flat(v.Index(i), parts, hex)
		}
		return
	}
	if hex {
		*parts = append(*parts, fmt.Sprintf("%#x", v.Uint()))
	} else {
		*parts = append(*parts, fmt.Sprintf("%d", v.Uint()))
	}
}
