module github.com/vmemu/vmemu

go 1.26
