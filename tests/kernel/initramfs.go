package kernel

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
)

// cpioWriter writes a "newc" cpio archive, the format the kernel unpacks
// an initramfs from.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

func (c *cpioWriter) header(name string, mode uint32, size int) {
	if c.err != nil {
		return
	}
	c.ino++
	name = strings.TrimPrefix(name, "/")
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	buf := []byte(hdr + name + "\x00")
	buf = append(buf, make([]byte, pad4(len(buf)))...)
	_, c.err = c.w.Write(buf)
}

func pad4(n int) int { return (4 - n%4) % 4 }

func (c *cpioWriter) dir(name string) { c.header(name, 0o040755, 0) }

func (c *cpioWriter) file(name string, mode uint32, data []byte) {
	c.header(name, 0o100000|mode, len(data))
	if c.err != nil {
		return
	}
	if _, c.err = c.w.Write(data); c.err == nil {
		_, c.err = c.w.Write(make([]byte, pad4(len(data))))
	}
}

func (c *cpioWriter) trailer() error {
	c.header("TRAILER!!!", 0, 0)
	return c.err
}

// Initramfs is the content of the VM's initramfs: path → (mode, data).
type Initramfs struct {
	files map[string]initFile
}

type initFile struct {
	mode uint32
	data []byte
}

// NewInitramfs returns an empty initramfs.
func NewInitramfs() *Initramfs { return &Initramfs{files: map[string]initFile{}} }

// Add puts data at path.
func (r *Initramfs) Add(p string, mode uint32, data []byte) {
	r.files[path.Clean("/"+p)] = initFile{mode, data}
}

// AddFile copies a host file to path; a .xz file is decompressed (xz -dc)
// and loses its suffix.
func (r *Initramfs) AddFile(p, host string, mode uint32) error {
	var data []byte
	var err error
	if strings.HasSuffix(host, ".xz") {
		data, err = exec.Command("xz", "-dc", host).Output()
		p = strings.TrimSuffix(p, ".xz")
	} else {
		data, err = os.ReadFile(host)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", host, err)
	}
	r.Add(p, mode, data)
	return nil
}

// Paths returns the archive's file paths, sorted.
func (r *Initramfs) Paths() []string {
	var ps []string
	for p := range r.files {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Write writes the archive, gzip-compressed, with every parent directory
// and the empty mount points the init script uses.
func (r *Initramfs) Write(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	c := &cpioWriter{w: zw}
	dirs := map[string]bool{}
	for _, d := range []string{"/bin", "/dev", "/proc", "/sys", "/out", "/tmp"} {
		dirs[d] = true
	}
	for p := range r.files {
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var ds []string
	for d := range dirs {
		ds = append(ds, d)
	}
	sort.Strings(ds) // parents before children
	for _, d := range ds {
		c.dir(d)
	}
	for _, p := range r.Paths() {
		f := r.files[p]
		c.file(p, f.mode, f.data)
	}
	if err := c.trailer(); err != nil {
		return err
	}
	return zw.Close()
}

// Bytes returns the gzip-compressed archive.
func (r *Initramfs) Bytes() ([]byte, error) {
	var b bytes.Buffer
	err := r.Write(&b)
	return b.Bytes(), err
}

// InitScript is the VM's /init. It loads the modules, saves the tracefs
// formats of the GPU-related event systems, runs the conformance suite
// against virtio-gpu's render node (fences from vgem) and its syncobj-less
// baseline against vgem, and writes /out as a tar file to the raw virtio
// disk /dev/vda. Markers on the console: HARNESS_DONE, INSMOD_FAIL.
const InitScript = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing
for m in $(cat /insmod.list); do insmod $m || echo "INSMOD_FAIL $m"; done
echo "HARNESS: modules loaded"
uname -r > /out/uname.txt
for sys in amdgpu gpu_scheduler dma_fence drm; do
	for d in /sys/kernel/tracing/events/$sys/*; do
		[ -f $d/format ] || continue
		mkdir -p /out/formats/$sys
		cat $d/format > /out/formats/$sys/$(basename $d)
	done
done
RENDER=""
VGEM=""
for n in /sys/class/drm/renderD* /sys/class/drm/card[0-9] /sys/class/drm/card[0-9][0-9]; do
	[ -e $n ] || continue
	drv=$(basename "$(readlink $n/device/driver)")
	echo "$(basename $n) driver=$drv" >> /out/dri.txt
	# virtio-gpu's DRM device hangs off its PCI device (driver virtio-pci);
	# vgem's is a platform device without a driver.
	case "$(basename $n):$drv" in
	renderD*:virtio*) RENDER=/dev/dri/$(basename $n) ;;
	card*:) VGEM=/dev/dri/$(basename $n) ;;
	esac
done
echo "HARNESS: render=$RENDER vgem=$VGEM"
echo "render=$RENDER vgem=$VGEM" >> /out/dri.txt
export VMEMU_CONFORMANCE_VGEM=$VGEM
# TCG runs the guest's timers milliseconds late: triple IGT's 100 ms margins.
export VMEMU_CONFORMANCE_TIME_SCALE=3
if [ -n "$RENDER" ]; then
	VMEMU_CONFORMANCE_DRM=$RENDER VMEMU_CONFORMANCE_OUT=/out/results.jsonl \
		/conformance.test -test.v -test.count=1 -test.timeout=12m > /out/conformance.txt 2>&1
	echo "HARNESS: conformance exit $?"
else
	echo "HARNESS_FAIL: no virtio-gpu render node"
fi
VMEMU_CONFORMANCE_DRM=$VGEM VMEMU_CONFORMANCE_OUT=/out/baseline-vgem.jsonl \
	/conformance.test -test.v -test.count=1 -test.run '^TestNoSyncobjDriver$' > /out/baseline-vgem.txt 2>&1
echo "HARNESS: baseline exit $?"
dmesg > /out/dmesg.txt
tar cf /dev/vda -C /out . && sync
echo HARNESS_DONE
poweroff -f
`
