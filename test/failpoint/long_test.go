//go:build chaos

package failpoint_test

import (
	"fmt"
	"testing"

	"github.com/stromio/strom/internal/failpoint"
)

// TestCrashAtEveryFailpointLong is the long tier of RELIABILITY.md P4:
// every failpoint x 10 seeds (the crash hit) with q3 and q5, and the
// commit-related failpoints also with the window join q8.
//
//	go test -tags chaos -timeout 30m -run Long ./test/failpoint/
func TestCrashAtEveryFailpointLong(t *testing.T) {
	for _, fp := range failpoint.Names {
		queries := []string{"q3", "q5"}
		if commitRelated[fp] {
			queries = append(queries, "q8")
		}
		for _, q := range queries {
			for seed := uint64(1); seed <= 10; seed++ {
				t.Run(fmt.Sprintf("%s/%s/seed=%d", fp, q, seed), func(t *testing.T) { scenario(t, q, fp, 100+seed) })
			}
		}
	}
}
