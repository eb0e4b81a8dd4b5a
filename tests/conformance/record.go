package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/internal/hostfd"
	"github.com/vmemu/vmemu/uapi"
)

// OutEnv names the environment variable that turns the result recorder
// on: the path of a file to which every test that uses NewTarget appends
// one JSON line, a Record. The same suite run on vmemu and on a real
// kernel gives two files that tests/kernel compares test by test.
const OutEnv = "VMEMU_CONFORMANCE_OUT"

// Record is the outcome of one test on one target: what it observed of
// the device, in a form that does not depend on the target (no descriptor
// numbers, addresses or absolute times).
type Record struct {
	// Test is the full test name (TestSyncobjWait/signal).
	Test string `json:"test"`
	// Target is "vmemu" or "drm" (a real device).
	Target string `json:"target"`
	// Fences is the target's fence source: sw_sync (vmemu, or a kernel
	// with CONFIG_SW_SYNC) or vgem.
	Fences string `json:"fences,omitempty"`
	// Outcome is pass, fail or skip; Reason is the skip's reason.
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	// Ops are the ioctls the test goroutine issued on the target's DRM
	// files and on the descriptors it handed out, in completion order:
	// the request, its deterministic inputs, the result (0 or -ERRNO) and
	// every value the device returned (handles, first_signaled, timeline
	// points, capability values, sync_file status).
	Ops []string `json:"ops,omitempty"`
	// Async are the distinct ops issued from Target.After callbacks,
	// sorted: their number depends on timing (the *-interrupted event
	// streams), so only which ones happened, with which results, is
	// compared.
	Async []string `json:"async,omitempty"`
}

// recorder appends Records to the OutEnv file.
type recorder struct {
	mu   sync.Mutex
	f    *os.File
	recs map[string]*Record // by test name, while the test runs
}

var (
	recOnce sync.Once
	rec     *recorder
)

// theRecorder returns the recorder, nil when OutEnv is unset.
func theRecorder() *recorder {
	recOnce.Do(func() {
		path := os.Getenv(OutEnv)
		if path == "" {
			return
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_CLOEXEC, 0o644)
		if err != nil {
			panic(fmt.Sprintf("%s=%s: %v", OutEnv, path, err))
		}
		rec = &recorder{f: f, recs: map[string]*Record{}}
	})
	return rec
}

// begin starts the record of t, written when t ends.
func (r *recorder) begin(t testing.TB, target string) *Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	if x, ok := r.recs[t.Name()]; ok {
		return x
	}
	x := &Record{Test: t.Name(), Target: target}
	r.recs[t.Name()] = x
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.recs, t.Name())
		switch {
		case t.Skipped():
			x.Outcome = "skip"
		case t.Failed():
			x.Outcome = "fail"
		default:
			x.Outcome = "pass"
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		err := enc.Encode(x)
		if err == nil {
			_, err = r.f.WriteString(b.String())
		}
		if err != nil {
			t.Errorf("record %s: %v", t.Name(), err)
		}
	})
	return x
}

// skipf skips t, keeping the reason in its record.
func skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if r := theRecorder(); r != nil {
		r.mu.Lock()
		if x, ok := r.recs[t.Name()]; ok && x.Reason == "" {
			x.Reason = msg
		}
		r.mu.Unlock()
	}
	t.Skip(msg)
}

// recordingTarget wraps a Target and logs its ioctls into a Record.
type recordingTarget struct {
	Target
	r    *recorder
	x    *Record
	real bool

	mu sync.Mutex
	// depth counts the After callbacks running (vmemu: they run nested
	// inside the test goroutine's waiting ioctl). Protected by mu.
	depth int
	// asyncTids are the threads running After callbacks (a real device:
	// they run on timer goroutines, locked to their thread). Protected
	// by mu.
	asyncTids map[int]int
	async     map[string]bool // protected by mu
}

// unwrap returns the target under any recorder.
func unwrap(tg Target) Target {
	if w, ok := tg.(*recordingTarget); ok {
		return w.Target
	}
	return tg
}

func newRecordingTarget(r *recorder, x *Record, tg Target) *recordingTarget {
	_, real := tg.(*DRMTarget)
	x.Target = "vmemu"
	x.Fences = "sw_sync"
	if d, ok := tg.(*DRMTarget); ok {
		x.Target = "drm"
		x.Fences = d.FenceSource()
	}
	return &recordingTarget{Target: tg, r: r, x: x, real: real, asyncTids: map[int]int{}, async: map[string]bool{}}
}

