// Package kernel is vmemu's real-kernel harness: it holds vmemu against
// the Linux kernel by running the same conformance suite
// (tests/conformance) on both.
//
// Run fetches Debian's kernel packages with apt-get download (cached under
// $XDG_CACHE_HOME/vmemu-kernel or ~/.cache/vmemu-kernel), extracts them
// with dpkg -x, picks the modules with modprobe --show-depends, builds a
// busybox initramfs holding the static conformance test binary, boots it
// under QEMU/TCG with -smp 1 and virtio-gpu-pci, and collects the results
// from a raw virtio disk the guest writes a tar file to. A kernel oops, a
// panic, a failed insmod or a timeout fails the run.
//
// Compare diffs the per-test records (conformance.Record) of a vmemu run
// and a real-kernel run, test by test, against the table of known
// differences in testdata/known_differences.json. ParseFormat reads the
// tracefs format files the harness saves as fixtures (testdata/formats).
//
// docs/kernel-harness.md describes what is compared and why the known
// differences exist; .ci/kernel.sh runs everything.
package kernel
