package cs

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/vmemu/vmemu/bo"
	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/fence"
	"github.com/vmemu/vmemu/gpu"
	"github.com/vmemu/vmemu/syncobj"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// GangSize is AMDGPU_CS_GANG_SIZE (amdgpu_cs.h): the most entities one CS
// may address.
const GangSize = 4

// maxIBs mirrors amdgpu_ring_max_ibs().
func maxIBs(ip uint32) int {
	switch ip {
	case uapi.AMDGPU_HW_IP_GFX:
		return 192
	case uapi.AMDGPU_HW_IP_COMPUTE:
		return 125
	case uapi.AMDGPU_HW_IP_VCN_JPEG:
		return 16
	}
	return 49
}

// Env is what the CS parser reaches in the submitting file.
type Env struct {
	IO   usermem.IO
	Ctxs *Manager
	// LookupBO returns the BO of a GEM handle with a reference the caller
	// owns (drm_gem_object_lookup()), or nil.
	LookupBO func(handle uint32) *bo.BO
	BOLists  *BOLists
	Syncobjs *syncobj.Table
}

// IB is one IB chunk (struct amdgpu_ib as the parser fills it).
type IB struct {
	VA       uint64
	LengthDW uint32
	Flags    uint32
	IP       uint32
}

// Job is one job of the gang (struct amdgpu_job before it is armed).
type Job struct {
	Entity *Entity
	IBs    []IB
}

// PostDep is struct amdgpu_cs_post_dep: an out-syncobj and its point.
type PostDep struct {
	Syncobj *syncobj.Syncobj
	Point   uint64
}

// Parsed is struct amdgpu_cs_parser after passes 1 and 2.
type Parsed struct {
	Ctx    *Context
	Jobs   []*Job
	Leader int
	// BOList is the BO list (BO_HANDLES chunk, bo_list_handle, or empty);
	// the parser holds a reference, dropped by Release.
	BOList *BOList
	// UserFence is the FENCE chunk's BO and offset, if any.
	UserFence       *bo.BO
	UserFenceOffset uint32
	// Deps are the explicit in-fences (p->sync): DEPENDENCIES (finished
	// fences), SCHEDULED_DEPENDENCIES (scheduled fences), SYNCOBJ_IN and
	// SYNCOBJ_TIMELINE_WAIT.
	Deps []*fence.Fence
	// PostDeps are SYNCOBJ_OUT / SYNCOBJ_TIMELINE_SIGNAL targets.
	PostDeps []PostDep
	// Shadow is the CP_GFX_SHADOW chunk, accepted and recorded.
	Shadow *uapi.CSChunkCPGfxShadow
}

// Release drops the references the parser holds (amdgpu_cs_parser_fini()).
func (p *Parsed) Release() {
	if p.BOList != nil {
		p.BOList.Put()
		p.BOList = nil
	}
	for _, d := range p.PostDeps {
		d.Syncobj.Put()
	}
	p.PostDeps = nil
	if p.UserFence != nil {
		p.UserFence.Put()
		p.UserFence = nil
	}
}

type chunk struct {
	id    uint32
	kdata []byte
}

// parseScratch holds what Parse copies in and drops before it returns (the
// kernel's p->chunks and their kdata, freed by amdgpu_cs_parser_fini()):
// the chunk pointer array, the chunks, and one buffer their payloads are
// cut from. Pooled, so that a CS does not allocate them each time.
type parseScratch struct {
	ptrs   []uint64
	chunks []chunk
	data   []byte
	hdr    [uapi.SizeOfCSChunk]byte
}

// maxScratchData and maxScratchChunks bound what a pooled parseScratch
// keeps: a rare huge CS does not pin its buffers in the pool.
const (
	maxScratchData   = 64 << 10
	maxScratchChunks = 1024
)

var scratchPool = sync.Pool{New: func() any { return new(parseScratch) }}

