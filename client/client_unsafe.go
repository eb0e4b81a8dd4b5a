// Package client is a small libdrm_amdgpu-like layer over an amdgpu.File,
// for Go test clients, scenarios and the demo: buffer objects, VA
// mappings, contexts, command submission with IBs built by package pkt,
// waits, and sync objects. Every call is a real ioctl through File.Ioctl
// with the kernel's structs, so what a client does here is what a C
// program would do through libdrm.
package client

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/vmemu/vmemu/amdgpu"
	"github.com/vmemu/vmemu/uapi"
	"github.com/vmemu/vmemu/usermem"
)

// Client wraps one open DRM file.
type Client struct {
	F *amdgpu.File
}

// New opens a file on dev.
func New(dev *amdgpu.Device) (*Client, error) {
	f, err := dev.Open()
	if err != nil {
		return nil, err
	}
	return &Client{F: f}, nil
}

func (c *Client) ioctl(req uint32, arg unsafe.Pointer, name string) error {
	if err := c.F.Ioctl(uintptr(req), arg); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// CreateBO is amdgpu_bo_alloc(): GEM_CREATE.
func (c *Client) CreateBO(size uint64, domains, flags uint64) (uint32, error) {
	a := uapi.GemCreateIn{BOSize: size, Alignment: 4096, Domains: domains, DomainFlags: flags}
	if err := c.ioctl(uapi.DRM_IOCTL_AMDGPU_GEM_CREATE, unsafe.Pointer(&a), "GEM_CREATE"); err != nil {
		return 0, err
	}
	return (*uapi.GemCreateOut)(unsafe.Pointer(&a)).Handle, nil
}

// CloseBO is GEM_CLOSE.
func (c *Client) CloseBO(h uint32) error {
	a := uapi.GemClose{Handle: h}
	return c.ioctl(uapi.DRM_IOCTL_GEM_CLOSE, unsafe.Pointer(&a), "GEM_CLOSE")
}

// VAOp describes one GEM_VA call.
type VAOp struct {
	Op        uint32 // AMDGPU_VA_OP_*
	Handle    uint32
	VA, Size  uint64
	Offset    uint64
	Flags     uint32 // AMDGPU_VM_*; 0 means readable|writeable
	OutSync   uint32 // vm_timeline_syncobj_out
	OutPoint  uint64
	InSyncobj []uint32
}

// GemVA is amdgpu_bo_va_op_raw2(): GEM_VA.
func (c *Client) GemVA(op VAOp) error { return c.gemVA(&op) }

func (c *Client) gemVA(op *VAOp) error {
	flags := op.Flags
	if flags == 0 && (op.Op == uapi.AMDGPU_VA_OP_MAP || op.Op == uapi.AMDGPU_VA_OP_REPLACE) {
		flags = uapi.AMDGPU_VM_PAGE_READABLE | uapi.AMDGPU_VM_PAGE_WRITEABLE
	}
	// The argument must live on the heap (File.Ioctl passes its address
	// as an integer): reuse one from a pool rather than allocate one per
	// call, as a C driver reuses its stack. No defer: Ioctl does not
	// panic on any argument, and this is GEM_VA's hot path.
	a := gemVAArgs.Get().(*uapi.GemVA)
	*a = uapi.GemVA{Handle: op.Handle, Operation: op.Op, Flags: flags, VAAddress: op.VA,
		OffsetInBO: op.Offset, MapSize: op.Size, VMTimelinePoint: op.OutPoint,
		VMTimelineSyncobjOut: op.OutSync, NumSyncobjHandles: uint32(len(op.InSyncobj))}
	var in []uint32
	if len(op.InSyncobj) > 0 {
		in = append([]uint32(nil), op.InSyncobj...)
		a.InputFenceSyncobjHandles = uapi.SliceP64(in)
	}
	err := c.ioctl(uapi.DRM_IOCTL_AMDGPU_GEM_VA, unsafe.Pointer(a), "GEM_VA")
	runtime.KeepAlive(in)
	gemVAArgs.Put(a)
	return err
}

// gemVAArgs recycles GemVA's heap-allocated ioctl arguments.
var gemVAArgs = sync.Pool{New: func() any { return new(uapi.GemVA) }}

// Map is GemVA with AMDGPU_VA_OP_MAP of a whole BO range.
func (c *Client) Map(h uint32, va, size uint64, flags uint32) error {
	return c.gemVA(&VAOp{Op: uapi.AMDGPU_VA_OP_MAP, Handle: h, VA: va, Size: size, Flags: flags})
}

// Unmap is GemVA with AMDGPU_VA_OP_UNMAP.
func (c *Client) Unmap(h uint32, va, size uint64, flags uint32) error {
	return c.gemVA(&VAOp{Op: uapi.AMDGPU_VA_OP_UNMAP, Handle: h, VA: va, Size: size, Flags: flags})
}

// CreateContext is amdgpu_cs_ctx_create2(); explicit sets vmemu's
// EXPLICIT context flag (an emulator extension).
func (c *Client) CreateContext(explicit bool) (uint32, error) {
	a := uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_ALLOC_CTX}
	if explicit {
		a.Flags = uapi.AMDGPU_CTX_FLAGS_EXPLICIT_SYNC
	}
	if err := c.ioctl(uapi.DRM_IOCTL_AMDGPU_CTX, unsafe.Pointer(&a), "CTX"); err != nil {
		return 0, err
	}
	return (*uapi.CtxOutAlloc)(unsafe.Pointer(&a)).CtxID, nil
}

