#!/usr/bin/env bash
# Real-kernel harness (issue 8, docs/kernel-harness.md): boots Debian's
# 6.12 (bookworm-security) and 6.1 kernels under QEMU/TCG with the
# conformance suite, runs the same suite on vmemu, and fails on any
# difference not in tests/kernel/testdata/known_differences.json, on a
# kernel oops/panic, or on a VM timeout.
#
#   .ci/kernel.sh            run and compare
#   .ci/kernel.sh --update   also refresh the fixtures in tests/kernel/testdata
#
# Kernel packages are cached in ${XDG_CACHE_HOME:-~/.cache}/vmemu-kernel.
# Results go to $VMEMU_KERNEL_OUT (default: a new directory under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"

update=0
for a in "$@"; do
	case "$a" in
	--update) update=1 ;;
	*) echo "usage: $0 [--update]" >&2; exit 2 ;;
	esac
done

SECONDS=0
need=()
for p in qemu-system-x86 busybox-static cpio kmod xz-utils file; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
# Fresh package lists: the kernel packages are resolved with apt-cache.
apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "== packages ready (${SECONDS}s)"

export VMEMU_KERNEL=1
export VMEMU_KERNEL_OUT="${VMEMU_KERNEL_OUT:-$(mktemp -d /tmp/vmemu-kernel-out.XXXXXX)}"
if [ "$update" = 1 ]; then
	export VMEMU_KERNEL_UPDATE=1
fi
echo "== harness (results in $VMEMU_KERNEL_OUT)"
if go test -count=1 -timeout 25m -v ./tests/kernel/... 2>&1 | tee "$VMEMU_KERNEL_OUT/harness.log"; then
	status=0
else
	status=$?
fi
echo "== done in ${SECONDS}s (exit $status)"
exit "$status"
