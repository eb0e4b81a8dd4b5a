package e2e

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/google/btree"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/uapi"
)

// BenchmarkGemVAIoctl is issue 4's figure through the whole stack: a
// GEM_VA MAP+UNMAP pair issued with File.Ioctl (drm_ioctl copy rules,
// argument checks, the VM root and BO reservations locked, the VA space)
// at random free slots among n live one-page mappings of one BO, next to
// a baseline that inserts and deletes the same keys in a B-tree of n
// entries, in the same run. "delay" passes AMDGPU_VM_DELAY_UPDATE (no
// page-table job, as Mesa does for most maps); "pt" builds the PT_UPDATE
// and PT_CLEAR jobs too, their fences drained outside the timer. ("pt" is
// not run at 1M: populating would build a million page-table jobs, and
// populating with DELAY_UPDATE instead leaves the BO's million mappings
// for the first non-delayed map to write, as amdgpu_vm_bo_update() would.)
func BenchmarkGemVAIoctl(b *testing.B) {
	const page = 4096
	const base = 1 << 32
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		keys := make([]uint64, 1<<16)
		rng := rand.New(rand.NewSource(1))
		for i := range keys {
			keys[i] = base + uint64(2*rng.Intn(n)+1)*page // a free slot
		}
		for _, mode := range []string{"delay", "pt"} {
			if mode == "pt" && n > 100_000 {
				continue
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, mode), func(b *testing.B) {
				dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true})
				if err != nil {
					b.Fatal(err)
				}
				defer dev.Close()
				c, _ := client.New(dev)
				h, err := c.CreateBO(page, gtt, 0)
				if err != nil {
					b.Fatal(err)
				}
				rw := uint32(uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE)
				for i := range n {
					if err := c.Map(h, base+uint64(2*i)*page, page, rw|uapi.AMDGPU_VM_DELAY_UPDATE); err != nil {
						b.Fatal(err)
					}
				}
				if mode == "pt" {
					// Write the live mappings once, so the timed maps
					// each update only their own.
					if err := c.Map(h, base+uint64(2*n)*page, page, rw); err != nil {
						b.Fatal(err)
					}
					dev.Clock().RunAll()
				}
				flags := rw
				if mode == "delay" {
					flags |= uapi.AMDGPU_VM_DELAY_UPDATE
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					va := keys[i&(len(keys)-1)]
					if err := c.Map(h, va, page, flags); err != nil {
						b.Fatal(err)
					}
					if err := c.Unmap(h, va, page, flags&uapi.AMDGPU_VM_DELAY_UPDATE); err != nil {
						b.Fatal(err)
					}
					if mode == "pt" && i%256 == 255 {
						b.StopTimer()
						dev.Clock().RunAll()
						b.StartTimer()
					}
				}
			})
		}
		b.Run(fmt.Sprintf("n=%d/baseline", n), func(b *testing.B) {
			t := btree.NewG(32, func(a, b uint64) bool { return a < b })
			for i := range n {
				t.ReplaceOrInsert(base + uint64(2*i)*page)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := keys[i&(len(keys)-1)]
				t.ReplaceOrInsert(k)
				t.Delete(k)
			}
		})
	}
}
