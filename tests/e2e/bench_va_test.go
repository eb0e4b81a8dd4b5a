package e2e

import (
	"fmt"
	"testing"

	"github.com/vmemu/vmemu/bench"
)

// BenchmarkGemVAIoctl is issue 4's figure through the whole stack: a
// GEM_VA MAP+UNMAP pair issued with File.Ioctl at random free slots among
// n live one-page mappings, "delay" with AMDGPU_VM_DELAY_UPDATE, "pt" with
// its page-table jobs (not at 1M: see bench.GemVAIoctl), next to a B-tree
// insert+delete baseline of n entries in the same run.
func BenchmarkGemVAIoctl(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d/delay", n), bench.GemVAIoctl(n, false))
		if n <= 100_000 {
			b.Run(fmt.Sprintf("n=%d/pt", n), bench.GemVAIoctl(n, true))
		}
		b.Run(fmt.Sprintf("n=%d/baseline", n), bench.OrderedMapBaseline(n))
	}
}
