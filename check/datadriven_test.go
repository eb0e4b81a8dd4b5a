package check

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestScripts runs testdata/*.txt: scenarios written as checker events,
// whose output is the text (and JSON) report. Regenerate with -rewrite and
// review the diff.
//
// Commands (names are script-local):
//
//	cpu name=t1                                    CPU thread
//	alloc id=1 [gen=1] size=N                      AllocCreate
//	release id=1 [gen=1] free=F:S                  AllocRelease by GEM_CLOSE #S on file F
//	job name=j ring=r [file=F ctx=C thread=t label=L] [deps=(j0,s1)] [kdeps=(...)]
//	                                               Submit (if thread) + JobStart
//	end name=j                                     JobEnd
//	access agent=j|t alloc=1 [gen=G] off=O len=N [write] [va=V] [map=F:S] [tlb] [label=L]
//	signal name=s thread=t [at=F:S]                FenceSignal from a thread
//	wait thread=t fences=(j,s)                     CPUWait
//	fault agent=j va=V len=N vmid=I reason=notmapped|pte|unmapped [map=F:S]
//	forced job=j fence=f ns=N [free=F:S]           ForcedWait
//	stall job=j fence=f ns=N                       ImplicitStall
//	reports                                        text of all reports, and the summary
//	json                                           JSON lines
func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var now int64
		c := New(Options{Now: func() int64 { return now }})
		agents := map[string]*Agent{}
		fences := map[string]FenceKey{}
		rings := map[string]uint64{} // last seqno
		fctxs := map[string]uint64{} // fence context
		ioctls := map[uint32]uint64{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			now += 10
			str := func(k string) string {
				var s string
				d.MaybeScanArgs(t, k, &s)
				return s
			}
			num := func(k string, def uint64) uint64 {
				s := str(k)
				if s == "" {
					return def
				}
				x, err := strconv.ParseUint(s, 0, 64)
				if err != nil {
					d.Fatalf(t, "%s: %v", k, err)
				}
				return x
			}
			agent := func(k string) *Agent {
				a := agents[str(k)]
				if a == nil {
					d.Fatalf(t, "unknown agent %q", str(k))
				}
				return a
			}
			fenceList := func(k string) []FenceKey {
				var out []FenceKey
				if arg, ok := d.Arg(k); ok {
					for _, v := range arg.Vals {
						f, ok := fences[v]
						if !ok {
							d.Fatalf(t, "unknown fence %q", v)
						}
						out = append(out, f)
					}
				}
				return out
			}
			ioctl := func(k, name string) *Origin {
				s := str(k)
				if s == "" {
					return nil
				}
				var f uint32
				var seq uint64
				if _, err := fmt.Sscanf(s, "%d:%d", &f, &seq); err != nil {
					d.Fatalf(t, "%s=%q: %v", k, s, err)
				}
				return &Origin{File: f, IoctlSeq: seq, Ioctl: name}
			}
			switch d.Cmd {
			case "cpu":
				agents[str("name")] = c.CPU(str("name"))
			case "alloc":
				c.AllocCreate(AllocID(num("id", 0)), num("gen", 1), num("size", 0))
			case "release":
				o := ioctl("free", "GEM_CLOSE")
				if o == nil {
					o = &Origin{}
				}
				c.AllocRelease(AllocID(num("id", 0)), num("gen", 1), *o)
			case "job":
				ring := str("ring")
				if _, ok := fctxs[ring]; !ok {
					fctxs[ring] = uint64(10 + len(fctxs))
				}
				fctx := fctxs[ring]
				rings[ring]++
				file := uint32(num("file", 1))
				ioctls[file]++
				info := JobInfo{
					Ring:  c.Ring(ring),
					Fence: FenceKey{fctx, rings[ring]},
					Origin: Origin{File: file, IoctlSeq: ioctls[file], Ioctl: "CS",
						Context: uint32(num("ctx", 1)), Label: str("label")},
					Deps: fenceList("deps"), KernelDeps: fenceList("kdeps"),
				}
				if th := str("thread"); th != "" {
					info.Submit = c.Submit(agent("thread"))
				}
				j := c.JobStart(info)
				agents[str("name")] = j
				fences[str("name")] = info.Fence
			case "end":
				c.JobEnd(agent("name"))
			case "access":
				c.Access(Access{
					Agent: agent("agent"), Alloc: AllocID(num("alloc", 0)), Gen: num("gen", 1),
					Off: num("off", 0), Len: num("len", 0), Write: d.HasArg("write"),
					VA: num("va", 0), Mapping: ioctl("map", "GEM_VA"), TLB: d.HasArg("tlb"),
					Label: str("label"),
				})
			case "signal":
				k := FenceKey{1000, uint64(len(fences) + 1)}
				o := ioctl("at", "SYNCOBJ_SIGNAL")
				if o == nil {
					o = &Origin{}
				}
				c.FenceSignal(k, agent("thread"), *o)
				fences[str("name")] = k
			case "wait":
				c.CPUWait(agent("thread"), fenceList("fences")...)
			case "fault":
				reasons := map[string]FaultReason{"notmapped": FaultNotMapped, "pte": FaultPTEPending, "unmapped": FaultUnmapped}
				c.Fault(FaultEvent{Agent: agent("agent"), VA: num("va", 0), Len: num("len", 0),
					VMID: uint32(num("vmid", 0)), Reason: reasons[str("reason")], Mapping: ioctl("map", "GEM_VA")})
			case "forced", "stall":
				ev := WaitEvent{Job: agent("job"), Fence: fenceList("fence")[0], NS: int64(num("ns", 0)),
					Cause: ioctl("free", "GEM_CLOSE")}
				if d.Cmd == "forced" {
					c.ForcedWait(ev)
				} else {
					c.ImplicitStall(ev)
				}
			case "reports":
				var b bytes.Buffer
				if err := WriteText(&b, c.Reports()); err != nil {
					t.Fatal(err)
				}
				return b.String()
			case "json":
				var b bytes.Buffer
				if err := WriteJSON(&b, c.Reports()); err != nil {
					t.Fatal(err)
				}
				return b.String()
			default:
				d.Fatalf(t, "unknown command %q", d.Cmd)
			}
			if s := c.Stats(); s.UnknownFences+s.EarlyFences+s.Misuse != 0 {
				return strings.TrimSpace(fmt.Sprintf("stats: %+v", s))
			}
			return ""
		})
	})
}
