package conformance

import (
	"slices"
	"strings"
	"testing"
)

// The subtest lists of IGT's four syncobj tests, as their SUBTEST
// documentation blocks and igt_subtest loops name them (igt-gpu-tools,
// tests/syncobj_*.c). TestIGTCatalogue checks that this package has a Go
// subtest of the same name for each of them, and none that IGT lacks.

const igtSyncobjBasic = `
bad-create-flags
bad-destroy
bad-destroy-pad
bad-fd-to-handle
bad-flags-fd-to-handle
bad-flags-handle-to-fd
bad-handle-to-fd
bad-pad-fd-to-handle
bad-pad-handle-to-fd
create-signaled
illegal-fd-to-handle
test-valid-cycle
`

const igtSyncobjEventfd = `
invalid-bad-flags
invalid-illegal-handle
invalid-illegal-eventfd
invalid-bad-pad
binary-wait
binary-wait-before-signal
binary-wait-signaled
timeline-wait
timeline-wait-before-signal
timeline-wait-signaled
`

const igtSyncobjWait = `
invalid-multi-wait-all-unsubmitted
invalid-multi-wait-all-unsubmitted-signaled
invalid-multi-wait-all-unsubmitted-submitted
invalid-multi-wait-all-unsubmitted-submitted-signaled
invalid-multi-wait-unsubmitted
invalid-multi-wait-unsubmitted-signaled
invalid-multi-wait-unsubmitted-submitted
invalid-multi-wait-unsubmitted-submitted-signaled
invalid-reset-bad-pad
invalid-reset-illegal-handle
invalid-reset-one-illegal-handle
invalid-reset-zero-handles
invalid-signal-bad-pad
invalid-signal-illegal-handle
invalid-signal-one-illegal-handle
invalid-signal-zero-handles
invalid-single-wait-all-unsubmitted
invalid-single-wait-unsubmitted
invalid-wait-bad-flags
invalid-wait-illegal-handle
multi-wait-all-for-submit-signaled
multi-wait-all-for-submit-submitted
multi-wait-all-for-submit-submitted-signaled
multi-wait-all-for-submit-unsubmitted
multi-wait-all-for-submit-unsubmitted-signaled
multi-wait-all-for-submit-unsubmitted-submitted
multi-wait-all-signaled
multi-wait-all-submitted
multi-wait-all-submitted-signaled
multi-wait-for-submit-signaled
multi-wait-for-submit-submitted
multi-wait-for-submit-submitted-signaled
multi-wait-for-submit-unsubmitted
multi-wait-for-submit-unsubmitted-signaled
multi-wait-for-submit-unsubmitted-submitted
multi-wait-for-submit-unsubmitted-submitted-signaled
multi-wait-signaled
multi-wait-submitted
multi-wait-submitted-signaled
reset-during-wait-for-submit
reset-multiple-signaled
reset-signaled
reset-unsignaled
signal
single-wait-all-for-submit-signaled
single-wait-all-for-submit-submitted
single-wait-all-for-submit-unsubmitted
single-wait-all-signaled
single-wait-all-submitted
single-wait-for-submit-signaled
single-wait-for-submit-submitted
single-wait-for-submit-unsubmitted
single-wait-signaled
single-wait-submitted
wait-all-complex
wait-all-delayed-signal
wait-all-for-submit-complex
wait-all-for-submit-delayed-submit
wait-all-for-submit-snapshot
wait-all-interrupted
wait-all-snapshot
wait-any-complex
wait-any-interrupted
wait-any-snapshot
wait-delayed-signal
wait-for-submit-complex
wait-for-submit-delayed-submit
wait-for-submit-snapshot
wait-zero-handles
`

