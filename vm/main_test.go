package vm

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seed returns TEST_SEED or a fixed default, and logs it.
func seed(t testing.TB) int64 {
	s := int64(20260601)
	if v := os.Getenv("TEST_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("TEST_SEED=%q: %v", v, err)
		}
		s = n
	}
	t.Logf("seed %d (replay with TEST_SEED=%d)", s, s)
	return s
}
