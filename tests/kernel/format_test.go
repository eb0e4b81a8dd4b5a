package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmemu/vmemu/gpu"
)

const sampleFormat = `name: drm_sched_job_wait_dep
ID: 1499
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:__data_loc char[] name;	offset:8;	size:4;	signed:0;
	field:uint64_t id;	offset:16;	size:8;	signed:0;
	field:struct dma_fence * fence;	offset:24;	size:8;	signed:0;
	field:uint64_t ctx;	offset:32;	size:8;	signed:0;
	field:unsigned seqno;	offset:40;	size:4;	signed:0;
	field:char comm[16];	offset:44;	size:16;	signed:0;

print fmt: "job ring=%s, id=%llu, depends fence=%p, context=%llu, seq=%u", __get_str(name), REC->id, REC->fence, REC->ctx, REC->seqno
`

func TestParseFormat(t *testing.T) {
	f, err := ParseFormat("gpu_scheduler", sampleFormat)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "drm_sched_job_wait_dep" || f.ID != 1499 || len(f.Common) != 4 || len(f.Fields) != 6 {
		t.Fatalf("parsed %+v", f)
	}
	want := []Field{
		{Decl: "__data_loc char[] name", Type: "__data_loc char[]", Name: "name", Offset: 8, Size: 4, DataLoc: true},
		{Decl: "uint64_t id", Type: "uint64_t", Name: "id", Offset: 16, Size: 8},
		{Decl: "struct dma_fence * fence", Type: "struct dma_fence *", Name: "fence", Offset: 24, Size: 8},
		{Decl: "uint64_t ctx", Type: "uint64_t", Name: "ctx", Offset: 32, Size: 8},
		{Decl: "unsigned seqno", Type: "unsigned", Name: "seqno", Offset: 40, Size: 4},
		{Decl: "char comm[16]", Type: "char[16]", Name: "comm", Offset: 44, Size: 16, ArrayLen: 16},
	}
	for i, w := range want {
		if f.Fields[i] != w {
			t.Errorf("field %d = %+v, want %+v", i, f.Fields[i], w)
		}
	}
	if f.Common[3].Name != "common_pid" || !f.Common[3].Signed {
		t.Errorf("common_pid = %+v", f.Common[3])
	}
	if !strings.HasPrefix(f.PrintFmt, `"job ring=%s`) {
		t.Errorf("print fmt = %q", f.PrintFmt)
	}
	if _, err := ParseFormat("x", "ID: 1\n"); err == nil {
		t.Error("a format without a name parsed")
	}
}

// capturedKernels returns the fixture directories testdata/formats/<release>.
func capturedKernels(t *testing.T) map[string]map[string]*Format {
	t.Helper()
	dirs, err := filepath.Glob("testdata/formats/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no tracefs format fixtures in testdata/formats (run .ci/kernel.sh --update): %v", err)
	}
	ks := map[string]map[string]*Format{}
	for _, d := range dirs {
		fs, err := LoadFormats(d)
		if err != nil {
			t.Fatal(err)
		}
		ks[filepath.Base(d)] = fs
	}
	return ks
}

// TestFormatFixtures checks that both captured kernels (6.1 and 6.12)
// are there and hold the event systems the harness saves.
func TestFormatFixtures(t *testing.T) {
	ks := capturedKernels(t)
	for _, series := range []string{"6.1.", "6.12."} {
		found := false
		for rel, fs := range ks {
			if !strings.HasPrefix(rel, series) {
				continue
			}
			found = true
			counts := map[string]int{}
			for key := range fs {
				sys, _, _ := strings.Cut(key, ":")
				counts[sys]++
			}
			// spec/feasibility.md §4: 24 amdgpu, 4 gpu_scheduler, 7 dma_fence events.
			for sys, n := range map[string]int{"amdgpu": 24, "gpu_scheduler": 4, "dma_fence": 7} {
				if counts[sys] != n {
					t.Errorf("%s: %d %s events, want %d", rel, counts[sys], sys, n)
				}
			}
		}
		if !found {
			t.Errorf("no format fixture of a %sx kernel", series)
		}
	}
}

