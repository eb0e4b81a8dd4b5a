// Command vmemu runs the amdgpu VM/CS emulator: scenarios, the demo, device
// information. See README.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	os.Exit(exitCode(err))
}
