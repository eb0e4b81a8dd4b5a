package pkt

import (
	"errors"
	"fmt"
)

// Sentinel errors. Decode errors are *DecodeError values that wrap one of
// them; compare with errors.Is.
var (
	// ErrTruncated: a packet runs past the end of the IB.
	ErrTruncated = errors.New("truncated packet")
	// ErrBadHeader: a PM4 type-0 or type-1 header, which user IBs cannot
	// carry.
	ErrBadHeader = errors.New("unsupported packet type")
	// ErrBadPacket: a modelled packet whose body is too short for its
	// opcode.
	ErrBadPacket = errors.New("malformed packet")
	// ErrBadAnnotation: a NOP that carries the vmemu annotation magic and
	// version 1 but whose records are malformed.
	ErrBadAnnotation = errors.New("malformed vmemu annotation")
	// ErrUnsupported: a gfx level or SDMA version this package does not
	// model.
	ErrUnsupported = errors.New("not supported")
	// ErrBuild: a builder was given arguments it cannot encode.
	ErrBuild = errors.New("cannot encode")
)

// DecodeError is a decode failure at a dword offset of the IB.
type DecodeError struct {
	Engine Engine
	// Offset is the dword offset of the packet header (or, for an
	// annotation, of the bad record) in the IB.
	Offset int
	// Err is one of the sentinel errors.
	Err error
	// Detail explains the failure.
	Detail string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s: dword %d: %v: %s", e.Engine, e.Offset, e.Err, e.Detail)
}

// Unwrap returns the sentinel.
func (e *DecodeError) Unwrap() error { return e.Err }

func decodeErr(eng Engine, off int, err error, format string, args ...any) error {
	return &DecodeError{Engine: eng, Offset: off, Err: err, Detail: fmt.Sprintf(format, args...)}
}
