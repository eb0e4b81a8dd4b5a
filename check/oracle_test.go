package check

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmemu/vmemu/internal/testseed"
)

// seed returns the test seed (internal/testseed).
func seed(t testing.TB) int64 { return testseed.Get(t, 1) }

// oracle is the naive model: an explicit happens-before graph whose nodes
// carry their full ancestor sets (the transitive closure), and a full
// per-byte access history.
type oracle struct {
	anc [][]bool // anc[n][m]: m happens before or is n
}

// node adds a node after preds and returns it.
func (o *oracle) node(preds ...int) int {
	n := len(o.anc)
	a := make([]bool, n+1)
	a[n] = true
	for _, p := range preds {
		if p < 0 {
			continue
		}
		for m, ok := range o.anc[p] {
			a[m] = a[m] || ok
		}
	}
	o.anc = append(o.anc, a)
	return n
}

func (o *oracle) hb(from, to int) bool { return from < len(o.anc[to]) && o.anc[to][from] }

// gAccess is one generated access.
type gAccess struct {
	node      int
	comp      string // ring or thread: "last read per component"
	cpu       bool
	alloc     int
	gen       uint64
	off, n    uint64
	write     bool
	uaf       bool
	shadowGen uint64 // live generation at the time
}

type gFence struct {
	key   FenceKey
	node  int // producer node, -1 until started/signaled
	ready bool
	job   *gJob
}

type gJob struct {
	ring          int
	submitNode    int
	snap          Snapshot
	deps, kdeps   []int // fence indices
	fence         int
	agent         *Agent
	node, running int
	ended         bool
}

// race is one expected or reported race on one byte.
type race struct {
	Kind       Kind
	Hazard     Hazard
	Cur, Prior int // access indices
	Byte       uint64
}

// prog generates a random program, drives a Checker with it and records
// what the oracle needs.
type prog struct {
	t         *testing.T
	rnd       *rand.Rand
	c         *Checker
	o         oracle
	log       []string
	threads   []*Agent
	tnode     []int // thread's last node
	rings     []RingID
	ringBusy  []*gJob
	ringLast  []int // node of the last job started on the ring
	fences    []*gFence
	pending   []*gJob
	running   []*gJob
	accs      []gAccess
	allocSize uint64
	gens      []uint64
	signals   int
}

func (p *prog) logf(format string, args ...any) { p.log = append(p.log, fmt.Sprintf(format, args...)) }

// threadNode adds a node to thread t's program order, after preds.
func (p *prog) threadNode(t int, preds ...int) int {
	n := p.o.node(append(preds, p.tnode[t])...)
	p.tnode[t] = n
	return n
}

func (p *prog) pickFences(max int, readyOnly bool) []int {
	var out []int
	for range p.rnd.Intn(max + 1) {
		if len(p.fences) == 0 {
			break
		}
		f := p.rnd.Intn(len(p.fences))
		if readyOnly && !p.fences[f].ready {
			continue
		}
		out = append(out, f)
	}
	return out
}

func (p *prog) keys(fs []int) []FenceKey {
	var ks []FenceKey
	for _, f := range fs {
		ks = append(ks, p.fences[f].key)
	}
	return ks
}

