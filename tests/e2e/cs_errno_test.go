package e2e

import (
	"encoding/binary"
	"runtime"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/client"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/uapi"
)

// Reference: amdgpu_cs_parser_init(), amdgpu_cs_pass1(), amdgpu_cs_pass2(),
// amdgpu_cs_parser_bos() in drivers/gpu/drm/amd/amdgpu/amdgpu_cs.c: each
// CS check and its errno, first failure wins.

type chunk struct {
	id   uint32
	data []byte
}

func ibChunk(ip, ring, inst uint32, flags uint32) chunk {
	b := make([]byte, uapi.SizeOfCSChunkIB)
	(&uapi.CSChunkIB{VAStart: ibVA, IBBytes: 16, IPType: ip, Ring: ring, IPInstance: inst, Flags: flags}).MarshalBytes(b)
	return chunk{uapi.AMDGPU_CHUNK_ID_IB, b}
}

func u32s(id uint32, vs ...uint32) chunk {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return chunk{id, b}
}

func depChunk(id uint32, ctx uint32, seq uint64) chunk {
	b := make([]byte, uapi.SizeOfCSChunkDep)
	(&uapi.CSChunkDep{CtxID: ctx, Handle: seq}).MarshalBytes(b)
	return chunk{id, b}
}

func syncobjChunk(id uint32, h, flags uint32, point uint64) chunk {
	b := make([]byte, uapi.SizeOfCSChunkSyncobj)
	(&uapi.CSChunkSyncobj{Handle: h, Flags: flags, Point: point}).MarshalBytes(b)
	return chunk{id, b}
}

func boHandlesChunk(hs ...uint32) (chunk, []byte) {
	ents := make([]byte, 8*len(hs))
	for i, h := range hs {
		binary.LittleEndian.PutUint32(ents[8*i:], h)
	}
	b := make([]byte, uapi.SizeOfBOList)
	(&uapi.BOListIn{BONumber: uint32(len(hs)), BOInfoSize: 8, BOInfoPtr: uapi.SliceP64(ents)}).MarshalBytes(b)
	return chunk{uapi.AMDGPU_CHUNK_ID_BO_HANDLES, b}, ents
}

func rawCS(f *amdgpu.File, ctx, boList uint32, chunks ...chunk) error {
	hdrs := make([]uapi.CSChunk, len(chunks))
	ptrs := make([]uint64, len(chunks))
	for i, c := range chunks {
		hdrs[i] = uapi.CSChunk{ChunkID: c.id, LengthDW: uint32(len(c.data) / 4)}
		if len(c.data) > 0 {
			hdrs[i].ChunkData = uapi.SliceP64(c.data)
		}
		ptrs[i] = uint64(uapi.PtrTo(&hdrs[i]))
	}
	in := uapi.CSIn{CtxID: ctx, BOListHandle: boList, NumChunks: uint32(len(chunks))}
	if len(ptrs) > 0 {
		in.Chunks = uapi.SliceP64(ptrs)
	}
	err := f.Ioctl(uintptr(uapi.DRM_IOCTL_AMDGPU_CS), unsafe.Pointer(&in))
	runtime.KeepAlive(chunks)
	runtime.KeepAlive(hdrs)
	return err
}

