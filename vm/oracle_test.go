package vm

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/sim"
	"github.com/vmemu/vmemu/uapi"
)

// oracleOp is one printable, parseable GEM_VA operation of a stream:
//
//	map A page=20 pages=3 off=1 [delay]
//	replace B page=18 pages=4 off=0
//	unmap A page=20 [delay]
//	clear page=19 pages=2 [delay]
//	flush            (a CS: clear_freed and bo_update of every bo_va)
type oracleOp struct {
	kind             string
	bo               string
	page, pages, off uint64
	delay            bool
}

func (o oracleOp) String() string {
	s := o.kind
	if o.bo != "" {
		s += " " + o.bo
	}
	if o.kind != "flush" {
		s += fmt.Sprintf(" page=%d", o.page)
	}
	if o.kind == "map" || o.kind == "replace" || o.kind == "clear" {
		s += fmt.Sprintf(" pages=%d", o.pages)
	}
	if o.kind == "map" || o.kind == "replace" {
		s += fmt.Sprintf(" off=%d", o.off)
	}
	if o.delay {
		s += " delay"
	}
	return s
}

func parseOracleOp(line string) (oracleOp, error) {
	var o oracleOp
	f := strings.Fields(line)
	if len(f) == 0 {
		return o, fmt.Errorf("empty op")
	}
	o.kind = f[0]
	for _, w := range f[1:] {
		k, v, ok := strings.Cut(w, "=")
		switch {
		case !ok && w == "delay":
			o.delay = true
		case !ok:
			o.bo = w
		default:
			var n uint64
			if _, err := fmt.Sscan(v, &n); err != nil {
				return o, fmt.Errorf("%q: %v", w, err)
			}
			switch k {
			case "page":
				o.page = n
			case "pages":
				o.pages = n
			case "off":
				o.off = n
			default:
				return o, fmt.Errorf("unknown key %q", k)
			}
		}
	}
	return o, nil
}

// pageModel is the naive oracle: what each GPU page maps.
type pageEntry struct {
	bo    string
	off   uint64 // BO page
	start uint64 // the mapping's start page (for UNMAP's exact match)
}

type pageModel map[uint64]pageEntry

const (
	oracleBase   = 16 // first page used (64 KiB: AMDGPU_VA_RESERVED_BOTTOM)
	oracleSpan   = 48
	oracleBOSize = 16 // pages
)

func (m pageModel) apply(o oracleOp) (wantErr bool) {
	switch o.kind {
	case "map":
		if o.pages == 0 || o.off+o.pages > oracleBOSize {
			return true
		}
		for p := o.page; p < o.page+o.pages; p++ {
			if _, ok := m[p]; ok {
				return true
			}
		}
		fallthrough
	case "replace":
		if o.pages == 0 || o.off+o.pages > oracleBOSize {
			return true
		}
		for p := o.page; p < o.page+o.pages; p++ {
			delete(m, p)
		}
		// Pieces cut by the clear keep their start for UNMAP purposes only
		// if they start where they did; recompute starts below.
		for p := o.page; p < o.page+o.pages; p++ {
			m[p] = pageEntry{bo: o.bo, off: o.off + p - o.page, start: o.page}
		}
		m.restart(o.page, o.pages)
		return false
	case "unmap":
		e, ok := m[o.page]
		if !ok || e.bo != o.bo || e.start != o.page {
			return true
		}
		for p := o.page; ; p++ {
			f, ok := m[p]
			if !ok || f.start != o.page || f.bo != o.bo {
				break
			}
			delete(m, p)
		}
		return false
	case "clear":
		if o.pages == 0 {
			return true
		}
		for p := o.page; p < o.page+o.pages; p++ {
			delete(m, p)
		}
		m.restart(o.page, o.pages)
	}
	return false
}

// restart fixes the start page of the pieces left on either side of a
// cleared range [page, page+pages): the piece after it starts right after.
func (m pageModel) restart(page, pages uint64) {
	after := page + pages
	e, ok := m[after]
	if !ok || e.start >= after {
		return
	}
	old := e.start
	for p := after; ; p++ {
		f, ok := m[p]
		if !ok || f.start != old || f.bo != e.bo {
			break
		}
		f.start = after
		m[p] = f
	}
}

type oracleRig struct {
	clock *sim.Clock
	eng   *gpu.Engine
	vm    *VM
	bos   map[string]*fakeBO
	objs  fakeObjects
	hs    map[string]uint32
	mem   *fakeMemory
}