func (p *prog) step() {
	switch x := p.rnd.Intn(100); {
	case x < 12: // submit
		t, ring := p.rnd.Intn(len(p.threads)), p.rnd.Intn(len(p.rings))
		j := &gJob{ring: ring, deps: p.pickFences(2, false)}
		if p.rnd.Intn(4) == 0 {
			j.kdeps = p.pickFences(1, false)
		}
		if p.rnd.Intn(5) > 0 {
			j.submitNode = p.threadNode(t)
			j.snap = p.c.Submit(p.threads[t])
		} else {
			j.submitNode = -1 // a kernel job
		}
		j.fence = len(p.fences)
		p.fences = append(p.fences, &gFence{key: FenceKey{uint64(ring + 1), uint64(len(p.fences) + 1)}, node: -1, job: j})
		p.pending = append(p.pending, j)
		p.logf("submit f%d thread=%d ring=%d deps=%v kdeps=%v kernel=%v", j.fence, t, ring, j.deps, j.kdeps, j.submitNode < 0)
	case x < 24: // start a ready job
		for i, j := range p.pending {
			if p.ringBusy[j.ring] != nil {
				continue
			}
			ready := true
			for _, f := range append(slices.Clone(j.deps), j.kdeps...) {
				ready = ready && p.fences[f].ready
			}
			if !ready {
				continue
			}
			p.pending = slices.Delete(p.pending, i, i+1)
			preds := []int{j.submitNode, p.ringLast[j.ring]}
			for _, f := range append(slices.Clone(j.deps), j.kdeps...) {
				preds = append(preds, p.fences[f].node)
			}
			j.node = p.o.node(preds...)
			p.ringLast[j.ring] = j.node
			p.fences[j.fence].node = j.node
			j.agent = p.c.JobStart(JobInfo{Ring: p.rings[j.ring], Fence: p.fences[j.fence].key,
				Submit: j.snap, Deps: p.keys(j.deps), KernelDeps: p.keys(j.kdeps)})
			p.ringBusy[j.ring] = j
			p.running = append(p.running, j)
			p.logf("start f%d", j.fence)
			break
		}
	case x < 32: // end a running job
		if len(p.running) == 0 {
			return
		}
		i := p.rnd.Intn(len(p.running))
		j := p.running[i]
		p.running = slices.Delete(p.running, i, i+1)
		p.ringBusy[j.ring] = nil
		p.fences[j.fence].ready = true
		p.c.JobEnd(j.agent)
		p.logf("end f%d", j.fence)
	case x < 58: // GPU access
		if len(p.running) == 0 {
			return
		}
		j := p.running[p.rnd.Intn(len(p.running))]
		p.access(j.agent, j.node, fmt.Sprint("ring", j.ring))
	case x < 78: // CPU access
		t := p.rnd.Intn(len(p.threads))
		p.access(p.threads[t], p.threadNode(t), fmt.Sprint("thread", t))
	case x < 88: // CPU wait
		t := p.rnd.Intn(len(p.threads))
		fs := p.pickFences(2, true)
		var preds []int
		for _, f := range fs {
			preds = append(preds, p.fences[f].node)
		}
		p.threadNode(t, preds...)
		p.c.CPUWait(p.threads[t], p.keys(fs)...)
		p.logf("wait thread=%d fences=%v", t, fs)
	case x < 94: // CPU signal
		t := p.rnd.Intn(len(p.threads))
		n := p.threadNode(t)
		p.signals++
		f := &gFence{key: FenceKey{999, uint64(p.signals)}, node: n, ready: true}
		p.fences = append(p.fences, f)
		p.c.FenceSignal(f.key, p.threads[t], Origin{})
		p.logf("signal f%d thread=%d", len(p.fences)-1, t)
	default: // release and reuse an allocation
		a := p.rnd.Intn(len(p.gens))
		p.c.AllocRelease(AllocID(a), p.gens[a], Origin{})
		p.gens[a]++
		p.c.AllocCreate(AllocID(a), p.gens[a], p.allocSize)
		p.logf("realloc a%d gen=%d", a, p.gens[a])
	}
}

func (p *prog) access(ag *Agent, node int, comp string) {
	a := p.rnd.Intn(len(p.gens))
	off := uint64(p.rnd.Intn(int(p.allocSize)))
	n := 1 + uint64(p.rnd.Intn(int(p.allocSize-off)))
	g := gAccess{node: node, comp: comp, cpu: ag.IsCPU(), alloc: a, gen: p.gens[a], off: off, n: n,
		write: p.rnd.Intn(2) == 0, shadowGen: p.gens[a]}
	if g.gen > 1 && p.rnd.Intn(20) == 0 {
		g.gen--
		g.uaf = true
	}
	idx := len(p.accs)
	p.accs = append(p.accs, g)
	p.c.Access(Access{Agent: ag, Alloc: AllocID(a), Gen: g.gen, Off: off, Len: n, Write: g.write,
		Label: fmt.Sprint("a", idx)})
	p.logf("a%d %s node=%d alloc=%d gen=%d [%d,%d) write=%v", idx, comp, node, a, g.gen, off, off+n, g.write)
}

// expected computes the oracle's report set: for each access and byte, the
// last earlier write if unordered (RAW/WAW), and for writes the last read
// per component since that write if unordered (WAR). It also returns the
// bytes on which any pair of accesses races (all pairs), and UAF accesses.
func (p *prog) expected() (races []race, racyBytes map[[3]uint64]bool, uafs []int) {
	racyBytes = map[[3]uint64]bool{}
	for bi, b := range p.accs {
		if b.uaf {
			uafs = append(uafs, bi)
			continue
		}
		for x := b.off; x < b.off+b.n; x++ {
			var hist []int // earlier accesses to this byte of this generation
			for ai := range bi {
				a := p.accs[ai]
				if !a.uaf && a.alloc == b.alloc && a.gen == b.gen && a.off <= x && x < a.off+a.n {
					hist = append(hist, ai)
				}
			}
			kind := func(a gAccess) Kind {
				if a.cpu != b.cpu {
					return KindCPUUnsync
				}
				return KindRace
			}
			lastW := -1
			for _, ai := range hist {
				if p.accs[ai].write {
					lastW = ai
				}
				a := p.accs[ai]
				if (a.write || b.write) && !p.o.hb(a.node, b.node) {
					racyBytes[[3]uint64{uint64(b.alloc), b.gen, x}] = true
				}
			}
			if lastW >= 0 && !p.o.hb(p.accs[lastW].node, b.node) {
				h := RAW
				if b.write {
					h = WAW
				}
				races = append(races, race{kind(p.accs[lastW]), h, bi, lastW, x})
			}
			if !b.write {
				continue
			}
			lastR := map[string]int{}
			for _, ai := range hist {
				if ai > lastW && !p.accs[ai].write {
					lastR[p.accs[ai].comp] = ai
				}
			}
			for _, ai := range lastR {
				if !p.o.hb(p.accs[ai].node, b.node) {
					races = append(races, race{kind(p.accs[ai]), WAR, bi, ai, x})
				}
			}
		}
	}
	return races, racyBytes, uafs
}

