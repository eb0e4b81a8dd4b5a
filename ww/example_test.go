package ww_test

import (
	"fmt"

	"github.com/vmemu/vmemu/ww"
)

// bo is a buffer object with a reservation lock.
type bo struct {
	name string
	resv ww.Mutex
}

func (b *bo) WW() *ww.Mutex { return &b.resv }

// Lock a set of BOs with the closure form: Run re-runs the closure with the
// same ticket after contention, the contended BO taken first.
func ExampleExec_Run() {
	bos := []*bo{{name: "pd"}, {name: "vbo"}, {name: "ibo"}}

	e := ww.NewExec(ww.Interruptible|ww.IgnoreDuplicates, len(bos))
	defer e.Fini()
	err := e.Run(func(e *ww.Exec) error {
		for _, b := range bos {
			if err := e.Lock(b); err != nil {
				return err // EDEADLK: Run retries the pass
			}
		}
		return nil
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	// The lock list is the set that receives the job's fence.
	for i, obj := range e.Objects() {
		fmt.Println(i, obj.(*bo).name, obj.WW().Owner() == e.Ticket())
	}
	// Output:
	// 0 pd true
	// 1 vbo true
	// 2 ibo true
}

// The loop form mirrors drm_exec_until_all_locked() and
// drm_exec_retry_on_contention().
func ExampleExec_Retry() {
	a, b := &bo{name: "a"}, &bo{name: "b"}

	e := ww.NewExec(0, 2)
	defer e.Fini()
	for e.Retry() {
		err := e.Lock(a)
		if e.Contended() {
			continue
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		err = e.Lock(b)
		if e.Contended() {
			continue
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
	}
	fmt.Println(e.NumObjects(), a.resv.IsLocked(), b.resv.IsLocked())
	// Output:
	// 2 true true
}
