package vm

import (
	"fmt"

	"github.com/vmemu/vmemu/internal/spantree"
)

// pte is the state of a run of page-table entries [start, last] (GPU
// pages). A run is either a valid translation to placement+off (off is the
// byte offset of page start inside the BO's backing, Placement.Offset not
// included) or a PRT run (no memory; reads give zeros, writes are dropped,
// no fault). Pages of no run are invalid.
type pte struct {
	start, last uint64
	placement   Placement
	off         uint64
	flags       uint32
	prt         bool
}

func (p *pte) String() string {
	if p.prt {
		return fmt.Sprintf("[%#x-%#x] prt", p.start, p.last)
	}
	return fmt.Sprintf("[%#x-%#x] -> %v+%#x flags=%#x", p.start, p.last,
		p.placement, p.off, p.flags)
}

// at returns the run's translation of page.
func (p *pte) at(page uint64) (Placement, uint64) {
	return p.placement, p.off + (page-p.start)*GPUPageSize
}

// pageTable is the PTE state of a VM as the GPU sees it: it changes only
// when a page-table job executes (ptWork.Run), never when an ioctl returns.
// Runs never overlap. Protected by VM.ptMu.
type pageTable struct {
	t spantree.Tree[*pte]
	// hit is clear's scratch list.
	hit []*pte
}

func newPageTable() *pageTable { return &pageTable{} }

// lookup returns the run containing page, or nil (invalid PTE).
func (pt *pageTable) lookup(page uint64) *pte {
	if _, l, p, ok := pt.t.Floor(page); ok && l >= page {
		return p
	}
	return nil
}

// clear invalidates [s, l], trimming and splitting runs.
func (pt *pageTable) clear(s, l uint64) {
	hit := pt.hit[:0]
	pt.t.AscendFrom(s, func(start, last uint64, p *pte) bool {
		if start > l {
			return false
		}
		if last >= s {
			hit = append(hit, p)
		}
		return true
	})
	for _, p := range hit {
		pt.t.Delete(p.start, nil)
		if p.start < s {
			before := *p
			before.last = s - 1
			pt.insert(&before)
		}
		if p.last > l {
			after := *p
			after.start = l + 1
			after.off = p.off + (l+1-p.start)*GPUPageSize
			pt.insert(&after)
		}
	}
	clear(hit)
	pt.hit = hit[:0]
}

// insert adds run p, which overlaps no run.
func (pt *pageTable) insert(p *pte) {
	if old, ok := pt.t.Insert(p.start, p.last, p); !ok {
		panic(fmt.Sprintf("vm: PTE run [%#x, %#x] over [%#x, %#x]", p.start, p.last, old.start, old.last))
	}
}

// set writes run v over [v.start, v.last].
func (pt *pageTable) set(v pte) {
	pt.clear(v.start, v.last)
	pt.insert(&v)
}

// each calls fn for every run in order.
func (pt *pageTable) each(fn func(*pte) bool) {
	pt.t.Ascend(func(_, _ uint64, p *pte) bool { return fn(p) })
}
