package usermem

import (
	"errors"
	"math"
	"testing"

	"github.com/vmemu/vmemu/errno"
)

// byteReader hands out fuzz input; it yields zeros once the input runs out.
type byteReader []byte

func (r *byteReader) next() byte {
	if len(*r) == 0 {
		return 0
	}
	b := (*r)[0]
	*r = (*r)[1:]
	return b
}

// fuzzBases are where fuzzed addresses cluster: around 0, small addresses,
// a 4 GiB boundary, the middle and the top of the address space.
var fuzzBases = [...]uint64{0, 0x1000, 0x1040, 1 << 32, 1 << 63, math.MaxUint64 - 0xff}

func (r *byteReader) addr() uint64 {
	base := fuzzBases[int(r.next())%len(fuzzBases)]
	return base + uint64(r.next()) // may wrap at the top: that is a case too
}

// model is the naive oracle: the value of every mapped byte, and the region
// list for Unmap.
type model struct {
	bytes   map[uint64]byte
	regions map[uint64]uint64 // start → length
}

// mapped reports whether every byte of the n bytes at addr is mapped, with
// the kernel's rules for 0, zero length and wrap-around.
func (m *model) mapped(addr, n uint64) bool {
	if n == 0 {
		return true
	}
	if addr == 0 || addr+n-1 < addr {
		return false
	}
	for i := uint64(0); i < n; i++ {
		if _, ok := m.bytes[addr+i]; !ok {
			return false
		}
	}
	return true
}

// FuzzSandbox runs a stream of Map, Unmap, CopyIn and CopyOut decoded from
// the input against a Sandbox and a byte-per-address model, and fails on any
// difference. It must never panic.
func FuzzSandbox(f *testing.F) {
	f.Add([]byte{0, 1, 0, 16, 2, 1, 8, 4})
	f.Add([]byte{0, 5, 0xf0, 16, 2, 5, 0xf8, 16, 3, 5, 0xfc, 8})
	f.Add([]byte{0, 1, 0, 0x40, 0, 2, 0, 0x40, 2, 1, 0x3c, 8, 1, 1, 0, 3, 1, 0x3c, 8})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := byteReader(data)
		var s Sandbox
		m := model{bytes: map[uint64]byte{}, regions: map[uint64]uint64{}}
		var fill byte
		for ops := 0; len(r) > 0 && ops < 64; ops++ {
			switch op := r.next() % 4; op {
			case 0: // Map
				addr, n := r.addr(), uint64(r.next()%0x80)
				b := make([]byte, n)
				err := s.Map(addr, b)
				bad := n == 0 || addr == 0 || addr+n-1 < addr
				overlap := false
				for i := uint64(0); !bad && i < n; i++ {
					if _, ok := m.bytes[addr+i]; ok {
						overlap = true
						break
					}
				}
				switch {
				case bad && !errors.Is(err, ErrBadRegion):
					t.Fatalf("Map(%#x, %d) = %v, want ErrBadRegion", addr, n, err)
				case !bad && overlap && !errors.Is(err, ErrOverlap):
					t.Fatalf("Map(%#x, %d) = %v, want ErrOverlap", addr, n, err)
				case !bad && !overlap && err != nil:
					t.Fatalf("Map(%#x, %d) = %v, want nil", addr, n, err)
				}
				if err == nil {
					m.regions[addr] = n
					for i := uint64(0); i < n; i++ {
						m.bytes[addr+i] = 0
					}
				}
			case 1: // Unmap
				addr := r.addr()
				err := s.Unmap(addr)
				n, ok := m.regions[addr]
				if ok != (err == nil) {
					t.Fatalf("Unmap(%#x) = %v, model has region: %v", addr, err, ok)
				}
				if ok {
					delete(m.regions, addr)
					for i := uint64(0); i < n; i++ {
						delete(m.bytes, addr+i)
					}
				}
			case 2: // CopyOut
				addr, n := r.addr(), uint64(r.next())
				src := make([]byte, n)
				for i := range src {
					fill++
					src[i] = fill
				}
				err := s.CopyOut(addr, src)
				if want := m.mapped(addr, n); want != (err == nil) || (err != nil && !errors.Is(err, errno.EFAULT)) {
					t.Fatalf("CopyOut(%#x, %d) = %v, model mapped: %v", addr, n, err, want)
				}
				if err == nil {
					for i := uint64(0); i < n; i++ {
						m.bytes[addr+i] = src[i]
					}
				}
			case 3: // CopyIn
				addr, n := r.addr(), uint64(r.next())
				dst := make([]byte, n)
				err := s.CopyIn(addr, dst)
				if want := m.mapped(addr, n); want != (err == nil) || (err != nil && !errors.Is(err, errno.EFAULT)) {
					t.Fatalf("CopyIn(%#x, %d) = %v, model mapped: %v", addr, n, err, want)
				}
				if err == nil {
					for i := uint64(0); i < n; i++ {
						if dst[i] != m.bytes[addr+i] {
							t.Fatalf("CopyIn(%#x, %d): byte %d = %#x, model %#x", addr, n, i, dst[i], m.bytes[addr+i])
						}
					}
				}
			}
		}
	})
}