// eventField maps one field of vmemu's gpu.Event onto a tracepoint field.
type eventField struct {
	event, field string // what vmemu carries
	tp, tpField  string // "system:event", field name
	types        []string
}

// eventSchema is how gpu.Event's fields map onto the 6.1–6.16
// tracepoints. docs/kernel-harness.md has the same table.
var eventSchema = []eventField{
	{"Queued/Run", "RingName", "gpu_scheduler:drm_sched_job", "name", []string{"__data_loc char[]"}},
	{"Queued/Run", "RingName", "gpu_scheduler:drm_run_job", "name", []string{"__data_loc char[]"}},
	{"WaitDep", "RingName", "gpu_scheduler:drm_sched_job_wait_dep", "name", []string{"__data_loc char[]"}},
	{"Queued", "ID", "gpu_scheduler:drm_sched_job", "id", []string{"uint64_t", "u64"}},
	{"Run", "ID", "gpu_scheduler:drm_run_job", "id", []string{"uint64_t", "u64"}},
	{"WaitDep", "ID", "gpu_scheduler:drm_sched_job_wait_dep", "id", []string{"uint64_t", "u64"}},
	{"Queued", "JobCount", "gpu_scheduler:drm_sched_job", "job_count", []string{"u32"}},
	{"Run", "JobCount", "gpu_scheduler:drm_run_job", "job_count", []string{"u32"}},
	{"Queued", "HWJobCount", "gpu_scheduler:drm_sched_job", "hw_job_count", []string{"int"}},
	{"Run", "HWJobCount", "gpu_scheduler:drm_run_job", "hw_job_count", []string{"int"}},
	{"WaitDep", "Dep.Context", "gpu_scheduler:drm_sched_job_wait_dep", "ctx", []string{"uint64_t", "u64"}},
	{"WaitDep", "Dep.Seqno", "gpu_scheduler:drm_sched_job_wait_dep", "seqno", []string{"unsigned", "unsigned int"}},
	// The scheduler events carry the finished fence only as a pointer
	// before 6.17; its (context, seqno) is in amdgpu's events, joined on
	// the job id.
	{"Queued", "Fence (pointer)", "gpu_scheduler:drm_sched_job", "fence", []string{"struct dma_fence *"}},
	{"Done", "Fence (pointer)", "gpu_scheduler:drm_sched_process_job", "fence", []string{"struct dma_fence *"}},
	{"Run", "ID", "amdgpu:amdgpu_sched_run_job", "sched_job_id", []string{"uint64_t", "u64"}},
	{"Run", "Fence.Context", "amdgpu:amdgpu_sched_run_job", "context", []string{"unsigned int", "u32"}},
	{"Run", "Fence.Seqno", "amdgpu:amdgpu_sched_run_job", "seqno", []string{"unsigned int", "u32"}},
	{"Run", "RingName", "amdgpu:amdgpu_sched_run_job", "ring", []string{"__data_loc char[]"}},
	{"Queued", "ID", "amdgpu:amdgpu_cs_ioctl", "sched_job_id", []string{"uint64_t", "u64"}},
	{"Queued", "Fence.Context", "amdgpu:amdgpu_cs_ioctl", "context", []string{"unsigned int", "u32"}},
	{"Queued", "Fence.Seqno", "amdgpu:amdgpu_cs_ioctl", "seqno", []string{"unsigned int", "u32"}},
	// The hardware fence and a job's completion are seen by dma_fence.
	{"Run/Done", "HW.Context", "dma_fence:dma_fence_signaled", "context", []string{"unsigned int", "u64"}},
	{"Run/Done", "HW.Seqno", "dma_fence:dma_fence_signaled", "seqno", []string{"unsigned int", "u64"}},
}

