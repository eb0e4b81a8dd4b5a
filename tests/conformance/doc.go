// Package conformance re-expresses IGT's DRM syncobj tests (tests/
// syncobj_basic.c, syncobj_wait.c, syncobj_timeline.c and syncobj_eventfd.c
// of igt-gpu-tools) as Go tests that talk to a device only through the
// kernel's ioctl interface: request numbers, struct layouts, errnos, real
// file descriptors (sync_files, syncobj fds, eventfds, pipes).
//
// The tests run against a Target. NewVmemuTarget is vmemu's emulated
// amdgpu device, with sw_sync timelines for controllable fences and the
// device's virtual clock for timers. NewDRMTarget is a real render node
// (the path in VMEMU_CONFORMANCE_DRM) with the kernel's sw_sync, or else
// vgem fences exported as sync_files, and CLOCK_MONOTONIC; it is meant to
// run inside the QEMU VM of tests/kernel (spec/feasibility.md §4) and
// skips the tests, with the reason, anywhere else.
//
// With VMEMU_CONFORMANCE_OUT set, every test records its outcome and every
// ioctl result (Record) as a JSON line, on either target, for tests/kernel
// to compare.
//
// docs/conformance.md maps every IGT subtest to the Go test that covers it
// and explains each place where the Go test has to differ from IGT.
package conformance