const igtSyncobjTimeline = `
32bits-limit
device-signal-unordered
device-submit-unordered
etime-multi-wait-all-available-unsubmitted
etime-multi-wait-all-available-unsubmitted-signaled
etime-multi-wait-all-available-unsubmitted-submitted
etime-multi-wait-all-available-unsubmitted-submitted-signaled
etime-multi-wait-all-for-submit-available-unsubmitted
etime-multi-wait-all-for-submit-available-unsubmitted-signaled
etime-multi-wait-all-for-submit-available-unsubmitted-submitted
etime-multi-wait-all-for-submit-submitted
etime-multi-wait-all-for-submit-submitted-signaled
etime-multi-wait-all-for-submit-unsubmitted
etime-multi-wait-all-for-submit-unsubmitted-signaled
etime-multi-wait-all-for-submit-unsubmitted-submitted
etime-multi-wait-all-for-submit-unsubmitted-submitted-signaled
etime-multi-wait-all-submitted
etime-multi-wait-all-submitted-signaled
etime-multi-wait-available-unsubmitted
etime-multi-wait-for-submit-available-unsubmitted
etime-multi-wait-for-submit-submitted
etime-multi-wait-for-submit-unsubmitted
etime-multi-wait-for-submit-unsubmitted-submitted
etime-multi-wait-submitted
etime-single-wait-all-available-unsubmitted
etime-single-wait-all-for-submit-available-unsubmitted
etime-single-wait-all-for-submit-submitted
etime-single-wait-all-for-submit-unsubmitted
etime-single-wait-all-submitted
etime-single-wait-available-unsubmitted
etime-single-wait-for-submit-available-unsubmitted
etime-single-wait-for-submit-submitted
etime-single-wait-for-submit-unsubmitted
etime-single-wait-submitted
host-signal-ordered
host-signal-points
invalid-multi-wait-all-unsubmitted
invalid-multi-wait-all-unsubmitted-signaled
invalid-multi-wait-all-unsubmitted-submitted
invalid-multi-wait-all-unsubmitted-submitted-signaled
invalid-multi-wait-unsubmitted
invalid-multi-wait-unsubmitted-signaled
invalid-multi-wait-unsubmitted-submitted
invalid-multi-wait-unsubmitted-submitted-signaled
invalid-query-bad-pad
invalid-query-illegal-handle
invalid-query-one-illegal-handle
invalid-query-zero-handles
invalid-signal-bad-pad
invalid-signal-illegal-handle
invalid-signal-illegal-point
invalid-signal-one-illegal-handle
invalid-signal-zero-handles
invalid-single-wait-all-unsubmitted
invalid-single-wait-unsubmitted
invalid-transfer-bad-pad
invalid-transfer-illegal-handle
invalid-transfer-non-existent-point
invalid-wait-bad-flags
invalid-wait-illegal-handle
multi-wait-all-available-signaled
multi-wait-all-available-submitted
multi-wait-all-available-submitted-signaled
multi-wait-all-for-submit-available-signaled
multi-wait-all-for-submit-available-submitted
multi-wait-all-for-submit-available-submitted-signaled
multi-wait-all-for-submit-signaled
multi-wait-all-signaled
multi-wait-available-signaled
multi-wait-available-submitted
multi-wait-available-submitted-signaled
multi-wait-available-unsubmitted-signaled
multi-wait-available-unsubmitted-submitted
multi-wait-available-unsubmitted-submitted-signaled
multi-wait-for-submit-available-signaled
multi-wait-for-submit-available-submitted
multi-wait-for-submit-available-submitted-signaled
multi-wait-for-submit-available-unsubmitted-signaled
multi-wait-for-submit-available-unsubmitted-submitted
multi-wait-for-submit-available-unsubmitted-submitted-signaled
multi-wait-for-submit-signaled
multi-wait-for-submit-submitted-signaled
multi-wait-for-submit-unsubmitted-signaled
multi-wait-for-submit-unsubmitted-submitted-signaled
multi-wait-signaled
multi-wait-submitted-signaled
reset-during-wait-for-submit
reset-multiple-signaled
reset-signaled
reset-unsignaled
signal
signal-array
signal-point-0
single-wait-all-available-signaled
single-wait-all-available-submitted
single-wait-all-for-submit-available-signaled
single-wait-all-for-submit-available-submitted
single-wait-all-for-submit-signaled
single-wait-all-signaled
single-wait-available-signaled
single-wait-available-submitted
single-wait-for-submit-available-signaled
single-wait-for-submit-available-submitted
single-wait-for-submit-signaled
single-wait-signaled
transfer-timeline-point
wait-all-complex
wait-all-delayed-signal
wait-all-for-submit-complex
wait-all-for-submit-delayed-submit
wait-all-for-submit-snapshot
wait-all-interrupted
wait-all-snapshot
wait-any-complex
wait-any-interrupted
wait-any-snapshot
wait-delayed-signal
wait-for-submit-complex
wait-for-submit-delayed-submit
wait-for-submit-snapshot
wait-zero-handles
`

func igtNames(list string) []string { return strings.Fields(list) }

func TestIGTCatalogue(t *testing.T) {
	for _, f := range []struct {
		file string
		igt  string
		subs []subtest
		want int
	}{
		{"syncobj_basic.c", igtSyncobjBasic, syncobjBasicSubtests(), 12},
		{"syncobj_wait.c", igtSyncobjWait, syncobjWaitSubtests(), 69},
		{"syncobj_timeline.c", igtSyncobjTimeline, syncobjTimelineSubtests(), 121},
		{"syncobj_eventfd.c", igtSyncobjEventfd, syncobjEventfdSubtests(), 10},
	} {
		want := igtNames(f.igt)
		var got []string
		for _, s := range f.subs {
			got = append(got, s.name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if len(want) != f.want {
			t.Errorf("%s: the IGT list has %d names, want %d", f.file, len(want), f.want)
		}
		if len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%s: duplicate Go subtest names", f.file)
		}
		for _, n := range want {
			if _, ok := slices.BinarySearch(got, n); !ok {
				t.Errorf("%s: IGT subtest %q has no Go subtest", f.file, n)
			}
		}
		for _, n := range got {
			if _, ok := slices.BinarySearch(want, n); !ok {
				t.Errorf("%s: Go subtest %q is not an IGT subtest", f.file, n)
			}
		}
	}
}

// TestMatrixCounts pins the sizes of the generated families.
func TestMatrixCounts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		m     matrix
		multi bool
		want  int
	}{
		{"syncobj_wait single-wait", binaryMatrix, false, 12},
		{"syncobj_wait multi-wait", binaryMatrix, true, 27},
		{"syncobj_timeline single-wait", timelineMatrix, false, 24},
		{"syncobj_timeline multi-wait", timelineMatrix, true, 55},
	} {
		if got := len(tc.m.cases(tc.multi)); got != tc.want {
			t.Errorf("%s: %d cases, want %d", tc.name, got, tc.want)
		}
	}
}
