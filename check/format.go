package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Prefix starts every text report's headline.
const Prefix = "==vmemu-check=="

// Text returns r as human text, sanitizer style: a headline, both sides,
// the ioctls involved, a hint and the key. It ends in a newline.
func (r *Report) Text() string {
	var b strings.Builder
	sev := "WARNING"
	if r.Kind == KindUseAfterFree || r.Kind == KindFault {
		sev = "ERROR"
	}
	fmt.Fprintf(&b, "%s %s: %s", Prefix, sev, r.Kind)
	if r.Hazard != HazardNone {
		fmt.Fprintf(&b, " (%s)", r.Hazard)
	}
	if r.ModelBug {
		b.WriteString(" (vmemu kernel-model bug)")
	}
	switch r.Kind {
	case KindRace, KindCPUUnsync, KindUseAfterFree:
		fmt.Fprintf(&b, " on alloc %d gen %d bytes %s", r.Alloc, r.Gen, r.Phys)
	case KindFault:
		fmt.Fprintf(&b, " at va %s on VMID %d", r.VA, r.VMID)
	case KindForcedWait, KindImplicitStall:
		fmt.Fprintf(&b, ": %d ns waiting for fence %s", r.CostNS, r.Fence)
	}
	fmt.Fprintf(&b, " at t=%dns", r.Time)
	if r.Reason != "" {
		fmt.Fprintf(&b, ": %s", r.Reason)
	}
	b.WriteString("\n")

	switch r.Kind {
	case KindForcedWait, KindImplicitStall:
		fmt.Fprintf(&b, "  waiting %s\n", describeAgent(&r.Access))
	default:
		fmt.Fprintf(&b, "  %s\n", describeSide(&r.Access, ""))
	}
	if r.Prior != nil {
		fmt.Fprintf(&b, "  %s\n", describeSide(r.Prior, "previous "))
		if r.InFlight {
			b.WriteString("    (still running at the CPU access)\n")
		}
	}
	if r.FenceOrigin != nil {
		fmt.Fprintf(&b, "  fence %s from %s\n", r.Fence, describeOrigin(r.FenceOrigin))
	}
	if r.Cause != nil {
		verb := "caused by"
		switch r.Kind {
		case KindUseAfterFree:
			verb = "released by"
		case KindFault:
			verb = "mapping state from"
		case KindForcedWait:
			verb = "forced by the free in"
		}
		fmt.Fprintf(&b, "  %s %s\n", verb, describeIoctl(r.Cause))
	}
	fmt.Fprintf(&b, "  hint: %s\n", r.hint())
	fmt.Fprintf(&b, "  key %s, seen %d time", r.Key, r.Count)
	if r.Count != 1 {
		b.WriteString("s")
	}
	b.WriteString("\n")
	return b.String()
}

func describeSide(s *Side, prefix string) string {
	var b strings.Builder
	op := "read"
	if s.Write {
		op = "write"
	}
	n := s.Phys.Len
	if n == 0 {
		n = s.VA.Len
	}
	fmt.Fprintf(&b, "%s%s of %#x bytes", prefix, op, n)
	if s.VA.Len != 0 {
		fmt.Fprintf(&b, " at va %s", s.VA)
	}
	if s.TLB {
		b.WriteString(" (cached TLB translation)")
	}
	fmt.Fprintf(&b, " by %s", describeAgent(s))
	if s.Label != "" {
		fmt.Fprintf(&b, " [%s]", s.Label)
	}
	fmt.Fprintf(&b, " at t=%dns", s.Time)
	if s.Mapping != nil {
		fmt.Fprintf(&b, "\n    through the mapping of %s", describeIoctl(s.Mapping))
	}
	return b.String()
}

func describeAgent(s *Side) string {
	if s.CPU {
		return fmt.Sprintf("CPU thread %q", s.Thread)
	}
	return "job " + describeOrigin(&s.Job)
}

// describeOrigin names a job's submission: "ctx 1 ring gfx seqno 5 (fence
// 12:5), submitted by CS ioctl #12 on file 1".
func describeOrigin(o *Origin) string {
	var parts []string
	if o.Context != 0 {
		parts = append(parts, fmt.Sprintf("ctx %d", o.Context))
	}
	if o.Ring != "" {
		parts = append(parts, "ring "+o.Ring)
	}
	if o.Seqno != 0 {
		parts = append(parts, fmt.Sprintf("seqno %d", o.Seqno))
	}
	s := strings.Join(parts, " ")
	if o.FenceContext != 0 || o.Seqno != 0 {
		s += fmt.Sprintf(" (fence %d:%d)", o.FenceContext, o.Seqno)
	}
	if o.IoctlSeq != 0 || o.Ioctl != "" {
		s += ", submitted by " + describeIoctl(o)
	}
	if o.Label != "" {
		s += " [" + o.Label + "]"
	}
	return strings.TrimPrefix(s, " ")
}

