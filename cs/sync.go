package cs

import "github.com/vmemu/vmemu/fence"

// syncSet mirrors struct amdgpu_sync as the CS fills it
// (amdgpu_sync_fence() → amdgpu_sync_add_later()): one fence per fence
// context, the later one kept, nil ignored. Fences stay in the order their
// contexts were first added, so reports list them as the CS collected them.
// A CS over 10,000 BOs that all carry the same last_pt_update or the same
// foreign fence holds one entry, not 10,000.
type syncSet struct {
	fs  []*fence.Fence
	idx map[uint64]int // context → index in fs; built past a few contexts
}

// syncSetLinear is how many contexts are searched linearly before the set
// builds its index.
const syncSetLinear = 8

func (s *syncSet) add(f *fence.Fence) {
	if f == nil {
		return
	}
	c := f.Context()
	i, ok := -1, false
	if s.idx != nil {
		i, ok = s.idx[c]
	} else {
		for j, g := range s.fs {
			if g.Context() == c {
				i, ok = j, true
				break
			}
		}
	}
	if ok {
		if fence.IsLater(f, s.fs[i]) {
			s.fs[i] = f
		}
		return
	}
	s.fs = append(s.fs, f)
	switch {
	case s.idx != nil:
		s.idx[c] = len(s.fs) - 1
	case len(s.fs) > syncSetLinear:
		s.idx = make(map[uint64]int, 2*len(s.fs))
		for j, g := range s.fs {
			s.idx[g.Context()] = j
		}
	}
}

func (s *syncSet) addAll(fs []*fence.Fence) {
	for _, f := range fs {
		s.add(f)
	}
}