// TestEventSchemaAgainstKernels checks vmemu's event schema against the
// captured format files: every tracepoint name gpu.EventKind.String()
// claims for 6.1–6.16 exists in gpu_scheduler on both captured kernels,
// the 6.17 names (Tracepoint617) do not exist there yet, and every field
// vmemu's events carry maps onto a real field of the declared type.
func TestEventSchemaAgainstKernels(t *testing.T) {
	ks := capturedKernels(t)
	for rel, fs := range ks {
		for k := gpu.EventQueued; k <= gpu.EventTimeout; k++ {
			if k == gpu.EventTimeout {
				// amdgpu_job_timedout() only prints "ring %s timeout":
				// no tracepoint, as gpu/event.go says.
				if _, ok := fs["amdgpu:"+k.String()]; ok {
					t.Errorf("%s: %s exists as a tracepoint; gpu/event.go says it does not", rel, k)
				}
				continue
			}
			if _, ok := fs["gpu_scheduler:"+k.String()]; !ok {
				t.Errorf("%s: vmemu's %d names tracepoint gpu_scheduler:%s, which this kernel lacks", rel, k, k)
			}
			if n := k.Tracepoint617(); n != k.String() {
				if _, ok := fs["gpu_scheduler:"+n]; ok {
					t.Errorf("%s: the 6.17+ name %s already exists", rel, n)
				}
			}
		}
		for _, m := range eventSchema {
			f, ok := fs[m.tp]
			if !ok {
				t.Errorf("%s: no tracepoint %s (for Event.%s)", rel, m.tp, m.field)
				continue
			}
			fd, ok := f.Field(m.tpField)
			if !ok {
				t.Errorf("%s: %s has no field %q (for Event.%s)", rel, m.tp, m.tpField, m.field)
				continue
			}
			okType := false
			for _, ty := range m.types {
				okType = okType || fd.Type == ty
			}
			if !okType {
				t.Errorf("%s: %s.%s has type %q, want one of %q (for Event.%s)", rel, m.tp, m.tpField, fd.Type, m.types, m.field)
			}
		}
	}
}

// TestFormatFixturesIdenticalLayouts records the spec's observation that
// the gpu_scheduler and amdgpu layouts are the same on 6.1 and 6.12
// (names, offsets, sizes; only signedness may differ), so one decoder
// serves both.
func TestFormatFixturesIdenticalLayouts(t *testing.T) {
	ks := capturedKernels(t)
	var a, b map[string]*Format
	var ra, rb string
	for rel, fs := range ks {
		switch {
		case strings.HasPrefix(rel, "6.1."):
			a, ra = fs, rel
		case strings.HasPrefix(rel, "6.12."):
			b, rb = fs, rel
		}
	}
	if a == nil || b == nil {
		t.Skip("needs both a 6.1 and a 6.12 fixture")
	}
	for key, fa := range a {
		if !strings.HasPrefix(key, "gpu_scheduler:") && !strings.HasPrefix(key, "amdgpu:") {
			continue
		}
		fb, ok := b[key]
		if !ok {
			t.Errorf("%s in %s but not %s", key, ra, rb)
			continue
		}
		if len(fa.Fields) != len(fb.Fields) {
			t.Errorf("%s: %d fields on %s, %d on %s", key, len(fa.Fields), ra, len(fb.Fields), rb)
			continue
		}
		for i := range fa.Fields {
			x, y := fa.Fields[i], fb.Fields[i]
			if x.Name != y.Name || x.Offset != y.Offset || x.Size != y.Size {
				t.Errorf("%s field %d: %+v on %s, %+v on %s", key, i, x, ra, y, rb)
			}
		}
	}
}

func TestLoadFormatsErrors(t *testing.T) {
	if _, err := LoadFormats(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("LoadFormats of a missing directory succeeded")
	}
	d := t.TempDir()
	os.MkdirAll(filepath.Join(d, "sys"), 0o755)
	os.WriteFile(filepath.Join(d, "sys", "ev"), []byte("ID: 3\n"), 0o644)
	if _, err := LoadFormats(d); err == nil {
		t.Error("LoadFormats of a broken file succeeded")
	}
}
