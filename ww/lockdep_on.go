//go:build lockdep || invariants

package ww

// lockdepEnabled turns on the validator in lockdep.go. Built with the
// lockdep or invariants tag.
const lockdepEnabled = true