func newOracleRig(t testing.TB) *oracleRig {
	clock := sim.NewVirtual(0)
	clock.SetFailDeadlocks(true)
	d := fence.NewDomain(clock)
	eng, err := gpu.NewEngine(clock, d, gpu.Config{Rings: map[gpu.IP]int{gpu.GFX: 1, gpu.SDMA: 1}})
	if err != nil {
		t.Fatal(err)
	}
	r := &oracleRig{clock: clock, eng: eng, bos: map[string]*fakeBO{},
		objs: fakeObjects{}, hs: map[string]uint32{}, mem: newFakeMemory()}
	m, err := NewManager(Config{Engine: eng, Memory: r.mem})
	if err != nil {
		t.Fatal(err)
	}
	r.vm = m.NewVM()
	for i, n := range []string{"A", "B", "C"} {
		b := &fakeBO{name: n, size: oracleBOSize * GPUPageSize, r: resv.New()}
		if n == "C" {
			b.r = r.vm.RootResv() // a per-VM BO
		}
		b.setPlacement(r.mem.alloc(b.size), true)
		r.bos[n] = b
		r.objs[uint32(i+1)] = b
		r.hs[n] = uint32(i + 1)
		if _, err := r.vm.OpenBO(b); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *oracleRig) do(o oracleOp) error {
	if o.kind == "flush" {
		root := r.vm.RootResv()
		if err := root.Lock(nil); err != nil {
			return err
		}
		defer root.Unlock()
		if _, err := r.vm.ClearFreed(); err != nil {
			return err
		}
		for _, n := range []string{"A", "B", "C"} {
			b := r.vm.Find(r.bos[n])
			br := r.bos[n].Resv()
			if br != root {
				if err := br.Lock(nil); err != nil {
					return err
				}
			}
			err := r.vm.BoUpdate(b, false)
			if br != root {
				br.Unlock()
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	a := uapi.GemVA{VAAddress: o.page * GPUPageSize, MapSize: o.pages * GPUPageSize,
		OffsetInBO: o.off * GPUPageSize, Handle: r.hs[o.bo],
		Flags: uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE}
	if o.delay {
		a.Flags |= uapi.AMDGPU_VM_DELAY_UPDATE
	}
	switch o.kind {
	case "map":
		a.Operation = uapi.AMDGPU_VA_OP_MAP
	case "replace":
		a.Operation = uapi.AMDGPU_VA_OP_REPLACE
	case "unmap":
		a.Operation = uapi.AMDGPU_VA_OP_UNMAP
	case "clear":
		a.Operation = uapi.AMDGPU_VA_OP_CLEAR
	}
	return r.vm.GemVA(&a, &GemVAEnv{Objects: r.objs})
}

// treePages returns the tree's view in the model's form.
func (r *oracleRig) treePages() pageModel {
	got := pageModel{}
	r.vm.mu.Lock()
	defer r.vm.mu.Unlock()
	r.vm.va.each(func(m *bova.Mapping) bool {
		name := m.BoVA().BO().(*fakeBO).name
		for p := m.Start; p <= m.Last; p++ {
			got[p] = pageEntry{bo: name, off: m.Offset/GPUPageSize + p - m.Start, start: m.Start}
		}
		return true
	})
	return got
}

// ptePages returns the page tables' view: BO name and page.
func (r *oracleRig) ptePages() map[uint64]pageEntry {
	byAlloc := map[uint64]string{}
	for n, b := range r.bos {
		byAlloc[b.Placement().Alloc] = n
	}
	got := map[uint64]pageEntry{}
	r.vm.ptMu.Lock()
	defer r.vm.ptMu.Unlock()
	r.vm.pt.each(func(p *pte) bool {
		for pg := p.start; pg <= p.last; pg++ {
			_, off := p.at(pg)
			got[pg] = pageEntry{bo: byAlloc[p.placement.Alloc], off: off / GPUPageSize}
		}
		return true
	})
	return got
}

func genOracleOps(rng *rand.Rand, n int) []oracleOp {
	ops := make([]oracleOp, 0, n+1)
	names := []string{"A", "B", "C"}
	for i := 0; i < n; i++ {
		o := oracleOp{bo: names[rng.Intn(3)], page: oracleBase + uint64(rng.Intn(oracleSpan)),
			pages: 1 + uint64(rng.Intn(8)), off: uint64(rng.Intn(oracleBOSize)),
			delay: rng.Intn(3) == 0}
		switch k := rng.Intn(20); {
		case k < 8:
			o.kind = "map"
		case k < 11:
			o.kind = "replace"
		case k < 15:
			o.kind = "unmap"
			o.pages, o.off = 0, 0
		case k < 19:
			o.kind = "clear"
			o.bo, o.off = "", 0
		default:
			o = oracleOp{kind: "flush"}
		}
		ops = append(ops, o)
	}
	return append(ops, oracleOp{kind: "flush"})
}

func runOracle(t *testing.T, ops []oracleOp) {
	t.Helper()
	r := newOracleRig(t)
	model := pageModel{}
	dump := func() string {
		var b strings.Builder
		for _, o := range ops {
			fmt.Fprintln(&b, o)
		}
		return b.String()
	}
	// mayLeak holds pages whose PTEs the kernel leaves valid: an UNMAP of
	// a mapping still on its bo_va's invalids destroys it without a PTE
	// clear (amdgpu_vm_bo_unmap()), although a split piece's pages were
	// written by the mapping it was cut from.
	mayLeak := map[uint64]bool{}
	for i, o := range ops {
		if o.kind == "unmap" {
			r.vm.mu.Lock()
			if m := r.vm.va.lookup(o.page); m != nil && m.Start == o.page &&
				m.Where() == bova.WhereInvalid {
				for p := m.Start; p <= m.Last; p++ {
					mayLeak[p] = true
				}
			}
			r.vm.mu.Unlock()
		}
		wantErr := false
		if o.kind != "flush" {
			wantErr = model.apply(o)
		}
		err := r.do(o)
		if (err != nil) != wantErr {
			t.Fatalf("step %d %v: err=%v, model wants error=%v\nops (replay: TEST_ORACLE_OPS=file):\n%s",
				i, o, err, wantErr, dump())
		}
		if err := r.vm.Check(); err != nil {
			t.Fatalf("step %d %v: %v\nops:\n%s", i, o, err, dump())
		}
		if got := r.treePages(); !equalPages(got, model, true) {
			t.Fatalf("step %d %v: tree %v\nmodel %v\nops:\n%s", i, o, got, model, dump())
		}
		if i%7 == 0 {
			r.clock.RunAll()
		}
	}
	r.clock.RunAll()
	got := r.ptePages()
	for p, e := range model {
		if f, ok := got[p]; !ok || f.bo != e.bo || f.off != e.off {
			t.Fatalf("after flush: page %d: pte %v, model %v\nops:\n%s", p, f, e, dump())
		}
	}
	for p, f := range got {
		if _, ok := model[p]; !ok && !mayLeak[p] {
			t.Fatalf("after flush: page %d not mapped but pte %v\nops:\n%s", p, f, dump())
		}
	}
}

func equalPages(a, b map[uint64]pageEntry, starts bool) bool {
	if len(a) != len(b) {
		return false
	}
	for p, e := range a {
		f, ok := b[p]
		if !ok || e.bo != f.bo || e.off != f.off || (starts && e.start != f.start) {
			return false
		}
	}
	return true
}

// TestOracle compares the interval map, the lists and, after a final CS,
// the page tables with a per-page model on seeded random GEM_VA streams,
// checking the VM's invariants after every step. TEST_SEED picks the seed;
// TEST_ORACLE_OPS=file replays a printed stream.
func TestOracle(t *testing.T) {
	if path := os.Getenv("TEST_ORACLE_OPS"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var ops []oracleOp
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && line[0] != '#' {
				o, err := parseOracleOp(line)
				if err != nil {
					t.Fatal(err)
				}
				ops = append(ops, o)
			}
		}
		runOracle(t, ops)
		return
	}
	rng := rand.New(rand.NewSource(seed(t)))
	n := 50
	if testing.Short() {
		n = 10
	}
	for i := 0; i < n; i++ {
		ops := genOracleOps(rng, 200)
		t.Run(fmt.Sprint(i), func(t *testing.T) { runOracle(t, ops) })
	}
}

func TestOracleOpRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, o := range genOracleOps(rng, 100) {
		got, err := parseOracleOp(o.String())
		if err != nil || got != o {
			t.Fatalf("%v: got %v, %v", o, got, err)
		}
	}
}
