package e2e

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/vmemu/vmemu/errno"
	"github.com/vmemu/vmemu/pkt"
	"github.com/vmemu/vmemu/uapi"
)

// A job that runs past the ring's timeout (10 s on gfx) is a hang:
// its fence gets -ETIME, WAIT_CS returns it, the context is guilty
// (QUERY_STATE2 GUILTY|RESET, the next CS ECANCELED, as
// amdgpu_cs_parser_init() answers a guilty context).
func TestHangMakesContextGuilty(t *testing.T) {
	e := setup(t, false)
	for _, m := range []struct {
		h  uint32
		va uint64
	}{{e.data, dataVA}, {e.ib, ibVA}} {
		if err := e.c.Map(m.h, m.va, 4096, e.vaFlags(false)); err != nil {
			t.Fatal(err)
		}
	}
	var b pkt.PM4
	b.Gfx = pkt.GFX11
	b.Busy(11_000_000_000)
	dw := b.Dwords()
	e.c.WriteIB(e.ib, 0, dw)
	seq := e.submit(uint32(len(dw)))
	if _, err := e.c.WaitCS(e.ctx, uapi.AMDGPU_HW_IP_GFX, 0, seq, forever); !errors.Is(err, errno.ETIME) {
		t.Fatalf("WAIT_CS of the hung job: %v, want ETIME", err)
	}
	q := uapi.CtxIn{Op: uapi.AMDGPU_CTX_OP_QUERY_STATE2, CtxID: e.ctx}
	if err := e.c.F.Ioctl(uintptr(uapi.DRM_IOCTL_AMDGPU_CTX), unsafe.Pointer(&q)); err != nil {
		t.Fatal(err)
	}
	st := (*uapi.CtxOutState)(unsafe.Pointer(&q))
	want := uint64(uapi.AMDGPU_CTX_QUERY2_FLAGS_GUILTY | uapi.AMDGPU_CTX_QUERY2_FLAGS_RESET)
	if st.Flags&want != want {
		t.Fatalf("QUERY_STATE2 flags %#x, want %#x set", st.Flags, want)
	}
	if _, err := e.c.Submit(clientSubmission(e, uint32(len(dw)))); !errors.Is(err, errno.ECANCELED) {
		t.Fatalf("CS on a guilty context: %v, want ECANCELED", err)
	}
}
