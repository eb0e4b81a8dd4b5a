package bova

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Bases is bo->vm_bo: the bo_vas of one BO, one per VM the BO is opened
// in, which amdgpu_vm_bo_find() walks to find the bo_va of a (BO, VM)
// pair. A BO is opened in one VM or a handful, so the walk is a scan of a
// short array. Find takes no lock: the array is replaced, never modified,
// by Add and Remove (GEM open and close), which serialise on a mutex.
//
// The zero Bases is empty and ready to use.
type Bases struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*BoVA]
}

// Find returns the bo_va whose owner is vm, or nil.
func (s *Bases) Find(vm any) *BoVA {
	if p := s.list.Load(); p != nil {
		for _, b := range *p {
			if b.owner == vm {
				return b
			}
		}
	}
	return nil
}

// Add records b.
func (s *Bases) Add(b *BoVA) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next []*BoVA
	if p := s.list.Load(); p != nil {
		next = slices.Clone(*p)
	}
	next = append(next, b)
	s.list.Store(&next)
}

// Remove forgets b, if present.
func (s *Bases) Remove(b *BoVA) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.list.Load()
	if p == nil {
		return
	}
	i := slices.Index(*p, b)
	if i < 0 {
		return
	}
	next := slices.Delete(slices.Clone(*p), i, i+1)
	if len(next) == 0 {
		s.list.Store(nil)
		return
	}
	s.list.Store(&next)
}
