package scenario

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/vmemu/vmemu/errno"
)

// Policy is a synchronisation policy a scenario runs under.
type Policy uint8

const (
	// PolicyDefault means "the script's own policy line" (explicit if it
	// has none) in Options.
	PolicyDefault Policy = iota
	// Implicit is upstream amdgpu: no EXPLICIT flag on any operation.
	Implicit
	// Explicit sets the EXPLICIT context flag and AMDGPU_VM_EXPLICIT_SYNC
	// on a device with amdgpu.PolicyNoMixing (rule E0).
	Explicit
	// ExplicitPerOp sets the same flags on a device with
	// amdgpu.PolicyPerOperation.
	ExplicitPerOp
)

// Policies lists the policies in comparison order.
func Policies() []Policy { return []Policy{Implicit, Explicit, ExplicitPerOp} }

func (p Policy) String() string {
	switch p {
	case Implicit:
		return "implicit"
	case Explicit:
		return "explicit"
	case ExplicitPerOp:
		return "explicit-per-op"
	}
	return "default"
}

// ParsePolicy parses a policy name.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range Policies() {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown policy %q (want implicit, explicit or explicit-per-op)", s)
}

// Mode pins an operation's synchronisation mode.
type Mode uint8

const (
	// ModePolicy follows the run's policy.
	ModePolicy Mode = iota
	// ModeImplicit never sets the EXPLICIT flag.
	ModeImplicit
	// ModeExplicit always sets it.
	ModeExplicit
)

func parseMode(s string) (Mode, error) {
	switch s {
	case "implicit":
		return ModeImplicit, nil
	case "explicit":
		return ModeExplicit, nil
	case "policy":
		return ModePolicy, nil
	}
	return 0, fmt.Errorf("mode must be implicit, explicit or policy, not %q", s)
}

// explicit reports whether an operation of mode m is explicit under p.
func (m Mode) explicit(p Policy) bool {
	switch m {
	case ModeImplicit:
		return false
	case ModeExplicit:
		return true
	}
	return p != Implicit
}

// parseUint parses decimal, 0x hex, 0o octal or 0b binary with optional
// '_' separators.
func parseUint(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// parseSize parses a byte count: 4096, 0x1000, 4K, 4KiB, 2M, 1G.
func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	num := s
	low := strings.ToLower(s)
	for _, u := range []struct {
		suf string
		m   uint64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}} {
		if strings.HasSuffix(low, u.suf) && !strings.HasPrefix(low, "0x") {
			num, mult = s[:len(s)-len(u.suf)], u.m
			break
		}
	}
	v, err := strconv.ParseUint(num, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (4096, 0x1000, 4K, 2M, 1G)", s)
	}
	if v != 0 && v*mult/mult != v {
		return 0, fmt.Errorf("size %q overflows 64 bits", s)
	}
	return v * mult, nil
}

// parseDuration parses a time: 500ns, 20us, 3ms, 1s (a bare number is ns).
func parseDuration(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"ns", 1}, {"us", 1000}, {"µs", 1000}, {"ms", 1000_000}, {"s", 1000_000_000}} {
		if strings.HasSuffix(s, u.suf) {
			num, mult = strings.TrimSuffix(s, u.suf), u.m
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a duration (500ns, 20us, 3ms, 1s)", s)
	}
	if v > (1<<62)/mult {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	return v * mult, nil
}

// parseHex parses bytes written as hex digits: 0102ff (an optional 0x is
// allowed; '_' separators are ignored).
func parseHex(s string) ([]byte, error) {
	t := strings.ReplaceAll(strings.TrimPrefix(s, "0x"), "_", "")
	b, err := hex.DecodeString(t)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%q is not a byte string (hex digits in pairs, e.g. 0102030405060708)", s)
	}
	return b, nil
}

// errnoNames are the errnos a script may expect with fails=.
var errnoNames = map[string]syscall.Errno{
	"EPERM": errno.EPERM, "ENOENT": errno.ENOENT, "EINTR": errno.EINTR, "EIO": errno.EIO,
	"EBADF": errno.EBADF, "EAGAIN": errno.EAGAIN, "ENOMEM": errno.ENOMEM, "EACCES": errno.EACCES,
	"EFAULT": errno.EFAULT, "EBUSY": errno.EBUSY, "EEXIST": errno.EEXIST, "ENODEV": errno.ENODEV,
	"EINVAL": errno.EINVAL, "ENOTTY": errno.ENOTTY, "ENOSPC": errno.ENOSPC, "ERANGE": errno.ERANGE,
	"EDEADLK": errno.EDEADLK, "ENOSYS": errno.ENOSYS, "ENODATA": errno.ENODATA, "ETIME": errno.ETIME,
	"EOPNOTSUPP": errno.EOPNOTSUPP, "ECANCELED": errno.ECANCELED, "ETIMEDOUT": errno.ETIMEDOUT,
}

func parseErrno(s string) (syscall.Errno, error) {
	if e, ok := errnoNames[s]; ok {
		return e, nil
	}
	return 0, fmt.Errorf("unknown errno %q (EINVAL, ENOENT, ENOMEM, ETIME, …)", s)
}

// errnoName returns e's name as the kernel headers spell it.
func errnoName(e syscall.Errno) string {
	for n, v := range errnoNames {
		if v == e {
			return n
		}
	}
	return fmt.Sprintf("errno %d", int(e))
}

// isName reports whether s can name an object: a letter, then letters,
// digits, '_', '-' or '.'.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}
