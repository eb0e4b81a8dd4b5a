// Package scenario is vmemu's scenario language: readable, line-oriented
// scripts of what user space does to an amdgpu device — devices and
// profiles, the synchronisation policy (implicit, EXPLICIT, per-operation
// EXPLICIT), clients (DRM files), contexts, buffer objects, GEM_VA
// operations with in/out syncobjs, command submissions with IBs built from
// PM4/SDMA packets and vmemu annotations, waits, CPU accesses, frees and
// memory pressure — and a runner that executes them through the real ioctl
// path (package client over amdgpu.File) on a virtual clock.
//
// The language is documented with an example per command in
// docs/scenarios.md. In short:
//
//	# comment
//	title "E1: a map the CS does not wait for faults"
//	policy explicit
//	expect faults>=1 forced-waits=0
//	client app
//	ctx gfx
//	bo data size=4K
//	bo cmds size=4K
//	map data va=0x100000
//	map cmds va=0x200000
//	ib draw bo=cmds
//	    write-data data bytes=0102030405060708
//	submit frame ctx=gfx ib=draw
//	wait frame
//
// Parse checks the whole script — syntax, argument types, names declared
// before use, addresses resolvable — and reports every error as
// file:line:col: cause, so nothing runs when a script is wrong. Run then
// executes it; an ioctl error the script did not announce with fails=
// stops the run at that line.
//
// # Policies
//
// "implicit" is upstream amdgpu: no EXPLICIT flag anywhere. "explicit"
// sets vmemu's EXPLICIT context flag and AMDGPU_VM_EXPLICIT_SYNC on every
// GEM_VA, on a device with amdgpu.PolicyNoMixing (rule E0 of DESIGN.md §2).
// "explicit-per-op" sets the same flags on a device with
// amdgpu.PolicyPerOperation. Options.Policy overrides the script's policy
// line, so one script runs under each; mode= on a ctx or GEM_VA command
// pins that operation's mode whatever the policy.
//
// # Determinism
//
// Every device runs on a virtual clock with FailDeadlocks set, so a wait
// that can never end fails (and is reported) instead of hanging, and a run
// is reproducible byte for byte.
package scenario
