//go:build !lockdep && !invariants

package ww

// lockdepEnabled is false without the lockdep and invariants tags: every
// check in lockdep.go sits behind it and compiles away.
const lockdepEnabled = false
