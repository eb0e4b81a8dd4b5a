package scenario

import (
	"syscall"

	"github.com/vmemu/vmemu/gpu"
)

// op is one compiled command; the runner executes ops in order.
type op interface{ at() *base }

// base is what every op has: where it is and which client runs it.
type base struct {
	pos    Pos
	src    string // the command as written, for logs and labels
	client string
	// fails is the errno the script expects the ioctl to fail with.
	fails syscall.Errno
}

func (b *base) at() *base { return b }

type opDevice struct {
	base
	name, profile string
	vram, gtt     uint64
}

type opClient struct {
	base
	device string
}

type opCtx struct {
	base
	name string
	mode Mode
}

type opBO struct {
	base
	name    string
	size    uint64
	domains uint64
	flags   uint64
}

type opSyncobj struct {
	base
	name     string
	signaled bool
}

type opVA struct {
	base
	op        uint32 // AMDGPU_VA_OP_*
	bo        string // "" for clear
	va, size  uint64
	offset    uint64
	in        []string
	out       string
	point     uint64
	mode      Mode
	readOnly  bool
	labelText string
}

type opIB struct {
	base
	name   string
	bo     string
	offset uint64
	va     uint64
	ip     gpu.IP
	dwords []uint32
	label  string
}

type opSubmit struct {
	base
	name   string
	ctx    string
	ibs    []string
	ring   uint32
	bos    []string // nil: every live BO of the client
	wait   []string
	signal []string
	after  []string
}

type opWait struct {
	base
	jobs []string
}

type opWaitSyncobj struct {
	base
	syncobjs []string
}

type opWaitIdle struct {
	base
	bo string
}

type opFree struct {
	base
	bo string
}

type opWrite struct {
	base
	bo   string
	off  uint64
	data []byte
}

type opRead struct {
	base
	bo   string
	off  uint64
	n    uint64
	want []byte
}

type opSleep struct {
	base
	ns int64
}

type opDrain struct{ base }
