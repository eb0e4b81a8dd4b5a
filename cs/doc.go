// Package cs is command submission: contexts (struct amdgpu_ctx,
// amdgpu_ctx.c), BO lists (amdgpu_bo_list.c), the CS ioctl with its chunks
// and sync policies (amdgpu_cs.c, amdgpu_sync.c), WAIT_CS, WAIT_FENCES and
// FENCE_TO_HANDLE.
package cs
