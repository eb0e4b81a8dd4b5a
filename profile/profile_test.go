package profile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vmemu/vmemu/uapi"
)

func TestProfilesValid(t *testing.T) {
	names := Names()
	if len(names) < 3 {
		t.Fatalf("profiles %v: want at least 3", names)
	}
	var apu, dgpu int
	for _, n := range names {
		p, err := Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
		if p.Name != n || p.Source == "" || p.DRM.Major != 3 {
			t.Errorf("%s: name %q, source %q, DRM %d", n, p.Name, p.Source, p.DRM.Major)
		}
		if p.APU {
			apu++
		} else {
			dgpu++
		}
		if p.Registers[regGBAddrConfig] == 0 {
			t.Errorf("%s: no GB_ADDR_CONFIG", n)
		}
		for _, k := range []uint32{uapi.AMDGPU_INFO_FW_GFX_ME, uapi.AMDGPU_INFO_FW_GFX_PFP, uapi.AMDGPU_INFO_FW_GFX_MEC} {
			if p.Firmware[FWKey{Type: k}].Ver == 0 {
				t.Errorf("%s: firmware %#x missing (Mesa requires it)", n, k)
			}
		}
	}
	if apu == 0 || dgpu == 0 {
		t.Errorf("want both APU and discrete profiles, have %d/%d", apu, dgpu)
	}
}

// TestDefault pins the default profile: navi31 (RX 7900 XTX), family
// AMDGPU_FAMILY_GC_11_0_0, KMS 3.65.0, EXPLICIT on.
func TestDefault(t *testing.T) {
	p, err := Lookup("")
	if err != nil {
		t.Fatal(err)
	}
	got := []any{p.Name, p.Family, p.DeviceID, p.DRM, p.Explicit, p.APU}
	want := []any{"navi31", uint32(uapi.AMDGPU_FAMILY_GC_11_0_0), uint16(0x744c),
		Version{Major: 3, Minor: 65, Patch: 0, Name: "amdgpu", Date: "0", Desc: "AMD GPU"}, true, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	if _, err := Lookup("no-such-gpu"); err == nil {
		t.Error("Lookup of an unknown name succeeded")
	}
}

func TestLookupDeepCopy(t *testing.T) {
	p, _ := Lookup("navi31")
	p.Firmware[FWKey{Type: uapi.AMDGPU_INFO_FW_GFX_ME}] = uapi.InfoFirmware{}
	p.Registers[regGBAddrConfig] = 0
	p.Sensors[uapi.AMDGPU_INFO_SENSOR_GFX_SCLK] = 0
	p.UQGfx.ShadowSize = 0
	p.IP[uapi.AMDGPU_HW_IP_GFX].Rings = 0
	q, _ := Lookup("navi31")
	if q.Firmware[FWKey{Type: uapi.AMDGPU_INFO_FW_GFX_ME}].Ver == 0 || q.Registers[regGBAddrConfig] == 0 ||
		q.Sensors[uapi.AMDGPU_INFO_SENSOR_GFX_SCLK] == 0 || q.UQGfx.ShadowSize == 0 ||
		q.IP[uapi.AMDGPU_HW_IP_GFX].Rings == 0 {
		t.Error("changing a looked-up profile changed the registry")
	}
}

// TestVALayout pins the DEV_INFO VA windows of a 48-bit VM on the 3.65
// kernel: bottom 64 KiB reserved, top 4 MiB + 64 KiB reserved (trap, seq64,
// CSA), split at the GMC hole.
//
// Reference: amdgpu_info_ioctl() DEV_INFO case; AMDGPU_VA_RESERVED_* in
// amdgpu_vm.h.
func TestVALayout(t *testing.T) {
	for _, n := range Names() {
		p, _ := Lookup(n)
		want := VALayout{
			Offset: 0x10000, Max: 0x800000000000,
			HighOffset: 0xffff800000000000, HighMax: 0xffffffffffbf0000,
			Alignment: 4096, FragmentSize: 2 << 20, GARTPageSize: 4096,
		}
		if diff := cmp.Diff(want, p.VALayout()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", n, diff)
		}
		d := p.DeviceInfo()
		if d.VirtualAddressOffset != want.Offset || d.HighVAMax != want.HighMax {
			t.Errorf("%s: DeviceInfo VA %#x/%#x", n, d.VirtualAddressOffset, d.HighVAMax)
		}
	}
}

// TestDeviceInfoFlags checks the ids_flags the kernel derives: FUSION for
// APUs, GANG_SUBMIT on bare metal, plus the part's own flags.
//
// Reference: amdgpu_info_ioctl() DEV_INFO case.
func TestDeviceInfoFlags(t *testing.T) {
	for _, c := range []struct {
		name string
		want uint64
	}{
		{"navi31", uapi.AMDGPU_IDS_FLAGS_GANG_SUBMIT},
		{"navi21", uapi.AMDGPU_IDS_FLAGS_GANG_SUBMIT},
		{"gfx1150", uapi.AMDGPU_IDS_FLAGS_GANG_SUBMIT | uapi.AMDGPU_IDS_FLAGS_FUSION | uapi.AMDGPU_IDS_FLAGS_CONFORMANT_TRUNC_COORD},
	} {
		p, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.DeviceInfo().IDsFlags; got != c.want {
			t.Errorf("%s: ids_flags %#x, want %#x", c.name, got, c.want)
		}
	}
}

func TestRegisterRejects(t *testing.T) {
	mustPanic := func(name string, p *Profile) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: Register did not panic", name)
			}
		}()
		Register(p)
	}
	good, _ := Lookup("navi31")
	mustPanic("duplicate", &good)

	bad := good
	bad.Name = "test-bad-rings"
	bad.GfxRings = 2
	mustPanic("rings", &bad)

	bad = good
	bad.Name = "test-bad-devinfo"
	bad.DevInfo.DeviceID = 1
	mustPanic("devinfo identity", &bad)

	bad = good
	bad.Name = "test-bad-flags"
	bad.IDsFlags = uapi.AMDGPU_IDS_FLAGS_FUSION
	mustPanic("derived flag", &bad)

	for _, n := range Names() {
		if strings.HasPrefix(n, "test-") {
			t.Errorf("rejected profile %s was registered", n)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, n := range Names() {
		p, _ := Lookup(n)
		var b strings.Builder
		if err := p.Describe(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{
			"profile      " + n + "\n",
			"drm          amdgpu 3.65.0 (AMD GPU)\n",
			"explicit     true",
			"ip gfx ",
			"firmware     me ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", n, want, out)
			}
		}
	}
}
