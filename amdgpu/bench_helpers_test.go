package amdgpu_test

import "github.com/vmemu/vmemu/syncobj"

func waitArgs(handles uint64) syncobj.WaitArgs {
	return syncobj.WaitArgs{Handles: handles, CountHandles: 1}
}
