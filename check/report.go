package check

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Kind is the kind of a report.
type Kind uint8

const (
	// KindRace is a data race between two GPU jobs or two CPU threads: two
	// accesses to the same bytes of one allocation, at least one a write,
	// not ordered by happens-before. Hazard says RAW, WAR or WAW.
	KindRace Kind = iota + 1
	// KindCPUUnsync is the same race between a CPU thread and a GPU job:
	// the CPU touched memory with GPU work it had no happens-before with
	// (no GEM_WAIT_IDLE / syncobj wait / DMA_BUF_IOCTL_SYNC on that work
	// before the CPU access, or no submission after it). InFlight says
	// whether the GPU job was still running when the CPU accessed.
	KindCPUUnsync
	// KindUseAfterFree is an access to an allocation generation that is no
	// longer live: the backing store was released (and maybe reused). It
	// is always a bug in vmemu's kernel model (ModelBug is set).
	KindUseAfterFree
	// KindFault is a GPU VM fault: the VA was never mapped, its mapping's
	// page-table update had not executed, or it was unmapped already.
	KindFault
	// KindForcedWait is an E4 mandatory wait: a submission waited for a
	// fence (an unmap's, or work on freed memory) because user space freed
	// memory without waiting for it.
	KindForcedWait
	// KindImplicitStall is GPU time a submission spent waiting for a fence
	// it did not ask for (implicit sync on a shared BO, a page-table update
	// of its VM).
	KindImplicitStall
	numKinds
)

var kindNames = [...]string{
	KindRace:          "race",
	KindCPUUnsync:     "cpu-unsync",
	KindUseAfterFree:  "use-after-free",
	KindFault:         "fault",
	KindForcedWait:    "forced-wait",
	KindImplicitStall: "implicit-stall",
}

func (k Kind) String() string {
	if k > 0 && k < numKinds {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for i := KindRace; i < numKinds; i++ {
		if kindNames[i] == string(b) {
			*k = i
			return nil
		}
	}
	return fmt.Errorf("unknown report kind %q", b)
}

// Hazard is the order of the two accesses of a race.
type Hazard uint8

const (
	// HazardNone: the report is not a race.
	HazardNone Hazard = iota
	// RAW: a read of bytes an unordered earlier write wrote.
	RAW
	// WAR: a write of bytes an unordered earlier read read.
	WAR
	// WAW: a write of bytes an unordered earlier write wrote.
	WAW
)

var hazardNames = [...]string{HazardNone: "", RAW: "RAW", WAR: "WAR", WAW: "WAW"}

func (h Hazard) String() string {
	if int(h) < len(hazardNames) {
		return hazardNames[h]
	}
	return "Hazard(" + strconv.Itoa(int(h)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (h Hazard) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hazard) UnmarshalText(b []byte) error {
	for i, n := range hazardNames {
		if n == string(b) {
			*h = Hazard(i)
			return nil
		}
	}
	return fmt.Errorf("unknown hazard %q", b)
}

// Origin names what created a job, a mapping, a fence or a free: an ioctl
// in a client's stream, and for jobs the submission's identity.
type Origin struct {
	File         uint32 `json:"file,omitempty"`      // client (DRM file) number
	IoctlSeq     uint64 `json:"ioctl_seq,omitempty"` // 1-based, in the file's ioctl stream
	Ioctl        string `json:"ioctl,omitempty"`     // "CS", "GEM_VA", "GEM_CLOSE", …
	Context      uint32 `json:"context,omitempty"`   // amdgpu context id
	Ring         string `json:"ring,omitempty"`
	FenceContext uint64 `json:"fence_context,omitempty"`
	Seqno        uint64 `json:"seqno,omitempty"`
	Label        string `json:"label,omitempty"` // free text from the caller
}

// Range is [Start, Start+Len).
type Range struct {
	Start uint64 `json:"start"`
	Len   uint64 `json:"len"`
}

// End is Start+Len.
func (r Range) End() uint64 { return r.Start + r.Len }

func (r Range) String() string { return fmt.Sprintf("[%#x, %#x)", r.Start, r.End()) }

// Side is one access of a report.
type Side struct {
	CPU    bool   `json:"cpu,omitempty"`
	Thread string `json:"thread,omitempty"` // CPU thread name
	// Job is the job's submission (zero for CPU accesses).
	Job   Origin `json:"job,omitzero"`
	Write bool   `json:"write,omitempty"`
	Phys  Range  `json:"phys,omitzero"`   // the conflicting bytes, allocation offsets
	VA    Range  `json:"va,omitzero"`     // the same bytes in the accessor's VA space
	Label string `json:"label,omitempty"` // what executed the access
	// Mapping is the ioctl that created the mapping the access went through
	// (GEM_VA, GEM_MMAP).
	Mapping *Origin `json:"mapping,omitempty"`
	TLB     bool    `json:"tlb,omitempty"` // translated by a cached TLB entry
	Time    int64   `json:"time_ns"`
}

// Report is one hazard. Reports with equal Key are duplicates: the first is
// kept and Count incremented.
type Report struct {
	Kind   Kind   `json:"kind"`
	Hazard Hazard `json:"hazard,omitempty"`
	// Key is a hash of the report's stable parts: kind, hazard, ranges,
	// both sides' identities, fences, causes, reason. Not times, costs,
	// counts or InFlight.
	Key   string `json:"key"`
	Count int    `json:"count"`
	Time  int64  `json:"time_ns"` // emulator clock at the first occurrence
	// Alloc and Gen name the backing-store allocation; Phys the bytes.
	Alloc AllocID `json:"alloc,omitempty"`
	Gen   uint64  `json:"gen,omitempty"`
	Phys  Range   `json:"phys,omitzero"`
	VA    Range   `json:"va,omitzero"`
	VMID  uint32  `json:"vmid,omitempty"`
	// Access is the later access, or the agent of a fault or wait.
	Access Side `json:"access"`
	// Prior is the earlier access of a race.
	Prior *Side `json:"prior,omitempty"`
	// Fence is the fence a forced wait or stall waited for, FenceOrigin
	// what produced it.
	Fence       *FenceKey `json:"fence,omitempty"`
	FenceOrigin *Origin   `json:"fence_origin,omitempty"`
	// Cause is the ioctl behind the report: the free for a forced wait or
	// use-after-free, the map or unmap for a fault.
	Cause    *Origin `json:"cause,omitempty"`
	CostNS   int64   `json:"cost_ns,omitempty"` // GPU time of the first occurrence
	Reason   string  `json:"reason,omitempty"`
	InFlight bool    `json:"in_flight,omitempty"`
	ModelBug bool    `json:"model_bug,omitempty"`
}

// canonical is the report's stable identity: everything but times, costs,
// counts and InFlight.
func (r *Report) canonical() string {
	var b strings.Builder
	w := func(xs ...any) {
		for _, x := range xs {
			fmt.Fprint(&b, x, "|")
		}
	}
	side := func(s *Side) {
		w(s.CPU, s.Thread, s.Job, s.Write, s.Phys, s.VA, s.Label, s.TLB)
		if s.Mapping != nil {
			w(*s.Mapping)
		}
		b.WriteByte(';')
	}
	w(r.Kind, r.Hazard, r.Alloc, r.Gen, r.Phys, r.VA, r.VMID, r.Reason, r.ModelBug)
	side(&r.Access)
	if r.Prior != nil {
		side(r.Prior)
	}
	if r.Fence != nil {
		w(*r.Fence)
	}
	if r.FenceOrigin != nil {
		w(*r.FenceOrigin)
	}
	if r.Cause != nil {
		w(*r.Cause)
	}
	return b.String()
}

func hashKey(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())
}

// emit records r, deduplicating by key, and calls the Reporter on a new
// key.
//
// Preconditions: c.mu held.
func (c *Checker) emit(r *Report) {
	k := r.canonical()
	if old := c.byKey[k]; old != nil {
		old.Count++
		return
	}
	if c.maxReports > 0 && len(c.reports) >= c.maxReports {
		c.stats.Dropped++
		return
	}
	r.Key = hashKey(k)
	r.Count = 1
	c.byKey[k] = r
	c.reports = append(c.reports, r)
	if c.rep != nil {
		c.rep.Report(*r)
	}
}

// Reports returns copies of the unique reports in first-occurrence order,
// with their counts. Safe for concurrent use.
func (c *Checker) Reports() []Report {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Report, len(c.reports))
	for i, r := range c.reports {
		out[i] = *r
	}
	return out
}