// Submission describes one CS.
type Submission struct {
	Ctx uint32
	// IBs: each is a GPU VA, its size in dwords, and its IP.
	IBs []IBRef
	// BOs lists the BO handles of the BO_HANDLES chunk.
	BOs []uint32
	// WaitSyncobjs (SYNCOBJ_IN) and SignalSyncobjs (SYNCOBJ_OUT).
	WaitSyncobjs, SignalSyncobjs []uint32
	// Deps are CS sequence numbers of the same context and IP/ring to wait
	// for (DEPENDENCIES).
	Deps []uint64
}

// IBRef is one IB chunk.
type IBRef struct {
	VA       uint64
	Dwords   uint32
	IP, Ring uint32
}

// Submit is amdgpu_cs_submit_raw2(): CS. It returns the sequence number.
func (c *Client) Submit(s Submission) (uint64, error) {
	// Everything the ioctl reads by address lives in a pooled heap buffer
	// (addresses kept as integers must not move), reused across calls as
	// a C driver reuses its submission arrays.
	sb := submitPool.Get().(*submitBufs)
	defer sb.release()
	for _, ib := range s.IBs {
		b := sb.bytes(uapi.SizeOfCSChunkIB)
		(&uapi.CSChunkIB{VAStart: ib.VA, IBBytes: ib.Dwords * 4, IPType: ib.IP, Ring: ib.Ring}).MarshalBytes(b)
		sb.add(uapi.AMDGPU_CHUNK_ID_IB, b)
	}
	if len(s.BOs) > 0 {
		ents := sb.bytes(len(s.BOs) * uapi.SizeOfBOListEntry)
		for i, h := range s.BOs {
			binary.LittleEndian.PutUint32(ents[i*8:], h)
		}
		b := sb.bytes(uapi.SizeOfBOList)
		(&uapi.BOListIn{BONumber: uint32(len(s.BOs)), BOInfoSize: uapi.SizeOfBOListEntry,
			BOInfoPtr: uapi.P64(usermem.SliceAddr(ents))}).MarshalBytes(b)
		sb.add(uapi.AMDGPU_CHUNK_ID_BO_HANDLES, b)
	}
	sems := func(id uint32, hs []uint32) {
		if len(hs) == 0 {
			return
		}
		b := sb.bytes(4 * len(hs))
		for i, h := range hs {
			binary.LittleEndian.PutUint32(b[4*i:], h)
		}
		sb.add(id, b)
	}
	sems(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_IN, s.WaitSyncobjs)
	sems(uapi.AMDGPU_CHUNK_ID_SYNCOBJ_OUT, s.SignalSyncobjs)
	if len(s.Deps) > 0 && len(s.IBs) > 0 {
		b := sb.bytes(len(s.Deps) * uapi.SizeOfCSChunkDep)
		for i, seq := range s.Deps {
			(&uapi.CSChunkDep{IPType: s.IBs[0].IP, Ring: s.IBs[0].Ring, CtxID: s.Ctx, Handle: seq}).MarshalBytes(b[i*uapi.SizeOfCSChunkDep:])
		}
		sb.add(uapi.AMDGPU_CHUNK_ID_DEPENDENCIES, b)
	}
	// Addresses last: the chunk array no longer grows.
	for i := range sb.chunks {
		ch := &sb.chunks[i]
		ch.hdr.ChunkData = uapi.SliceP64(ch.data)
		sb.ptrs = append(sb.ptrs, uint64(uapi.PtrTo(&ch.hdr)))
	}
	sb.arg = uapi.CSIn{CtxID: s.Ctx, NumChunks: uint32(len(sb.chunks)), Chunks: uapi.SliceP64(sb.ptrs)}
	if err := c.ioctl(uapi.DRM_IOCTL_AMDGPU_CS, unsafe.Pointer(&sb.arg), "CS"); err != nil {
		return 0, err
	}
	return (*uapi.CSOut)(unsafe.Pointer(&sb.arg)).Handle, nil
}

