package syncobj

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestTimelineScripts runs testdata/*.txt: timeline scenarios written as
// ioctl sequences. Regenerate the expected output with -rewrite and review
// the diff. Errnos go to the output, script errors to t.Fatal.
//
// Commands (names are script-local; handles are printed by create):
//
//	create name=a [signaled]             CREATE
//	timeline name=tl                     a sw_sync timeline
//	attach name=a point=P tl=tl value=V  IGT syncobj_attach: fence V of tl at P
//	inc tl=tl [by=N]                     sw_sync_timeline_inc
//	tsignal name=(a,b) points=(P,Q)      TIMELINE_SIGNAL
//	signal name=a / reset name=a         SIGNAL / RESET
//	query name=(a,b) [last]              QUERY [LAST_SUBMITTED]
//	wait name=(a,b) [points=(P,Q)] [flags=(all,submit,available)]
//	     [timeout=0|forever|+Nms] [binary]  TIMELINE_WAIT (WAIT with binary)
//	transfer src=a src-point=P dst=b dst-point=Q [flags=(submit)]
//	destroy name=a                       DESTROY
func TestTimelineScripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		e := newEnv(t)
		handles := map[string]uint32{}
		tls := map[string]*swTimeline{}
		handle := func(d *datadriven.TestData, name string) uint32 {
			h, ok := handles[name]
			if !ok {
				d.Fatalf(t, "unknown syncobj %q", name)
			}
			return h
		}
		names := func(d *datadriven.TestData) []uint32 {
			arg, ok := d.Arg("name")
			if !ok {
				d.Fatalf(t, "missing name")
			}
			var hs []uint32
			for _, v := range arg.Vals {
				hs = append(hs, handle(d, v))
			}
			return hs
		}
		u64s := func(d *datadriven.TestData, key string, n int) []uint64 {
			out := make([]uint64, n)
			if arg, ok := d.Arg(key); ok {
				for i, v := range arg.Vals {
					x, err := strconv.ParseUint(v, 0, 64)
					if err != nil {
						d.Fatalf(t, "%s: %v", key, err)
					}
					out[i] = x
				}
			}
			return out
		}
		flags := func(d *datadriven.TestData) uint32 {
			var f uint32
			if arg, ok := d.Arg("flags"); ok {
				for _, v := range arg.Vals {
					switch v {
					case "all":
						f |= fAll
					case "submit":
						f |= fSubmit
					case "available":
						f |= fAvailable
					default:
						d.Fatalf(t, "unknown flag %q", v)
					}
				}
			}
			return f
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "create":
				var name string
				d.ScanArgs(t, "name", &name)
				var fl uint32
				if d.HasArg("signaled") {
					fl = signaled
				}
				h, err := e.tab.Create(fl)
				if err != nil {
					return errName(err)
				}
				handles[name] = h
				return fmt.Sprintf("handle %d", h)
			case "timeline":
				var name string
				d.ScanArgs(t, "name", &name)
				tls[name] = newSWTimeline(e.d)
				return ""
			case "attach":
				var name, tl string
				var point, value uint64
				d.ScanArgs(t, "name", &name)
				d.ScanArgs(t, "point", &point)
				d.ScanArgs(t, "tl", &tl)
				d.ScanArgs(t, "value", &value)
				e.attach(handle(d, name), point, tls[tl].fence(value))
				return ""
			case "inc":
				var tl string
				by := uint64(1)
				d.ScanArgs(t, "tl", &tl)
				d.MaybeScanArgs(t, "by", &by)
				tls[tl].inc(by)
				return ""
			case "tsignal":
				hs := names(d)
				return errName(e.tsignal(hs, u64s(d, "points", len(hs))))
			case "signal":
				return errName(e.signal(names(d)...))
			case "reset":
				return errName(e.reset(names(d)...))
			case "destroy":
				return errName(e.tab.Destroy(names(d)[0], 0))
			case "query":
				hs := names(d)
				var fl uint32
				if d.HasArg("last") {
					fl = lastSubmit
				}
				pts, err := e.queryFlags(fl, hs...)
				if err != nil {
					return errName(err)
				}
				var b strings.Builder
				arg, _ := d.Arg("name")
				for i, v := range arg.Vals {
					fmt.Fprintf(&b, "%s=%d ", v, pts[i])
				}
				return strings.TrimSpace(b.String())
			case "wait":
				hs := names(d)
				timeout := int64(0)
				if arg, ok := d.Arg("timeout"); ok {
					switch v := arg.SingleVal(t); {
					case v == "forever":
						timeout = forever
					case strings.HasPrefix(v, "+") && strings.HasSuffix(v, "ms"):
						n, err := strconv.ParseInt(v[1:len(v)-2], 10, 64)
						if err != nil {
							d.Fatalf(t, "timeout: %v", err)
						}
						timeout = e.clock.Now() + n*ms
					default:
						n, err := strconv.ParseInt(v, 0, 64)
						if err != nil {
							d.Fatalf(t, "timeout: %v", err)
						}
						timeout = n
					}
				}
				start := e.clock.Now()
				var first uint32
				var err error
				if d.HasArg("binary") {
					first, err = e.wait(hs, flags(d), timeout)
				} else {
					first, err = e.twait(hs, u64s(d, "points", len(hs)), flags(d), timeout)
				}
				out := errName(err)
				if err == nil {
					out += fmt.Sprintf(" first=%d", int32(first))
				}
				if el := e.clock.Now() - start; el != 0 {
					out += fmt.Sprintf(" after=%dms", el/ms)
				}
				return out
			case "transfer":
				var src, dst string
				var sp, dp uint64
				d.ScanArgs(t, "src", &src)
				d.ScanArgs(t, "dst", &dst)
				d.MaybeScanArgs(t, "src-point", &sp)
				d.MaybeScanArgs(t, "dst-point", &dp)
				return errName(e.tab.Transfer(handle(d, src), handle(d, dst), sp, dp, flags(d), 0))
			}
			d.Fatalf(t, "unknown command %q", d.Cmd)
			return ""
		})
	})
}
