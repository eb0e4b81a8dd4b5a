module github.com/vmemu/vmemu

go 1.26.0

require (
	github.com/cockroachdb/datadriven v1.0.3
	github.com/google/btree v1.1.3
	github.com/google/go-cmp v0.7.0
	github.com/spf13/pflag v1.1.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0
)

require github.com/pmezard/go-difflib v1.0.0 // indirect
