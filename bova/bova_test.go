package bova

import (
	"testing"

	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/sim"
)

func TestListsAndStates(t *testing.T) {
	stub := fence.NewDomain(sim.NewVirtual(0)).Stub()
	b := New("vm", nil, false, stub)
	var s StatusLists
	if b.State() != None || b.LastPTUpdate() != stub || b.RefCount() != 1 {
		t.Fatalf("new bo_va: %v %v %d", b.State(), b.LastPTUpdate(), b.RefCount())
	}
	m1 := &Mapping{Start: 1, Last: 2}
	m2 := &Mapping{Start: 5, Last: 5}
	b.Invalids().Add(m1)
	b.Invalids().Add(m2)
	if m1.Where() != WhereInvalid || m1.BoVA() != b || b.Invalids().Len() != 2 {
		t.Fatalf("add: %v %v", m1, b.Invalids().Len())
	}
	b.Invalids().SpliceInit(b.Valids())
	if b.Invalids().Len() != 0 || b.Valids().Len() != 2 || m2.Where() != WhereValid {
		t.Fatal("splice")
	}
	freed := NewFreedList()
	b.Valids().Remove(m1)
	freed.Add(m1)
	if m1.BoVA() != nil || m1.Origin() != b || m1.Where() != WhereFreed {
		t.Fatalf("freed: %v", m1)
	}
	for _, l := range []*List{b.Invalids(), b.Valids(), freed} {
		if err := l.Check(); err != nil {
			t.Fatal(err)
		}
	}
	s.BecomeEvicted(b)
	if b.State() != Evicted || !b.Moved() {
		t.Fatal("evicted")
	}
	s.BecomeIdle(b)
	if b.State() != Idle || b.Moved() || s.Len(Evicted) != 0 || s.Len(Idle) != 1 {
		t.Fatal("idle")
	}
	s.BecomeDone(b)
	s.Remove(b)
	if b.State() != None || s.Len(Done) != 0 {
		t.Fatal("remove")
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("double Add did not panic")
		}
	}()
	freed.Add(m1)
}

func TestStateStrings(t *testing.T) {
	for st := None; st < numStates; st++ {
		if st.String() == "" {
			t.Fatal(st)
		}
	}
	if State(99).String() != "State(99)" || Where(9).String() != "Where(9)" {
		t.Fatal("unknown values")
	}
}
