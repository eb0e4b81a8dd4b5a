package pkt

import (
	"fmt"
	"math"
)

// vmemu annotation format, version 1 (docs/annotations.md). This is a vmemu
// convention, not AMD's: real hardware skips NOP bodies, so the same IB runs
// on a GPU and in vmemu.
//
// Body of a PM4 NOP (all little-endian dwords):
//
//	dword 0   AnnotationMagic ("VMEM" in memory order)
//	dword 1   version [15:0] = 1 | flags [31:16] (bit 16: Complete)
//	records   header: kind [7:0] | reserved [15:8] = 0 | ndw [31:16]
//	          followed by ndw payload dwords
const (
	// AnnotationMagic is the first payload dword of an annotation NOP: the
	// bytes 'V' 'M' 'E' 'M' in memory order.
	AnnotationMagic uint32 = 0x4D454D56
	// AnnotationVersion is the format version this package reads and
	// writes.
	AnnotationVersion = 1

	// AnnotationFlagComplete is the Complete flag in dword 1.
	AnnotationFlagComplete uint32 = 1 << 16

	// Record kinds.
	RecordReads  = 1 // payload: va lo, va hi, len lo, len hi
	RecordWrites = 2 // payload: va lo, va hi, len lo, len hi
	RecordBusy   = 3 // payload: ns lo, ns hi (int64 >= 0)
	RecordLabel  = 4 // payload: byte length n, ceil(n/4) dwords of UTF-8, zero-padded

	// MaxLabel is the longest label in bytes.
	MaxLabel = 1024
)

// maxNOPBody is the largest NOP body: count 0x3FFE (0x3FFF means
// header-only) gives 0x3FFF body dwords.
const maxNOPBody = 0x3FFF

// decodeAnnotation parses a NOP body that starts with AnnotationMagic.
// base is the dword offset of body[0] in the IB. ok is false for a foreign
// version, which the caller treats as a plain NOP.
func decodeAnnotation(body []uint32, base int) (a Annotation, ok bool, err error) {
	bad := func(off int, format string, args ...any) (Annotation, bool, error) {
		return Annotation{}, false, decodeErr(EnginePM4, off, ErrBadAnnotation, format, args...)
	}
	if len(body) < 2 {
		return bad(base, "magic without version dword")
	}
	if body[1]&0xFFFF != AnnotationVersion {
		return Annotation{}, false, nil
	}
	if body[1]&^(0xFFFF|AnnotationFlagComplete) != 0 {
		return bad(base+1, "unknown flags %#x", body[1]>>16)
	}
	a.Complete = body[1]&AnnotationFlagComplete != 0
	var haveBusy, haveLabel bool
	for i := 2; i < len(body); {
		h := body[i]
		kind, ndw := h&0xFF, int(h>>16)
		if h&0xFF00 != 0 {
			return bad(base+i, "record header %#x: reserved bits set", h)
		}
		p := body[i+1:]
		if ndw > len(p) {
			return bad(base+i, "record kind %d: %d payload dwords, %d left", kind, ndw, len(p))
		}
		p = p[:ndw]
		switch kind {
		case RecordReads, RecordWrites:
			if ndw != 4 {
				return bad(base+i, "range record: %d payload dwords, want 4", ndw)
			}
			r := Range{VA: uint64(p[0]) | uint64(p[1])<<32, Len: uint64(p[2]) | uint64(p[3])<<32}
			if r.Len == 0 {
				return bad(base+i, "range record: zero length")
			}
			if r.VA+r.Len < r.VA && r.VA+r.Len != 0 {
				return bad(base+i, "range record %#x+%#x wraps", r.VA, r.Len)
			}
			if kind == RecordReads {
				a.Reads = append(a.Reads, r)
			} else {
				a.Writes = append(a.Writes, r)
			}
		case RecordBusy:
			if ndw != 2 {
				return bad(base+i, "busy record: %d payload dwords, want 2", ndw)
			}
			if haveBusy {
				return bad(base+i, "second busy record")
			}
			ns := uint64(p[0]) | uint64(p[1])<<32
			if ns > math.MaxInt64 {
				return bad(base+i, "busy record: %d ns out of range", ns)
			}
			a.BusyNS, haveBusy = int64(ns), true
		case RecordLabel:
			if ndw < 1 {
				return bad(base+i, "label record without length")
			}
			if haveLabel {
				return bad(base+i, "second label record")
			}
			n := p[0]
			if n > MaxLabel || int(n+3)/4 != ndw-1 {
				return bad(base+i, "label record: %d bytes in %d dwords", n, ndw-1)
			}
			b := dwordsToBytes(p[1:])
			for _, c := range b[n:] {
				if c != 0 {
					return bad(base+i, "label record: non-zero padding")
				}
			}
			a.Label, haveLabel = string(b[:n]), true
		default:
			// Unknown kinds of version 1 are skipped: later records
			// can be added without a version bump.
		}
		i += 1 + ndw
	}
	return a, true, nil
}

// encodeAnnotation returns the NOP body (without header) for a.
func encodeAnnotation(a Annotation) ([]uint32, error) {
	flags := uint32(0)
	if a.Complete {
		flags |= AnnotationFlagComplete
	}
	body := []uint32{AnnotationMagic, AnnotationVersion | flags}
	rng := func(kind uint32, r Range) error {
		if r.Len == 0 {
			return fmt.Errorf("%w: annotation range %v has zero length", ErrBuild, r)
		}
		if r.VA+r.Len < r.VA && r.VA+r.Len != 0 {
			return fmt.Errorf("%w: annotation range %#x+%#x wraps", ErrBuild, r.VA, r.Len)
		}
		body = append(body, kind|4<<16, uint32(r.VA), uint32(r.VA>>32), uint32(r.Len), uint32(r.Len>>32))
		return nil
	}
	for _, r := range a.Reads {
		if err := rng(RecordReads, r); err != nil {
			return nil, err
		}
	}
	for _, r := range a.Writes {
		if err := rng(RecordWrites, r); err != nil {
			return nil, err
		}
	}
	if a.BusyNS < 0 {
		return nil, fmt.Errorf("%w: negative busy time %d ns", ErrBuild, a.BusyNS)
	}
	if a.BusyNS > 0 {
		body = append(body, RecordBusy|2<<16, uint32(a.BusyNS), uint32(uint64(a.BusyNS)>>32))
	}
	if a.Label != "" {
		if len(a.Label) > MaxLabel {
			return nil, fmt.Errorf("%w: label of %d bytes (max %d)", ErrBuild, len(a.Label), MaxLabel)
		}
		w := bytesToDwords([]byte(a.Label))
		body = append(body, RecordLabel|uint32(1+len(w))<<16, uint32(len(a.Label)))
		body = append(body, w...)
	}
	if len(body) > maxNOPBody {
		return nil, fmt.Errorf("%w: annotation of %d dwords (max %d)", ErrBuild, len(body), maxNOPBody)
	}
	return body, nil
}

// dwordsToBytes returns the little-endian bytes of w.
func dwordsToBytes(w []uint32) []byte {
	b := make([]byte, 4*len(w))
	for i, d := range w {
		b[4*i] = byte(d)
		b[4*i+1] = byte(d >> 8)
		b[4*i+2] = byte(d >> 16)
		b[4*i+3] = byte(d >> 24)
	}
	return b
}

// bytesToDwords packs b little-endian, zero-padding the last dword.
func bytesToDwords(b []byte) []uint32 {
	w := make([]uint32, (len(b)+3)/4)
	for i, c := range b {
		w[i/4] |= uint32(c) << (8 * (i % 4))
	}
	return w
}