func (w *recordingTarget) After(ns int64, fn func()) {
	w.Target.After(ns, func() {
		if w.real {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		tid := w.enter()
		defer w.exit(tid)
		fn()
	})
}

func (w *recordingTarget) enter() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.real {
		tid := hostfd.Gettid()
		w.asyncTids[tid]++
		return tid
	}
	w.depth++
	return 0
}

func (w *recordingTarget) exit(tid int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.real {
		if w.asyncTids[tid]--; w.asyncTids[tid] == 0 {
			delete(w.asyncTids, tid)
		}
		return
	}
	w.depth--
}

// isAsync reports whether the calling goroutine is running an After
// callback.
func (w *recordingTarget) isAsync() bool {
	if w.real {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := hostfd.Gettid()
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.asyncTids[tid] > 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.depth > 0
}

func (w *recordingTarget) log(req uintptr, arg unsafe.Pointer, err error, async bool) {
	s := describe(req, arg, err)
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	if async {
		if !w.async[s] {
			w.async[s] = true
			w.x.Async = append(w.x.Async, s)
			slices.Sort(w.x.Async)
		}
		return
	}
	w.x.Ops = append(w.x.Ops, s)
}

func (w *recordingTarget) Ioctl(req uintptr, arg unsafe.Pointer) error {
	async := w.isAsync()
	err := w.Target.Ioctl(req, arg)
	w.log(req, arg, err, async)
	return err
}

func (w *recordingTarget) FDIoctl(fd int, req uintptr, arg unsafe.Pointer) error {
	async := w.isAsync()
	err := w.Target.FDIoctl(fd, req, arg)
	w.log(req, arg, err, async)
	return err
}

func (w *recordingTarget) OpenFile() (File, error) {
	f, err := w.Target.OpenFile()
	if err != nil {
		return nil, err
	}
	return &recordingFile{File: f, w: w}, nil
}

// NewDmaBuf forwards to the wrapped target, skipping if it has no
// dma-buf exporter.
func (w *recordingTarget) NewDmaBuf(t testing.TB) (int, func(bool) func()) {
	t.Helper()
	b, ok := w.Target.(DmaBufTarget)
	if !ok {
		skipf(t, "%s has no dma-buf exporter (vmemu: PRIME_HANDLE_TO_FD and GEM_CREATE are unimplemented)", w.Name())
	}
	return b.NewDmaBuf(t)
}

type recordingFile struct {
	File
	w *recordingTarget
}

func (f *recordingFile) Ioctl(req uintptr, arg unsafe.Pointer) error {
	async := f.w.isAsync()
	err := f.File.Ioctl(req, arg)
	f.w.log(req, arg, err, async)
	return err
}

// --- describing an ioctl ---

var reqNames = map[uintptr]string{
	uintptr(uapi.DRM_IOCTL_GET_CAP):                  "GET_CAP",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_CREATE):           "SYNCOBJ_CREATE",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_DESTROY):          "SYNCOBJ_DESTROY",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD):     "SYNCOBJ_HANDLE_TO_FD",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1):  "SYNCOBJ_HANDLE_TO_FD_V1",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE):     "SYNCOBJ_FD_TO_HANDLE",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1):  "SYNCOBJ_FD_TO_HANDLE_V1",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_WAIT):             "SYNCOBJ_WAIT",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_WAIT_V1):          "SYNCOBJ_WAIT_V1",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT):    "SYNCOBJ_TIMELINE_WAIT",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT_V1): "SYNCOBJ_TIMELINE_WAIT_V1",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_RESET):            "SYNCOBJ_RESET",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_SIGNAL):           "SYNCOBJ_SIGNAL",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL):  "SYNCOBJ_TIMELINE_SIGNAL",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_QUERY):            "SYNCOBJ_QUERY",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_TRANSFER):         "SYNCOBJ_TRANSFER",
	uintptr(uapi.DRM_IOCTL_SYNCOBJ_EVENTFD):          "SYNCOBJ_EVENTFD",
	uintptr(uapi.DMA_BUF_IOCTL_SYNC):                 "DMA_BUF_IOCTL_SYNC",
	uintptr(uapi.DMA_BUF_IOCTL_EXPORT_SYNC_FILE):     "DMA_BUF_IOCTL_EXPORT_SYNC_FILE",
	uintptr(uapi.DMA_BUF_IOCTL_IMPORT_SYNC_FILE):     "DMA_BUF_IOCTL_IMPORT_SYNC_FILE",
	uintptr(uapi.SYNC_IOC_MERGE):                     "SYNC_IOC_MERGE",
	uintptr(uapi.SYNC_IOC_FILE_INFO):                 "SYNC_IOC_FILE_INFO",
}

