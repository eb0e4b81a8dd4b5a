package cs

import "testing"

// TestParseScratchTake: the payloads cut from one scratch are zeroed, do
// not overlap (writing one leaves the others alone, even across a grow of
// the buffer), and a released scratch drops an oversized buffer.
func TestParseScratchTake(t *testing.T) {
	sc := new(parseScratch)
	sc.data = append(sc.data, 0xff, 0xff) // stale bytes from an earlier CS
	sc.data = sc.data[:0]
	var parts [][]byte
	for i, n := range []int{2, 700, 1, 5000, 3} { // 5000 forces a grow
		b := sc.take(n)
		if len(b) != n || cap(b) != n {
			t.Fatalf("take(%d): len %d cap %d", n, len(b), cap(b))
		}
		for _, x := range b {
			if x != 0 {
				t.Fatalf("take(%d) not zeroed", n)
			}
		}
		for k := range b {
			b[k] = byte(i + 1)
		}
		parts = append(parts, b)
	}
	for i, b := range parts {
		for _, x := range b {
			if x != byte(i+1) {
				t.Fatalf("part %d overwritten: %d", i, x)
			}
		}
	}
	sc.take(maxScratchData + 1)
	sc.chunks = append(sc.chunks, chunk{id: 1, kdata: parts[0]})
	sc.release()
	if sc.data != nil || len(sc.chunks) != 0 {
		t.Errorf("after release: data cap %d, %d chunks", cap(sc.data), len(sc.chunks))
	}
}
