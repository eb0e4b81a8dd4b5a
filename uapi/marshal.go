package uapi

// Marshallable is the marshal contract that every struct in this package
// implements; the methods are generated into zz_marshal.go by internal/gen.
// It is the subset of gvisor's pkg/marshal.Marshallable that vmemu needs.
//
// The byte form is the kernel's: little-endian, C layout (x86-64/arm64), with
// the size given by SizeBytes. The methods neither allocate nor use
// reflection; they run on every emulated ioctl.
type Marshallable interface {
	// SizeBytes returns the size of the C struct in bytes. It is safe to call
	// on a nil pointer.
	SizeBytes() int

	// MarshalBytes writes the struct into dst[:SizeBytes()] and returns
	// dst[SizeBytes():]. Padding bytes (blank fields) are written as zero.
	//
	// Preconditions: len(dst) >= SizeBytes(); it panics otherwise, before
	// writing anything.
	MarshalBytes(dst []byte) []byte

	// UnmarshalBytes fills the struct from src[:SizeBytes()] and returns
	// src[SizeBytes():]. Padding bytes (blank fields) are ignored; named
	// padding fields (Pad) are read so that handlers can check them.
	//
	// Preconditions: len(src) >= SizeBytes(); it panics otherwise, before
	// changing the struct. Callers that hold fewer bytes zero-extend them
	// first, as drm_ioctl() does for a caller built against an older,
	// smaller struct.
	UnmarshalBytes(src []byte) []byte

	// Packed reports whether the Go memory layout equals the byte form. The
	// generator rejects implicit padding, so it is true for every type here.
	Packed() bool
}
