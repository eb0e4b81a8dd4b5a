// Package testseed gives seeded tests their seed: TEST_SEED from the
// environment when set, else the test's fixed default, logged either way
// so that a failing run can be replayed.
package testseed

import (
	"os"
	"strconv"
	"testing"
)

// Get returns TEST_SEED (decimal, or with a 0x/0o/0b prefix) or def, and
// logs it. A malformed TEST_SEED fails the test.
func Get(t testing.TB, def int64) int64 {
	t.Helper()
	s := def
	if v := os.Getenv("TEST_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 0, 64)
		if err != nil {
			t.Fatalf("TEST_SEED=%q: %v", v, err)
		}
		s = n
	}
	t.Logf("seed %d (replay with TEST_SEED=%d)", s, s)
	return s
}