// submitBufs holds one Submit's ioctl memory: the argument, the chunk
// headers and their address array, and an arena for the chunk payloads.
type submitBufs struct {
	arg    uapi.CSIn
	chunks []submitChunk
	ptrs   []uint64
	arena  []byte
}

type submitChunk struct {
	hdr  uapi.CSChunk
	data []byte
}

var submitPool = sync.Pool{New: func() any { return new(submitBufs) }}

// bytes returns n zeroed bytes of the arena. A full arena is replaced,
// not grown: earlier payloads keep the array they were cut from.
func (sb *submitBufs) bytes(n int) []byte {
	if len(sb.arena)+n > cap(sb.arena) {
		sb.arena = make([]byte, 0, max(2*cap(sb.arena), n, 256))
	}
	b := sb.arena[len(sb.arena) : len(sb.arena)+n]
	sb.arena = sb.arena[:len(sb.arena)+n]
	clear(b)
	return b
}

func (sb *submitBufs) add(id uint32, data []byte) {
	sb.chunks = append(sb.chunks, submitChunk{
		hdr: uapi.CSChunk{ChunkID: id, LengthDW: uint32(len(data) / 4)}, data: data})
}

// release empties the buffers and returns them to the pool.
func (sb *submitBufs) release() {
	clear(sb.chunks)
	sb.chunks, sb.ptrs, sb.arena = sb.chunks[:0], sb.ptrs[:0], sb.arena[:0]
	sb.arg = uapi.CSIn{}
	submitPool.Put(sb)
}

// WaitCS is amdgpu_cs_query_fence_status() with an absolute timeout
// (^0 = forever): it reports whether the submission completed.
func (c *Client) WaitCS(ctx, ip, ring uint32, seq uint64, timeout uint64) (bool, error) {
	a := uapi.WaitCSIn{Handle: seq, Timeout: timeout, IPType: ip, Ring: ring, CtxID: ctx}
	if err := c.ioctl(uapi.DRM_IOCTL_AMDGPU_WAIT_CS, unsafe.Pointer(&a), "WAIT_CS"); err != nil {
		return false, err
	}
	return (*uapi.WaitCSOut)(unsafe.Pointer(&a)).Status == 0, nil
}

