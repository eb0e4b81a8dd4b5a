package dispatch

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/usermem"
)

// Reference: drm_ioctl() and drm_ioctl_permit() in drivers/gpu/drm/drm_ioctl.c.

const (
	dirNone  = 0
	dirW     = 1 // _IOC_WRITE: IN
	dirR     = 2 // _IOC_READ: OUT
	dirWR    = 3
	testType = 'd'
)

func req(dir, nr, size uint32) uint32 { return dir<<30 | size<<16 | testType<<8 | nr }

type call struct {
	buf  []byte
	seen int
}

// echo copies the first 8 bytes to bytes 8..16 and records the buffer.
func echo(c *call, s *State) error {
	c.buf = append([]byte(nil), s.Buf...)
	copy(s.Buf[8:16], s.Buf[0:8])
	c.seen++
	return nil
}

func fail(c *call, s *State) error {
	binary.LittleEndian.PutUint32(s.Buf, 0xabcd)
	c.seen++
	return errno.ENOENT
}

func internal(c *call, s *State) error { return errors.New("plumbing") }

func newTestTable() *Table[*call] {
	return NewTable[*call](
		[]Desc[*call]{
			{Name: "ECHO", Req: req(dirWR, 0x01, 16), Flags: DRM_RENDER_ALLOW, Fn: echo},
			{Name: "FAIL", Req: req(dirWR, 0x02, 8), Flags: DRM_RENDER_ALLOW, Fn: fail},
			{Name: "MASTER", Req: req(dirWR, 0x03, 8), Flags: DRM_MASTER, Fn: echo},
			{Name: "NORENDER", Req: req(dirWR, 0x04, 8), Flags: 0, Fn: echo},
			{Name: "UNBUILT", Req: req(dirWR, 0x05, 8), Flags: DRM_RENDER_ALLOW},
			{Name: "WONLY", Req: req(dirW, 0x06, 16), Flags: DRM_RENDER_ALLOW, Fn: echo},
			{Name: "INTERNAL", Req: req(dirWR, 0x07, 8), Flags: DRM_RENDER_ALLOW, Fn: internal},
		},
		[]Desc[*call]{
			{Name: "DRV", Req: req(dirWR, 0x41, 16), Flags: DRM_AUTH | DRM_RENDER_ALLOW, Fn: echo},
		})
}

