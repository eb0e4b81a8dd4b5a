package vm

import (
	"testing"

	"github.com/vmemu/vmemu/internal/testseed"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seed returns the test seed (internal/testseed).
func seed(t testing.TB) int64 { return testseed.Get(t, 20260601) }