// result formats an ioctl's result: 0 or -ERRNO.
func result(err error) string {
	if err == nil {
		return "0"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		if n, ok := errnoNames[e]; ok {
			return "-" + n
		}
		return fmt.Sprintf("-%d", int(e))
	}
	return "!" + err.Error()
}

// maxArray bounds the arrays describe reads back.
const maxArray = 64

// u32Array and u64Array read n elements at p, which the kernel (or vmemu)
// has just read or written successfully.
func u32Array(p uapi.P64, n uint32) string {
	if p == 0 || n == 0 || n > maxArray {
		return "-"
	}
	return fmt.Sprint(unsafe.Slice((*uint32)(ptrOf(p)), n))
}

func u64Array(p uapi.P64, n uint32) string {
	if p == 0 || n == 0 || n > maxArray {
		return "-"
	}
	return fmt.Sprint(unsafe.Slice((*uint64)(ptrOf(p)), n))
}

// ptrOf turns an address the test itself put into an argument struct (a
// pinned Go slice, still referenced by the caller) back into a pointer.
func ptrOf(p uapi.P64) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// errnoNames are the errnos the suite expects, by name.
var errnoNames = map[syscall.Errno]string{
	syscall.EINVAL: "EINVAL", syscall.ENOENT: "ENOENT", syscall.ETIME: "ETIME",
	syscall.EBADF: "EBADF", syscall.EFAULT: "EFAULT", syscall.EAGAIN: "EAGAIN",
	syscall.EOPNOTSUPP: "EOPNOTSUPP", syscall.EINTR: "EINTR", syscall.ENOTTY: "ENOTTY",
	syscall.EBUSY: "EBUSY", syscall.ETIMEDOUT: "ETIMEDOUT", syscall.EPERM: "EPERM",
	syscall.EACCES: "EACCES", syscall.ENOMEM: "ENOMEM", syscall.EMFILE: "EMFILE",
}

// handleStr renders a handle; the truncated user addresses IGT's
// invalid-transfer-* subtests put into handle fields differ from run to
// run, so handles that large print as "addr".
func handleStr(h uint32) string {
	if h >= 1<<24 && h != 0xdeadbeef {
		return "addr"
	}
	return fmt.Sprint(h)
}

// timeoutClass reduces an absolute timeout to what is the same on every
// target: 0, in the past (negative, e.g. UINT64_MAX as s64) or a time.
func timeoutClass(ns int64) string {
	switch {
	case ns == 0:
		return "0"
	case ns < 0:
		return "neg"
	}
	return "abs"
}