// WaitIdle is GEM_WAIT_IDLE with an absolute timeout (^0 = forever): it
// reports whether the BO is idle.
func (c *Client) WaitIdle(h uint32, timeout uint64) (bool, error) {
	a := uapi.GemWaitIdleIn{Handle: h, Timeout: timeout}
	if err := c.ioctl(uapi.DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE, unsafe.Pointer(&a), "GEM_WAIT_IDLE"); err != nil {
		return false, err
	}
	return (*uapi.GemWaitIdleOut)(unsafe.Pointer(&a)).Status == 0, nil
}

// CreateSyncobj is SYNCOBJ_CREATE.
func (c *Client) CreateSyncobj(signaled bool) (uint32, error) {
	a := uapi.SyncobjCreate{}
	if signaled {
		a.Flags = uapi.DRM_SYNCOBJ_CREATE_SIGNALED
	}
	if err := c.ioctl(uapi.DRM_IOCTL_SYNCOBJ_CREATE, unsafe.Pointer(&a), "SYNCOBJ_CREATE"); err != nil {
		return 0, err
	}
	return a.Handle, nil
}

// WaitSyncobjs is SYNCOBJ_WAIT (all, absolute timeout; INT64_MAX forever).
func (c *Client) WaitSyncobjs(timeout int64, hs ...uint32) error {
	hh := append([]uint32(nil), hs...)
	a := uapi.SyncobjWait{Handles: uapi.SliceP64(hh), CountHandles: uint32(len(hh)), TimeoutNsec: timeout,
		Flags: uapi.DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL}
	err := c.ioctl(uapi.DRM_IOCTL_SYNCOBJ_WAIT, unsafe.Pointer(&a), "SYNCOBJ_WAIT")
	runtime.KeepAlive(hh)
	return err
}

// Write and Read access a BO through its CPU mapping (the stand-in for
// mmap of GEM_MMAP's offset).
func (c *Client) Write(h uint32, off uint64, p []byte) error {
	v, err := c.F.MapBO(h)
	if err != nil {
		return err
	}
	defer v.Close()
	_, err = v.WriteAt(p, int64(off))
	return err
}

// Read reads a BO through its CPU mapping.
func (c *Client) Read(h uint32, off uint64, p []byte) error {
	v, err := c.F.MapBO(h)
	if err != nil {
		return err
	}
	defer v.Close()
	_, err = v.ReadAt(p, int64(off))
	return err
}

// WriteIB stores IB dwords at off in BO h.
func (c *Client) WriteIB(h uint32, off uint64, dw []uint32) error {
	b := make([]byte, 4*len(dw))
	for i, d := range dw {
		binary.LittleEndian.PutUint32(b[4*i:], d)
	}
	return c.Write(h, off, b)
}

// Export is PRIME_HANDLE_TO_FD: a dma-buf descriptor for BO h.
func (c *Client) Export(h uint32) (int, error) {
	a := uapi.PrimeHandle{Handle: h, Flags: uapi.DRM_CLOEXEC | uapi.DRM_RDWR}
	if err := c.ioctl(uapi.DRM_IOCTL_PRIME_HANDLE_TO_FD, unsafe.Pointer(&a), "PRIME_HANDLE_TO_FD"); err != nil {
		return -1, err
	}
	return int(a.FD), nil
}

// Import is PRIME_FD_TO_HANDLE: a handle in this file for dma-buf fd.
func (c *Client) Import(fd int) (uint32, error) {
	a := uapi.PrimeHandle{FD: int32(fd)}
	if err := c.ioctl(uapi.DRM_IOCTL_PRIME_FD_TO_HANDLE, unsafe.Pointer(&a), "PRIME_FD_TO_HANDLE"); err != nil {
		return 0, err
	}
	return a.Handle, nil
}

// DmaBufSync is DMA_BUF_IOCTL_SYNC on dma-buf fd, as this client.
func (c *Client) DmaBufSync(fd int, flags uint64) error {
	a := uapi.DmaBufSync{Flags: flags}
	if err := c.F.FDIoctl(fd, uintptr(uapi.DMA_BUF_IOCTL_SYNC), unsafe.Pointer(&a)); err != nil {
		return fmt.Errorf("DMA_BUF_IOCTL_SYNC: %w", err)
	}
	return nil
}
