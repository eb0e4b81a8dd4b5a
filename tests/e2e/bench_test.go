package e2e

import (
	"fmt"
	"testing"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/bench"
	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/check"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

// frame is a frame-like workload: 300 CS alternating between the gfx and
// compute rings, each annotated with 10 reads and 5 writes over 32 shared
// buffers (4,500 accesses), each ordered after the one before it by a
// syncobj (a correctly synchronised frame: the checker's common path), and
// a CPU wait at the end of the frame.
type frame struct {
	c    *client.Client
	ctx  uint32
	bos  []uint32
	ibs  [2]uint32
	dws  [2]uint32
	sync [2]uint32
	jobs int
}

const (
	frameBOs  = 32
	frameBOVA = 0x1000000
	frameBOSz = 64 << 10
	frameIBVA = 0x8000000
	frameJobs = 300
)

func newFrame(b *testing.B, chk *check.Checker) *frame {
	dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true, Check: chk})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dev.Close() })
	c, _ := client.New(dev)
	fr := &frame{c: c, jobs: frameJobs}
	fr.ctx, _ = c.CreateContext(false)
	for i := 0; i < frameBOs; i++ {
		h, err := c.CreateBO(frameBOSz, gtt, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Map(h, frameBOVA+uint64(i)*frameBOSz, frameBOSz, 0); err != nil {
			b.Fatal(err)
		}
		fr.bos = append(fr.bos, h)
	}
	// Two IBs (gfx, compute), each with annotations over the buffers.
	for k := 0; k < 2; k++ {
		var p pkt.PM4
		p.Gfx = pkt.GFX11
		for r := 0; r < 10; r++ {
			p.Reads(frameBOVA+uint64((r*3+k)%frameBOs)*frameBOSz, 4096)
		}
		for w := 0; w < 5; w++ {
			p.Writes(frameBOVA+uint64((w*7+k*11)%frameBOs)*frameBOSz+uint64(k)*8192, 4096)
		}
		p.Busy(20000)
		dw := p.Dwords()
		h, _ := c.CreateBO(4096, gtt, 0)
		c.WriteIB(h, 0, dw)
		c.Map(h, frameIBVA+uint64(k)*4096, 4096, 0)
		fr.ibs[k], fr.dws[k] = h, uint32(len(dw))
	}
	fr.sync[0], _ = c.CreateSyncobj(true)
	fr.sync[1], _ = c.CreateSyncobj(true)
	return fr
}

func (fr *frame) run(b *testing.B) {
	list := append(append([]uint32(nil), fr.bos...), fr.ibs[0], fr.ibs[1])
	var last uint64
	for j := 0; j < fr.jobs; j++ {
		k := j % 2
		s := client.Submission{Ctx: fr.ctx, BOs: list,
			IBs: []client.IBRef{{VA: frameIBVA + uint64(k)*4096, Dwords: fr.dws[k], IP: uint32(k)}}}
		s.WaitSyncobjs = []uint32{fr.sync[1-k]}
		s.SignalSyncobjs = []uint32{fr.sync[k]}
		seq, err := fr.c.Submit(s)
		if err != nil {
			b.Fatal(err)
		}
		last = seq
	}
	if ok, err := fr.c.WaitCS(fr.ctx, uapi.AMDGPU_HW_IP_COMPUTE, 0, last, forever); err != nil || !ok {
		b.Fatal(err)
	}
	// Let the last gfx job finish too: the next frame's first job waits on it.
	fr.c.WaitSyncobjs(1<<63-1, fr.sync[0])
}

// BenchmarkFrameChecker runs the frame with the hazard checker off and
// on, in the same run; the ratio is issue 6's overhead figure.
func BenchmarkFrameChecker(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			var chk *check.Checker
			if on {
				chk = check.New(check.Options{MaxReports: 1000})
			}
			fr := newFrame(b, chk)
			b.ResetTimer()
			for b.Loop() {
				fr.run(b)
			}
			if chk != nil {
				if n := len(chk.Reports()); n != 0 {
					b.Fatalf("the synchronised frame produced %d hazard reports", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frameJobs), "ns/job")
		})
	}
}

// BenchmarkCSBOList is issue 5's figure: one CS ioctl with a BO list of n
// BOs under the implicit and the explicit policy, and a baseline doing only
// the same handle look-ups and reservation-object fence adds (package
// bench; `vmemu bench` runs the same workloads).
func BenchmarkCSBOList(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("n=%d/implicit", n), bench.CSBOList(n, false))
		b.Run(fmt.Sprintf("n=%d/explicit", n), bench.CSBOList(n, true))
		b.Run(fmt.Sprintf("n=%d/baseline", n), bench.CSBOListBaseline(n))
	}
}

var _ = bo.PageSize
