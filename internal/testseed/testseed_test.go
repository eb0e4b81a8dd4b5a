package testseed

import "testing"

func TestGet(t *testing.T) {
	t.Setenv("TEST_SEED", "")
	if s := Get(t, 42); s != 42 {
		t.Errorf("unset: %d, want the default 42", s)
	}
	t.Setenv("TEST_SEED", "0x10")
	if s := Get(t, 42); s != 16 {
		t.Errorf("TEST_SEED=0x10: %d, want 16", s)
	}
	t.Setenv("TEST_SEED", "-7")
	if s := Get(t, 42); s != -7 {
		t.Errorf("TEST_SEED=-7: %d, want -7", s)
	}
}