func label(t *testing.T, s string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "a"))
	if err != nil {
		t.Fatalf("label %q", s)
	}
	return n
}

func sortRaces(rs []race) {
	slices.SortFunc(rs, func(a, b race) int {
		return cmp3(a.Cur, b.Cur, a.Prior, b.Prior, int(a.Byte), int(b.Byte), int(a.Hazard), int(b.Hazard))
	})
}

func cmp3(xs ...int) int {
	for i := 0; i < len(xs); i += 2 {
		if xs[i] != xs[i+1] {
			return xs[i] - xs[i+1]
		}
	}
	return 0
}

// TestOracle is the randomized differential test: random programs of jobs
// on rings, dependencies, CPU threads with submits, signals and waits,
// accesses, and allocation reuse; the checker's reports must equal the
// naive oracle's exactly, and every byte on which any pair races must be
// reported (no misses).
func TestOracle(t *testing.T) {
	base := seed(t)
	iters := 400
	if testing.Short() {
		iters = 50
	}
	totalRaces, totalUAF := 0, 0
	defer func() { t.Logf("%d programs, %d byte-races, %d uses after free compared", iters, totalRaces, totalUAF) }()
	for it := range iters {
		s := base*1000003 + int64(it)
		rnd := rand.New(rand.NewSource(s))
		p := &prog{t: t, rnd: rnd, c: New(Options{}), allocSize: uint64(8 + rnd.Intn(17))}
		nThreads, nRings := 1+rnd.Intn(3), 1+rnd.Intn(3)
		for i := range nThreads {
			p.threads = append(p.threads, p.c.CPU(fmt.Sprint("t", i)))
			p.tnode = append(p.tnode, -1)
		}
		for i := range nRings {
			p.rings = append(p.rings, p.c.Ring(fmt.Sprint("ring", i)))
		}
		p.ringBusy = make([]*gJob, nRings)
		p.ringLast = slices.Repeat([]int{-1}, nRings)
		for a := range 1 + rnd.Intn(2) {
			p.gens = append(p.gens, 1)
			p.c.AllocCreate(AllocID(a), 1, p.allocSize)
		}
		for range 30 + rnd.Intn(80) {
			p.step()
		}
		want, racy, wantUAF := p.expected()
		var got []race
		var gotUAF []int
		reported := map[[3]uint64]bool{}
		for _, r := range p.c.Reports() {
			cur := label(t, r.Access.Label)
			if r.Kind == KindUseAfterFree {
				gotUAF = append(gotUAF, cur)
				continue
			}
			if r.Count != 1 {
				t.Errorf("seed %d: count %d", s, r.Count)
			}
			for x := r.Phys.Start; x < r.Phys.End(); x++ {
				got = append(got, race{r.Kind, r.Hazard, cur, label(t, r.Prior.Label), x})
				reported[[3]uint64{uint64(r.Alloc), r.Gen, x}] = true
			}
		}
		sortRaces(want)
		sortRaces(got)
		fail := false
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("seed %d: races (-oracle +checker):\n%s", s, diff)
			fail = true
		}
		if diff := cmp.Diff(wantUAF, gotUAF); diff != "" {
			t.Errorf("seed %d: use-after-free (-oracle +checker):\n%s", s, diff)
			fail = true
		}
		for b := range racy {
			if !reported[b] {
				t.Errorf("seed %d: byte %v has a racing pair but no report", s, b)
				fail = true
			}
		}
		if st := p.c.Stats(); st.UnknownFences+st.EarlyFences+st.Misuse != 0 {
			t.Errorf("seed %d: stats %+v", s, st)
			fail = true
		}
		checkShadows(t, p.c)
		totalRaces += len(want)
		totalUAF += len(wantUAF)
		if fail {
			t.Logf("program (seed %d):\n%s", s, strings.Join(p.log, "\n"))
			t.FailNow()
		}
	}
}
