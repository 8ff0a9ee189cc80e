//go:build chaos

package failpoint_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
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

// TestCrashChainLong crashes one run several times in a row, each time at
// a failpoint and hit chosen by the seed (so also during the restore and
// the first checkpoints after one), then completes it and checks the result.
func TestCrashChainLong(t *testing.T) {
	for _, q := range []string{"q3", "q5", "q8"} {
		for seed := uint64(1); seed <= 10; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", q, seed), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(seed, uint64(q[1])))
				dir := t.TempDir()
				out := filepath.Join(dir, "out.jsonl")
				args := ckptArgs(q, out, filepath.Join(dir, "ckpt"))
				for range 5 {
					fp := failpoint.Names[rng.IntN(len(failpoint.Names))]
					spec := fmt.Sprintf("%s@%d", fp, 1+rng.IntN(8))
					r := run(t, spec, args...)
					switch {
					case r.killed:
						if !strings.Contains(r.stderr, "failpoint "+fp+" hit\n") {
							t.Fatalf("%s: killed without the failpoint line; stderr:\n%s", spec, r.stderr)
						}
						t.Logf("crashed at %s", spec)
					case !r.exited:
						t.Fatalf("%s: strom failed: %v; stderr:\n%s", spec, r.err, r.stderr)
					}
				}
				if r := run(t, "", args...); !r.exited {
					t.Fatalf("the last run failed: %v; stderr:\n%s", r.err, r.stderr)
				}
				checkNoStaged(t, out+".parts")
				checkGolden(t, q, out)
			})
		}
	}
}