// KindSummary counts the reports of one kind.
type KindSummary struct {
	Kind   Kind  `json:"kind"`
	Unique int   `json:"unique"` // distinct keys
	Total  int   `json:"total"`  // occurrences
	CostNS int64 `json:"cost_ns,omitempty"`
}

// Summary counts reports by kind, in Kind order, omitting kinds without
// reports.
type Summary []KindSummary

// Summary returns the counts of the reports so far. Safe for concurrent
// use.
func (c *Checker) Summary() Summary {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return summarize(c.reports)
}

func summarize(rs []*Report) Summary {
	var by [numKinds]KindSummary
	for _, r := range rs {
		k := &by[r.Kind]
		k.Unique++
		k.Total += r.Count
		k.CostNS += r.CostNS
	}
	var s Summary
	for i := KindRace; i < numKinds; i++ {
		if by[i].Unique > 0 {
			by[i].Kind = i
			s = append(s, by[i])
		}
	}
	return s
}

// Total is the number of unique reports.
func (s Summary) Total() int {
	n := 0
	for _, k := range s {
		n += k.Unique
	}
	return n
}

// String is a one-line summary: "2 race (5 total), 1 cpu-unsync (1 total)".
func (s Summary) String() string {
	if len(s) == 0 {
		return "no hazards"
	}
	parts := make([]string, 0, len(s))
	for _, k := range s {
		p := fmt.Sprintf("%d %s (%d total", k.Unique, k.Kind, k.Total)
		if k.CostNS > 0 {
			p += fmt.Sprintf(", %d ns", k.CostNS)
		}
		parts = append(parts, p+")")
	}
	return strings.Join(parts, ", ")
}

// Collector is a Reporter that keeps every report it receives. It is not
// safe for concurrent use apart from the Checker's serialised calls.
type Collector struct{ Reports []Report }

// Report implements Reporter.Report.
func (c *Collector) Report(r Report) { c.Reports = append(c.Reports, r) }
