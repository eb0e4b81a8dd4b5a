package vm

import (
	"fmt"
	"sync"

	"github.com/vmemu/vmemu/bova"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/resv"
	"github.com/vmemu/vmemu/uapi"
)

// fakeBO is a BO for tests.
type fakeBO struct {
	name        string
	size        uint64
	r           *resv.Resv
	alwaysValid bool

	mu        sync.Mutex
	pl        Placement
	preferred bool

	bases bova.Bases
}

func (b *fakeBO) Size() uint64     { return b.size }
func (b *fakeBO) Resv() *resv.Resv { return b.r }
func (b *fakeBO) AlwaysValid() bool {
	return b.alwaysValid
}
func (b *fakeBO) String() string { return b.name }

func (b *fakeBO) Placement() Placement {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pl
}

func (b *fakeBO) VMBases() *bova.Bases { return &b.bases }

func (b *fakeBO) InPreferredDomain() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.preferred
}

func (b *fakeBO) setPlacement(p Placement, preferred bool) {
	b.mu.Lock()
	b.pl, b.preferred = p, preferred
	b.mu.Unlock()
}

// fakeMemory is a Memory of byte slices with generations.
type fakeMemory struct {
	mu     sync.Mutex
	allocs map[uint64]*fakeAlloc
	next   uint64
}

type fakeAlloc struct {
	gen  uint64
	data []byte
}

func newFakeMemory() *fakeMemory { return &fakeMemory{allocs: map[uint64]*fakeAlloc{}} }

// alloc returns a new allocation of n bytes.
func (m *fakeMemory) alloc(n uint64) Placement {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	m.allocs[m.next] = &fakeAlloc{gen: 1, data: make([]byte, n)}
	return Placement{Alloc: m.next, Gen: 1, Domain: uapi.AMDGPU_GEM_DOMAIN_VRAM}
}

// release bumps the allocation's generation: its memory may be reused.
func (m *fakeMemory) release(p Placement) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.allocs[p.Alloc]
	a.gen++
	clear(a.data)
}

func (m *fakeMemory) get(p Placement, off uint64, n int) ([]byte, error) {
	a := m.allocs[p.Alloc]
	if a == nil {
		return nil, fmt.Errorf("alloc %d: %w", p.Alloc, errno.EFAULT)
	}
	if a.gen != p.Gen {
		return nil, fmt.Errorf("alloc %d gen %d (now %d): %w", p.Alloc, p.Gen, a.gen, ErrStale)
	}
	if off+uint64(n) > uint64(len(a.data)) {
		return nil, fmt.Errorf("alloc %d: %#x+%d out of range: %w", p.Alloc, off, n, errno.EFAULT)
	}
	return a.data[off : off+uint64(n)], nil
}

func (m *fakeMemory) Read(p Placement, off uint64, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	src, err := m.get(p, off, len(b))
	if err != nil {
		return err
	}
	copy(b, src)
	return nil
}

func (m *fakeMemory) Write(p Placement, off uint64, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dst, err := m.get(p, off, len(b))
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}

// fakeObjects maps GEM handles to BOs.
type fakeObjects map[uint32]BO

func (o fakeObjects) LookupBO(h uint32) (BO, error) {
	if b, ok := o[h]; ok {
		return b, nil
	}
	return nil, errno.ENOENT
}

// recObserver records accesses and faults.
type recObserver struct {
	mu       sync.Mutex
	accesses []Access
	faults   []Fault
}

func (r *recObserver) Access(a *Access) {
	r.mu.Lock()
	r.accesses = append(r.accesses, *a)
	r.mu.Unlock()
}

func (r *recObserver) Fault(f *Fault) {
	r.mu.Lock()
	r.faults = append(r.faults, *f)
	r.mu.Unlock()
}

func (r *recObserver) take() ([]Access, []Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, f := r.accesses, r.faults
	r.accesses, r.faults = nil, nil
	return a, f
}

func gpuEntityConfig(v *VM) gpu.EntityConfig {
	return gpu.EntityConfig{Name: "cs", Owner: v}
}
