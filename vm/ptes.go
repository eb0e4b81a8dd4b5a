package vm

import (
	"fmt"

	"github.com/google/btree"
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
	t     *btree.BTreeG[*pte]
	probe pte
}

func newPageTable() *pageTable {
	return &pageTable{t: btree.NewG(btreeDegree, func(a, b *pte) bool { return a.start < b.start })}
}

func (pt *pageTable) floor(page uint64) *pte {
	pt.probe.start = page
	var got *pte
	pt.t.DescendLessOrEqual(&pt.probe, func(p *pte) bool {
		got = p
		return false
	})
	return got
}

// lookup returns the run containing page, or nil (invalid PTE).
func (pt *pageTable) lookup(page uint64) *pte {
	if p := pt.floor(page); p != nil && p.last >= page {
		return p
	}
	return nil
}

// clear invalidates [s, l], trimming and splitting runs.
func (pt *pageTable) clear(s, l uint64) {
	var hit []*pte
	if p := pt.floor(s); p != nil && p.last >= s {
		hit = append(hit, p)
	}
	pt.probe.start = s + 1
	if s+1 != 0 {
		pt.t.AscendGreaterOrEqual(&pt.probe, func(p *pte) bool {
			if p.start > l {
				return false
			}
			hit = append(hit, p)
			return true
		})
	}
	for _, p := range hit {
		pt.t.Delete(p)
		if p.start < s {
			before := *p
			before.last = s - 1
			pt.t.ReplaceOrInsert(&before)
		}
		if p.last > l {
			after := *p
			after.start = l + 1
			after.off = p.off + (l+1-p.start)*GPUPageSize
			pt.t.ReplaceOrInsert(&after)
		}
	}
}

// set writes run v over [v.start, v.last].
func (pt *pageTable) set(v pte) {
	pt.clear(v.start, v.last)
	pt.t.ReplaceOrInsert(&v)
}

// each calls fn for every run in order.
func (pt *pageTable) each(fn func(*pte) bool) { pt.t.Ascend(btree.ItemIteratorG[*pte](fn)) }
