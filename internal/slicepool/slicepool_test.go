package slicepool

import "testing"

func TestPool(t *testing.T) {
	p := Pool[*int]{Min: 4}
	small := p.Get(2)
	if cap(small) != 2 || len(small) != 0 {
		t.Fatalf("Get(2): len %d cap %d", len(small), cap(small))
	}
	x := 7
	s := p.Get(8)
	s = append(s, &x, &x, &x)
	p.Put(s)
	for i, e := range s[:cap(s)] {
		if e != nil {
			t.Fatalf("Put left element %d set", i)
		}
	}
	// The pool may drop entries at any GC; when it keeps one, Get hands
	// it back empty with its capacity.
	if got := p.Get(8); len(got) != 0 || cap(got) < 8 {
		t.Fatalf("Get(8) after Put: len %d cap %d", len(got), cap(got))
	}
	if got := p.Get(100); cap(got) < 100 {
		t.Fatalf("Get(100): cap %d", cap(got))
	}
	p.Put(small) // below Min: dropped, no panic
}