// describeIoctl names an ioctl: "GEM_VA ioctl #3 on file 1".
func describeIoctl(o *Origin) string {
	name := o.Ioctl
	if name == "" {
		name = "ioctl"
	} else {
		name += " ioctl"
	}
	s := fmt.Sprintf("%s #%d on file %d", name, o.IoctlSeq, o.File)
	if o.Label != "" && (o.Ring == "" && o.Seqno == 0) {
		s += " [" + o.Label + "]"
	}
	return s
}

func (r *Report) hint() string {
	switch r.Kind {
	case KindRace:
		if r.Access.CPU {
			return "no syncobj signal and wait orders the two CPU threads' accesses"
		}
		switch r.Hazard {
		case RAW:
			return "the read is not ordered after the write: make the reading submission depend on the writer's fence (CS dependency or syncobj), or wait for it on the CPU before submitting"
		case WAR:
			return "the write may overtake the earlier read: make the writing submission depend on the reader's fence"
		default:
			return "the order of the two writes is undefined: make the later submission depend on the earlier one's fence"
		}
	case KindCPUUnsync:
		if r.Access.CPU {
			return "wait for the GPU work before touching the memory from the CPU (GEM_WAIT_IDLE, syncobj WAIT, WAIT_CS, or a DMA_BUF_IOCTL_SYNC START/END bracket)"
		}
		return "the CPU accessed the memory after submitting work that uses it, without sync: finish CPU access before the CS ioctl, or make the job wait for a fence the CPU signals"
	case KindUseAfterFree:
		return "this is a bug in vmemu's kernel model, not in the client: the GPU must never reach memory released for reuse (DESIGN.md §2); please report it with this trace"
	case KindFault:
		switch r.Reason {
		case FaultPTEPending.String():
			return "wait for the map's vm_timeline_syncobj_out point, or add it as a CS dependency (E1)"
		case FaultUnmapped.String():
			return "the job used the range after its unmap executed: order the unmap after the last job using the range"
		}
		return "the job used a VA range nothing mapped"
	case KindForcedWait:
		return "wait for the unmap fence (and the work using the BO) before freeing it, or the next CS of the VM waits for it (E4)"
	case KindImplicitStall:
		return "the kernel made this job wait for a fence it did not declare; if the wait is not needed, use explicit sync (AMDGPU_VM_EXPLICIT_SYNC)"
	}
	return ""
}

// JSON returns r as one JSON line (see the package doc for the schema),
// newline-terminated.
func (r *Report) JSON() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("check: marshal report: %v", err)) // plain data: cannot fail
	}
	return append(b, '\n')
}

// TextReporter writes each new report as text to W. Err keeps the first
// write error.
type TextReporter struct {
	W   io.Writer
	Err error
}

// Report implements Reporter.Report.
func (t *TextReporter) Report(r Report) {
	if _, err := io.WriteString(t.W, r.Text()); err != nil && t.Err == nil {
		t.Err = err
	}
}

// JSONReporter writes each new report as a JSON line to W. Err keeps the
// first write error.
type JSONReporter struct {
	W   io.Writer
	Err error
}

// Report implements Reporter.Report.
func (j *JSONReporter) Report(r Report) {
	if _, err := j.W.Write(r.JSON()); err != nil && j.Err == nil {
		j.Err = err
	}
}

// WriteText writes reports as text followed by a summary line; use it at
// the end of a run, when counts are final.
func WriteText(w io.Writer, rs []Report) error {
	var b strings.Builder
	ps := make([]*Report, len(rs))
	for i := range rs {
		b.WriteString(rs[i].Text())
		ps[i] = &rs[i]
	}
	fmt.Fprintf(&b, "%s SUMMARY: %s\n", Prefix, summarize(ps))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes reports as JSON lines, one object per report.
func WriteJSON(w io.Writer, rs []Report) error {
	for i := range rs {
		if _, err := w.Write(rs[i].JSON()); err != nil {
			return err
		}
	}
	return nil
}