// take returns n bytes of the payload buffer, zeroed.
func (sc *parseScratch) take(n int) []byte {
	if len(sc.data)+n > cap(sc.data) {
		// Earlier chunks keep the old array; only new ones use the new.
		sc.data = make([]byte, 0, max(n, 2*cap(sc.data), 1024))
	}
	start := len(sc.data)
	sc.data = sc.data[:start+n]
	b := sc.data[start : start+n : start+n]
	clear(b)
	return b
}

func (sc *parseScratch) release() {
	clear(sc.chunks) // drop the payload references
	sc.ptrs, sc.chunks, sc.data = sc.ptrs[:0], sc.chunks[:0], sc.data[:0]
	if cap(sc.data) > maxScratchData {
		sc.data = nil
	}
	if cap(sc.ptrs) > maxScratchChunks {
		sc.ptrs, sc.chunks = nil, nil
	}
	scratchPool.Put(sc)
}

// Parse runs amdgpu_cs_parser_init(), amdgpu_cs_pass1() and
// amdgpu_cs_pass2() and the BO-list part of amdgpu_cs_parser_bos(), with
// the kernel's checks and errnos in its order. On error nothing is kept.
func Parse(env Env, in uapi.CSIn) (*Parsed, error) {
	// amdgpu_cs_parser_init()
	if in.NumChunks == 0 {
		return nil, errno.EINVAL
	}
	ctx := env.Ctxs.Get(in.CtxID)
	if ctx == nil {
		return nil, errno.EINVAL
	}
	if ctx.Guilty() {
		return nil, errno.ECANCELED
	}
	p := &Parsed{Ctx: ctx}
	ok := false
	defer func() {
		if !ok {
			p.Release()
		}
	}()

	// amdgpu_cs_pass1(): copy the chunk pointer array, then each chunk.
	if err := usermem.CheckArray(uint64(in.NumChunks), 8, 0); err != nil {
		return nil, err
	}
	sc := scratchPool.Get().(*parseScratch)
	defer sc.release()
	ptrs := slices.Grow(sc.ptrs[:0], int(in.NumChunks))[:in.NumChunks]
	sc.ptrs = ptrs
	if err := usermem.CopyInU64s(env.IO, in.Chunks.Addr(), ptrs); err != nil {
		return nil, errno.EFAULT
	}
	chunks := slices.Grow(sc.chunks[:0], len(ptrs))
	numIBs := [GangSize]int{}
	entities := []*Entity{}
	jobIdx := func(ib *uapi.CSChunkIB) (int, error) {
		// amdgpu_cs_job_idx()
		en, err := ctx.Entity(ib.IPType, ib.IPInstance, ib.Ring)
		if err != nil {
			return 0, err
		}
		for i, e := range entities {
			if e == en {
				return i, nil
			}
		}
		if len(entities) == GangSize {
			return 0, errno.EINVAL
		}
		entities = append(entities, en)
		return len(entities) - 1, nil
	}
	for _, ptr := range ptrs {
		hdr := sc.hdr[:]
		if err := env.IO.CopyIn(ptr, hdr); err != nil {
			return nil, errno.EFAULT
		}
		var uc uapi.CSChunk
		uc.UnmarshalBytes(hdr)
		if err := usermem.CheckArray(uint64(uc.LengthDW), 4, 0); err != nil {
			return nil, err
		}
		c := chunk{id: uc.ChunkID, kdata: sc.take(int(uc.LengthDW) * 4)}
		if err := env.IO.CopyIn(uc.ChunkData.Addr(), c.kdata); err != nil {
			return nil, errno.EFAULT
		}
		size := len(c.kdata)
		switch c.id {
		case uapi.AMDGPU_CHUNK_ID_IB:
			if size < uapi.SizeOfCSChunkIB {
				return nil, errno.EINVAL
			}
			var ib uapi.CSChunkIB
			ib.UnmarshalBytes(c.kdata)
			i, err := jobIdx(&ib) // amdgpu_cs_p1_ib()
			if err != nil {
				return nil, err
			}
			if numIBs[i] >= maxIBs(ib.IPType) {
				return nil, errno.EINVAL
			}
			numIBs[i]++
			p.Leader = i
		case uapi.AMDGPU_CHUNK_ID_FENCE:
			if size < uapi.SizeOfCSChunkFence {
				return nil, errno.EINVAL
			}
			var fc uapi.CSChunkFence
			fc.UnmarshalBytes(c.kdata)
			// amdgpu_cs_p1_user_fence(): one page, offset within it.
			b := env.LookupBO(fc.Handle)
			if b == nil {
				return nil, errno.EINVAL
			}
			if p.UserFence != nil {
				p.UserFence.Put()
			}
			p.UserFence, p.UserFenceOffset = b, fc.Offset
			if b.Size() != bo.PageSize || uint64(fc.Offset) > b.Size()-8 {
				return nil, errno.EINVAL
			}
		case uapi.AMDGPU_CHUNK_ID_BO_HANDLES:
			if size < uapi.SizeOfBOList {
				return nil, errno.EINVAL
			}
			if p.BOList != nil { // only one BO list
				return nil, errno.EINVAL
			}
			var bl uapi.BOListIn
			bl.UnmarshalBytes(c.kdata)
			info, err := CopyInBOListEntries(env.IO, bl)
			if err != nil {
				return nil, err
			}
			l, err := NewBOList(env.LookupBO, info)
			PutBOListEntries(info)
			if err != nil {
				return nil, err
			}
			p.BOList = l
		case uapi.AMDGPU_CHUNK_ID_CP_GFX_SHADOW:
			// spec/uapi.md §2.12: shorter than its struct → EINVAL (older
			// kernels read past the chunk; vmemu checks).
			if size < uapi.SizeOfCSChunkCPGfxShadow {
				return nil, errno.EINVAL
			}
		case uapi.AMDGPU_CHUNK_ID_DEPENDENCIES, uapi.AMDGPU_CHUNK_ID_SYNCOBJ_IN,
			uapi.AMDGPU_CHUNK_ID_SYNCOBJ_OUT, uapi.AMDGPU_CHUNK_ID_SCHEDULED_DEPENDENCIES,
			uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_WAIT, uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_SIGNAL:
		default:
			return nil, errno.EINVAL
		}
		chunks = append(chunks, c)
		sc.chunks = chunks
	}
	if len(entities) == 0 {
		return nil, errno.EINVAL
	}
	for _, en := range entities {
		p.Jobs = append(p.Jobs, &Job{Entity: en})
	}

	// amdgpu_cs_pass2()
	cePreempt, dePreempt := 0, 0
	for _, c := range chunks {
		switch c.id {
		case uapi.AMDGPU_CHUNK_ID_IB:
			var ib uapi.CSChunkIB
			ib.UnmarshalBytes(c.kdata)
			i, err := jobIdx(&ib)
			if err != nil {
				return nil, err
			}
			if ib.IPType == uapi.AMDGPU_HW_IP_GFX && ib.Flags&uapi.AMDGPU_IB_FLAG_PREEMPT != 0 {
				if ib.Flags&uapi.AMDGPU_IB_FLAG_CE != 0 {
					cePreempt++
				} else {
					dePreempt++
				}
				if cePreempt > 1 || dePreempt > 1 {
					return nil, errno.EINVAL
				}
			}
			p.Jobs[i].IBs = append(p.Jobs[i].IBs, IB{VA: ib.VAStart, LengthDW: ib.IBBytes / 4, Flags: ib.Flags, IP: ib.IPType})
		case uapi.AMDGPU_CHUNK_ID_DEPENDENCIES, uapi.AMDGPU_CHUNK_ID_SCHEDULED_DEPENDENCIES:
			// amdgpu_cs_p2_dependencies()
			n := len(c.kdata) / uapi.SizeOfCSChunkDep
			for k := 0; k < n; k++ {
				var d uapi.CSChunkDep
				d.UnmarshalBytes(c.kdata[k*uapi.SizeOfCSChunkDep:])
				f, err := env.Ctxs.LookupFence(uapi.Fence{CtxID: d.CtxID, IPType: d.IPType, IPInstance: d.IPInstance, Ring: d.Ring, SeqNo: d.Handle})
				if err != nil {
					return nil, err
				}
				if f == nil {
					continue
				}
				if c.id == uapi.AMDGPU_CHUNK_ID_SCHEDULED_DEPENDENCIES {
					if j := gpu.JobOf(f); j != nil {
						f = j.Scheduled()
					}
				}
				p.Deps = append(p.Deps, f)
			}
		case uapi.AMDGPU_CHUNK_ID_SYNCOBJ_IN:
			n := len(c.kdata) / uapi.SizeOfCSChunkSem
			for k := 0; k < n; k++ {
				h := binary.LittleEndian.Uint32(c.kdata[k*4:])
				f, err := env.Syncobjs.FindFence(h, 0, 0)
				if err != nil {
					return nil, err
				}
				p.Deps = append(p.Deps, f)
			}
		case uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_WAIT:
			n := len(c.kdata) / uapi.SizeOfCSChunkSyncobj
			for k := 0; k < n; k++ {
				var so uapi.CSChunkSyncobj
				so.UnmarshalBytes(c.kdata[k*uapi.SizeOfCSChunkSyncobj:])
				f, err := env.Syncobjs.FindFence(so.Handle, so.Point, so.Flags)
				if err != nil {
					return nil, err
				}
				p.Deps = append(p.Deps, f)
			}
		case uapi.AMDGPU_CHUNK_ID_SYNCOBJ_OUT, uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_SIGNAL:
			// amdgpu_cs_p2_syncobj_out / _timeline_signal: one such chunk;
			// a missing handle is EINVAL (drm_syncobj_find() → NULL).
			if p.PostDeps != nil {
				return nil, errno.EINVAL
			}
			p.PostDeps = []PostDep{}
			timeline := c.id == uapi.AMDGPU_CHUNK_ID_SYNCOBJ_TIMELINE_SIGNAL
			stride := uapi.SizeOfCSChunkSem
			if timeline {
				stride = uapi.SizeOfCSChunkSyncobj
			}
			n := len(c.kdata) / stride
			for k := 0; k < n; k++ {
				var h uint32
				var point uint64
				if timeline {
					var so uapi.CSChunkSyncobj
					so.UnmarshalBytes(c.kdata[k*stride:])
					h, point = so.Handle, so.Point
				} else {
					h = binary.LittleEndian.Uint32(c.kdata[k*stride:])
				}
				s, err := env.Syncobjs.Lookup(h)
				if err != nil {
					return nil, errno.EINVAL
				}
				p.PostDeps = append(p.PostDeps, PostDep{Syncobj: s, Point: point})
			}
		case uapi.AMDGPU_CHUNK_ID_CP_GFX_SHADOW:
			var sh uapi.CSChunkCPGfxShadow
			sh.UnmarshalBytes(c.kdata)
			if sh.Flags&^uapi.AMDGPU_CS_CHUNK_CP_GFX_SHADOW_FLAGS_INIT_SHADOW != 0 {
				return nil, errno.EINVAL
			}
			p.Shadow = &sh
		}
	}

	// amdgpu_cs_parser_bos(): the BO list from the handle, or an empty one.
	if in.BOListHandle != 0 {
		if p.BOList != nil {
			return nil, errno.EINVAL
		}
		l, err := env.BOLists.Get(in.BOListHandle)
		if err != nil {
			return nil, err
		}
		p.BOList = l
	} else if p.BOList == nil {
		p.BOList = &BOList{refs: 1}
	}
	ok = true
	return p, nil
}