// describe renders one ioctl: name, inputs, "->", result and outputs.
// Arrays are read back only when the call succeeded or timed out, that is
// when the device has read them.
func describe(req uintptr, arg unsafe.Pointer, err error) string {
	name, ok := reqNames[req]
	if !ok {
		name = fmt.Sprintf("ioctl(%#x)", req)
	}
	res := result(err)
	readable := err == nil || errors.Is(err, syscall.ETIME)
	var in, out string
	switch req {
	case uintptr(uapi.DRM_IOCTL_GET_CAP):
		a := (*uapi.GetCap)(arg)
		in = fmt.Sprintf("cap=%#x", a.Capability)
		if err == nil {
			out = fmt.Sprintf("value=%d", a.Value)
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_CREATE):
		a := (*uapi.SyncobjCreate)(arg)
		in = fmt.Sprintf("flags=%#x", a.Flags)
		if err == nil {
			out = fmt.Sprintf("handle=%d", a.Handle)
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_DESTROY):
		a := (*uapi.SyncobjDestroy)(arg)
		in = fmt.Sprintf("handle=%d pad=%#x", a.Handle, a.Pad)
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD_V1), uintptr(uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1):
		a := (*uapi.SyncobjHandle_V1)(arg)
		in = fmt.Sprintf("handle=%d flags=%#x pad=%#x", a.Handle, a.Flags, a.Pad)
		if err == nil && req == uintptr(uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE_V1) {
			out = fmt.Sprintf("handle=%d", a.Handle)
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD), uintptr(uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE):
		a := (*uapi.SyncobjHandle)(arg)
		in = fmt.Sprintf("handle=%d flags=%#x pad=%#x point=%d", a.Handle, a.Flags, a.Pad, a.Point)
		if err == nil && req == uintptr(uapi.DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE) {
			out = fmt.Sprintf("handle=%d", a.Handle)
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_WAIT_V1), uintptr(uapi.DRM_IOCTL_SYNCOBJ_WAIT):
		a := (*uapi.SyncobjWait_V1)(arg) // the current struct extends it
		in = fmt.Sprintf("count=%d flags=%#x timeout=%s", a.CountHandles, a.Flags, timeoutClass(a.TimeoutNsec))
		if readable {
			in += " handles=" + u32Array(a.Handles, a.CountHandles)
		}
		if err == nil && a.Flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL == 0 {
			out = fmt.Sprintf("first=%d", a.FirstSignaled)
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT_V1), uintptr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT):
		a := (*uapi.SyncobjTimelineWait_V1)(arg)
		in = fmt.Sprintf("count=%d flags=%#x timeout=%s", a.CountHandles, a.Flags, timeoutClass(a.TimeoutNsec))
		if readable {
			in += " handles=" + u32Array(a.Handles, a.CountHandles) + " points=" + u64Array(a.Points, a.CountHandles)
		}
		if err == nil && a.Flags&uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL == 0 {
			out = fmt.Sprintf("first=%d", a.FirstSignaled)
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_RESET), uintptr(uapi.DRM_IOCTL_SYNCOBJ_SIGNAL):
		a := (*uapi.SyncobjArray)(arg)
		in = fmt.Sprintf("count=%d pad=%#x", a.CountHandles, a.Pad)
		if readable {
			in += " handles=" + u32Array(a.Handles, a.CountHandles)
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL), uintptr(uapi.DRM_IOCTL_SYNCOBJ_QUERY):
		a := (*uapi.SyncobjTimelineArray)(arg)
		in = fmt.Sprintf("count=%d flags=%#x", a.CountHandles, a.Flags)
		if readable {
			in += " handles=" + u32Array(a.Handles, a.CountHandles)
			if req == uintptr(uapi.DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL) {
				in += " points=" + u64Array(a.Points, a.CountHandles)
			} else {
				out = "points=" + u64Array(a.Points, a.CountHandles)
			}
		}
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_TRANSFER):
		a := (*uapi.SyncobjTransfer)(arg)
		in = fmt.Sprintf("src=%s@%d dst=%s@%d flags=%#x pad=%#x", handleStr(a.SrcHandle), a.SrcPoint, handleStr(a.DstHandle), a.DstPoint, a.Flags, a.Pad)
	case uintptr(uapi.DRM_IOCTL_SYNCOBJ_EVENTFD):
		a := (*uapi.SyncobjEventfd)(arg)
		in = fmt.Sprintf("handle=%d flags=%#x point=%d pad=%#x", a.Handle, a.Flags, a.Point, a.Pad)
	case uintptr(uapi.DMA_BUF_IOCTL_SYNC):
		in = fmt.Sprintf("flags=%#x", (*uapi.DmaBufSync)(arg).Flags)
	case uintptr(uapi.DMA_BUF_IOCTL_EXPORT_SYNC_FILE):
		in = fmt.Sprintf("flags=%#x", (*uapi.DmaBufExportSyncFile)(arg).Flags)
	case uintptr(uapi.DMA_BUF_IOCTL_IMPORT_SYNC_FILE):
		in = fmt.Sprintf("flags=%#x", (*uapi.DmaBufImportSyncFile)(arg).Flags)
	case uintptr(uapi.SYNC_IOC_MERGE):
		a := (*uapi.SyncMergeData)(arg)
		in = fmt.Sprintf("flags=%#x pad=%#x", a.Flags, a.Pad)
	case uintptr(uapi.SYNC_IOC_FILE_INFO):
		a := (*uapi.SyncFileInfo)(arg)
		if err == nil {
			out = fmt.Sprintf("status=%d num_fences=%d", a.Status, a.NumFences)
		}
	}
	var b strings.Builder
	b.WriteString(name)
	if in != "" {
		b.WriteString(" " + in)
	}
	b.WriteString(" -> " + res)
	if out != "" {
		b.WriteString(" " + out)
	}
	return b.String()
}
