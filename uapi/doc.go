// Package uapi mirrors the Linux user-space ABI that vmemu emulates: the
// amdgpu render-node ioctls, the DRM core and syncobj ioctls, and the dma-buf,
// sync_file and sw_sync ioctls used to move fences between them.
//
// Mirrored headers:
//
//   - include/uapi/drm/amdgpu_drm.h (KMS interface 3.65, mainline; see
//     docs in each file for the few places where linux-next differs)
//   - include/uapi/drm/drm.h (core ioctls and the syncobj UAPI)
//   - include/uapi/linux/dma-buf.h
//   - include/uapi/linux/sync_file.h
//   - the kernel-internal sw_sync ioctls of drivers/dma-buf/sw_sync.c
//     (debugfs sync/sw_sync; there is no uapi header for them)
//
// Kernel-internal constants the ioctl handlers check against
// (AMDGPU_VA_RESERVED_*, AMDGPU_GMC_HOLE_*) come from
// drivers/gpu/drm/amd/amdgpu/amdgpu_vm.h and amdgpu_gmc.h.
//
// # Layout
//
// Layouts are those of x86-64 and arm64 (LP64, little-endian). Every struct
// starts with a structs.HostLayout field, keeps the C field order, and spells
// out every padding byte: C padding fields (_pad, pad) become exported Pad
// fields because handlers must check them, and padding the C compiler inserts
// implicitly becomes a blank _ [N]byte field. A C union becomes one struct per
// arm (GemCreateIn, GemCreateOut) plus a SizeOfX constant for the union (the
// largest arm). Unions with many arms keep the raw bytes and offer typed
// accessors (Info). Struct sizes are ABI: they are encoded in the request
// numbers, and tests check every size, the error-prone offsets and every
// request number against literal values.
//
// Every __u64 that carries a user-space address has the type P64.
//
// # Marshalling
//
// Every struct implements Marshallable (generated into zz_marshal.go by
// internal/gen): SizeBytes, MarshalBytes and UnmarshalBytes, little-endian,
// without reflection or allocation. See Marshallable for the contract.
//
// # Extensions
//
// A few constants are vmemu extensions, not upstream UAPI. They are marked as
// such where they are declared (AMDGPU_VM_EXPLICIT_SYNC,
// AMDGPU_CTX_FLAGS_EXPLICIT_SYNC); a real kernel rejects them with EINVAL, and
// the emulator accepts them only when the device profile enables them.
//
// This package has no behaviour and imports only the standard library.
package uapi

//go:generate go run ./internal/gen -dir . -o zz_marshal.go