func TestCSErrnos(t *testing.T) {
	dev, err := amdgpu.New(amdgpu.Config{FailDeadlocks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	c, _ := client.New(dev)
	ctx, _ := c.CreateContext(false)
	page, _ := c.CreateBO(4096, gtt, 0)
	big, _ := c.CreateBO(8192, gtt, 0)
	empty, _ := c.CreateSyncobj(false)
	bl, ents := boHandlesChunk(page)
	defer runtime.KeepAlive(ents)
	gfx := ibChunk(uapi.AMDGPU_HW_IP_GFX, 0, 0, 0)
	fenceChunk := func(h, off uint32) chunk {
		b := make([]byte, uapi.SizeOfCSChunkFence)
		(&uapi.CSChunkFence{Handle: h, Offset: off}).MarshalBytes(b)
		return chunk{uapi.AMDGPU_CHUNK_ID_FENCE, b}
	}
	for _, tc := range []struct {
		name   string
		ctx    uint32
		boList uint32
		chunks []chunk
		want   error
	}{
		{"no chunks", ctx, 0, nil, errno.EINVAL},
		{"unknown context", 99, 0, []chunk{gfx}, errno.EINVAL},
		{"unknown chunk id", ctx, 0, []chunk{gfx, {0x77, nil}}, errno.EINVAL},
		{"short IB chunk", ctx, 0, []chunk{{uapi.AMDGPU_CHUNK_ID_IB, make([]byte, 16)}}, errno.EINVAL},
		{"bad IP type", ctx, 0, []chunk{ibChunk(uapi.AMDGPU_HW_IP_NUM, 0, 0, 0)}, errno.EINVAL},
		{"ip_instance 1", ctx, 0, []chunk{ibChunk(uapi.AMDGPU_HW_IP_GFX, 0, 1, 0)}, errno.EINVAL},
		{"gfx ring 1", ctx, 0, []chunk{ibChunk(uapi.AMDGPU_HW_IP_GFX, 1, 0, 0)}, errno.EINVAL},
		{"no IB", ctx, 0, []chunk{bl}, errno.EINVAL},
		{"two BO lists", ctx, 0, []chunk{gfx, bl, bl}, errno.EINVAL},
		{"BO_HANDLES and a list handle", ctx, 1, []chunk{gfx, bl}, errno.EINVAL},
		{"unknown list handle", ctx, 5, []chunk{gfx}, errno.ENOENT},
		{"user fence unknown BO", ctx, 0, []chunk{gfx, fenceChunk(77, 0)}, errno.EINVAL},
		{"user fence BO not one page", ctx, 0, []chunk{gfx, fenceChunk(big, 0)}, errno.EINVAL},
		{"user fence offset past the page", ctx, 0, []chunk{gfx, fenceChunk(page, 4092)}, errno.EINVAL},
		{"two preemptible DE IBs", ctx, 0, []chunk{ibChunk(0, 0, 0, uapi.AMDGPU_IB_FLAG_PREEMPT), ibChunk(0, 0, 0, uapi.AMDGPU_IB_FLAG_PREEMPT)}, errno.EINVAL},
		{"dependency on an unknown context", ctx, 0, []chunk{gfx, depChunk(uapi.AMDGPU_CHUNK_ID_DEPENDENCIES, 42, 1)}, errno.EINVAL},
		{"dependency on a future submission", ctx, 0, []chunk{gfx, depChunk(uapi.AMDGPU_CHUNK_ID_DEPENDENCIES, ctx, 7)}, errno.EINVAL},
		{"syncobj in: unknown handle", ctx, 0, []chunk{gfx, u32s(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_IN, 99)}, errno.ENOENT},
		{"syncobj in: no fence", ctx, 0, []chunk{gfx, u32s(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_IN, empty)}, errno.EINVAL},
		{"timeline wait: bad flags", ctx, 0, []chunk{gfx, syncobjChunk(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_WAIT, empty, 4, 1)}, errno.EINVAL},
		{"timeline wait: unsubmitted", ctx, 0, []chunk{gfx, syncobjChunk(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_WAIT, empty, 0, 1)}, errno.EINVAL},
		{"syncobj out: unknown handle is EINVAL", ctx, 0, []chunk{gfx, u32s(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_OUT, 99)}, errno.EINVAL},
		{"two out chunks", ctx, 0, []chunk{gfx, u32s(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_OUT, empty), syncobjChunk(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_SIGNAL, empty, 0, 3)}, errno.EINVAL},
		{"shadow chunk with unknown flags", ctx, 0, []chunk{gfx, {uapi.AMDGPU_CHUNK_ID_CP_GFX_SHADOW, make32(2)}}, errno.EINVAL},
		{"valid submission", ctx, 0, []chunk{gfx, bl}, nil},
	} {
		if err := rawCS(c.F, tc.ctx, tc.boList, tc.chunks...); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// make32 is a CP_GFX_SHADOW payload whose flags are v.
func make32(v uint64) []byte {
	b := make([]byte, uapi.SizeOfCSChunkCPGfxShadow)
	binary.LittleEndian.PutUint64(b[24:], v)
	return b
}