func TestIoctlRules(t *testing.T) {
	tab := newTestTable()
	render := Client{Render: true}
	const addr = 0x10000
	for _, tc := range []struct {
		name    string
		client  Client
		req     uint32
		user    []byte // caller's memory at addr
		want    error
		wantBuf []byte // kernel buffer the handler saw (nil: not called)
		wantMem []byte // caller's memory afterwards
	}{
		{name: "wrong type → ENOTTY", client: render, req: 'x'<<8 | 0x01 | 3<<30 | 16<<16,
			user: make([]byte, 16), want: errno.ENOTTY, wantMem: make([]byte, 16)},
		{name: "hole → EINVAL", client: render, req: req(dirWR, 0x08, 8),
			user: make([]byte, 8), want: errno.EINVAL, wantMem: make([]byte, 8)},
		{name: "past core table → EINVAL", client: render, req: req(dirWR, 0x30, 8),
			user: make([]byte, 8), want: errno.EINVAL, wantMem: make([]byte, 8)},
		{name: "past driver table → EINVAL", client: render, req: req(dirWR, 0x50, 8),
			user: make([]byte, 8), want: errno.EINVAL, wantMem: make([]byte, 8)},
		{name: "exact size", client: render, req: req(dirWR, 0x01, 16),
			user:    []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0},
			wantBuf: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0},
			wantMem: []byte{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}},
		{name: "short struct is zero-extended and only its size copied out", client: render, req: req(dirWR, 0x01, 8),
			user:    []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9},
			wantBuf: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0},
			wantMem: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9}},
		{name: "long struct tail is seen and copied back unchanged", client: render, req: req(dirWR, 0x01, 20),
			user:    []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7, 7},
			wantBuf: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7, 7},
			wantMem: []byte{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 7, 7, 7, 7}},
		{name: "caller IOR only: nothing copied in", client: render, req: req(dirR, 0x01, 16),
			user:    []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0},
			wantBuf: make([]byte, 16),
			wantMem: make([]byte, 16)},
		{name: "kernel IOW: nothing copied out", client: render, req: req(dirWR, 0x06, 16),
			user:    []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0},
			wantBuf: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0},
			wantMem: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0}},
		{name: "failed handler still copies out", client: render, req: req(dirWR, 0x02, 8),
			user: make([]byte, 8), want: errno.ENOENT, wantBuf: []byte{},
			wantMem: []byte{0xcd, 0xab, 0, 0, 0, 0, 0, 0}},
		{name: "master-only on a render node → EACCES", client: render, req: req(dirWR, 0x03, 8),
			user: make([]byte, 8), want: errno.EACCES, wantMem: make([]byte, 8)},
		{name: "master-only as master", client: Client{Master: true}, req: req(dirWR, 0x03, 8),
			user: make([]byte, 8), wantBuf: make([]byte, 8), wantMem: make([]byte, 8)},
		{name: "not render-allowed → EACCES", client: render, req: req(dirWR, 0x04, 8),
			user: make([]byte, 8), want: errno.EACCES, wantMem: make([]byte, 8)},
		{name: "auth on a primary node without authentication → EACCES", client: Client{}, req: req(dirWR, 0x41, 16),
			user: make([]byte, 16), want: errno.EACCES, wantMem: make([]byte, 16)},
		{name: "unbuilt render-allowed ioctl → EINVAL", client: render, req: req(dirWR, 0x05, 8),
			user: make([]byte, 8), want: errno.EINVAL, wantMem: make([]byte, 8)},
		{name: "internal error → EINVAL", client: render, req: req(dirWR, 0x07, 8),
			user: make([]byte, 8), want: errno.EINVAL, wantMem: make([]byte, 8)},
		{name: "driver range", client: render, req: req(dirWR, 0x41, 16),
			user:    []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			wantBuf: []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			wantMem: []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mem usermem.Sandbox
			user := append([]byte(nil), tc.user...)
			if err := mem.Map(addr, user); err != nil {
				t.Fatal(err)
			}
			c := &call{}
			var reported []string
			err := tab.Ioctl(c, tc.client, &mem, tc.req, addr, func(name string, err error) { reported = append(reported, name) })
			if err != tc.want {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil {
				var e syscall.Errno
				if !errors.As(err, &e) {
					t.Fatalf("error %T is not a syscall.Errno", err)
				}
			}
			if tc.wantBuf != nil && len(tc.wantBuf) > 0 && string(c.buf) != string(tc.wantBuf) {
				t.Errorf("handler saw %v, want %v", c.buf, tc.wantBuf)
			}
			if tc.wantBuf == nil && c.seen != 0 {
				t.Errorf("handler ran, want not")
			}
			if string(user) != string(tc.wantMem) {
				t.Errorf("memory = %v, want %v", user, tc.wantMem)
			}
			if (tc.name == "internal error → EINVAL" || tc.name == "unbuilt render-allowed ioctl → EINVAL") != (len(reported) == 1) {
				t.Errorf("reported = %v", reported)
			}
		})
	}
}

func TestIoctlFaults(t *testing.T) {
	tab := newTestTable()
	c := &call{}
	var mem usermem.Sandbox
	// Nothing mapped: copy-in faults before the permission check.
	if err := tab.Ioctl(c, Client{Render: true}, &mem, req(dirWR, 0x04, 8), 0x1000, nil); err != errno.EFAULT {
		t.Errorf("copy-in fault before permission: got %v, want EFAULT", err)
	}
	if c.seen != 0 {
		t.Error("handler ran after a copy-in fault")
	}
	// IOR-only caller on an unmapped address: the handler runs, copy-out
	// fails → EFAULT.
	if err := tab.Ioctl(c, Client{Render: true}, &mem, req(dirR, 0x01, 16), 0x1000, nil); err != errno.EFAULT {
		t.Errorf("copy-out fault: got %v, want EFAULT", err)
	}
	if c.seen != 1 {
		t.Errorf("handler ran %d times, want 1", c.seen)
	}
}

func TestNewTablePanicsOnDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on a duplicate nr")
		}
	}()
	NewTable[*call]([]Desc[*call]{{Name: "A", Req: req(dirWR, 1, 8)}, {Name: "B", Req: req(dirWR, 1, 8)}}, nil)
}

func FuzzIoctl(f *testing.F) {
	f.Add(uint32(req(dirWR, 0x01, 16)), []byte{1, 2, 3})
	f.Add(uint32(0xffffffff), []byte{})
	tab := newTestTable()
	f.Fuzz(func(t *testing.T, r uint32, data []byte) {
		var mem usermem.Sandbox
		buf := make([]byte, 1<<14)
		copy(buf, data)
		if err := mem.Map(0x10000, buf); err != nil {
			t.Fatal(err)
		}
		err := tab.Ioctl(&call{}, Client{Render: true}, &mem, r, 0x10000, nil)
		if err != nil {
			var e syscall.Errno
			if !errors.As(err, &e) {
				t.Fatalf("non-errno error %v", err)
			}
		}
	})
}
