package expr

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/table"
)

// reviewZones lists the zones of the system's zoneinfo.
func reviewZones(t *testing.T) []string {
	var zs []string
	root := "/usr/share/zoneinfo"
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		n := strings.TrimPrefix(p, root+"/")
		if strings.HasPrefix(n, "posix") || strings.HasPrefix(n, "right") || strings.Contains(n, ".") || n[0] < 'A' || n[0] > 'Z' {
			return nil
		}
		if _, err := time.LoadLocation(n); err == nil {
			zs = append(zs, n)
		}
		return nil
	})
	if len(zs) == 0 {
		t.Skip("no zoneinfo")
	}
	return zs
}

// TestReviewDateFormatCacheAllZones: every zone, years 1700-2300 (LMT
// offsets with seconds, the tz rule past the last transition), walks and
// jumps; the cached result must be the per-row text.
func TestReviewDateFormatCacheAllZones(t *testing.T) {
	pats := []string{"yyyy-MM-dd HH:mm:ss z", "HH:mm XXX", "h a Z", "yyyy-MM-dd", "mm:ss", "D E u k K"}
	rnd := rand.New(rand.NewSource(3))
	for _, zn := range reviewZones(t) {
		loc, _ := time.LoadLocation(zn)
		for _, pat := range pats {
			toks, _ := parsePattern(pat)
			for _, typ := range []table.Type{table.TimestampLTZType(3), table.TimestampType(9)} {
				c := newDTCache(toks, typ, loc)
				start := time.Date(1700+rnd.Intn(600), time.Month(1+rnd.Intn(12)), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
				ms := start
				for k := range 300 {
					switch k % 3 {
					case 0:
						ms += rnd.Int63n(2 * 3_600_000)
					case 1:
						ms -= rnd.Int63n(3_600_000)
					default:
						ms += rnd.Int63n(40 * 86_400_000)
					}
					x := table.Timestamp(ms, int32(rnd.Intn(1_000_000)))
					got := c.format(x)
					wms, ns, off, z := wallOf(x, typ, loc)
					if want := formatDT(toks, wms, ns, off, z); got.AsString() != want {
						t.Fatalf("%s %q %s at %d: cached %q, per row %q", zn, pat, typ, ms, got.AsString(), want)
					}
				}
			}
		}
	}
}

// TestReviewDateFormatCacheConcurrent: one cache, several goroutines
// formatting different instants at once.
func TestReviewDateFormatCacheConcurrent(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	toks, _ := parsePattern("yyyy-MM-dd HH:mm z")
	typ := table.TimestampLTZType(3)
	c := newDTCache(toks, typ, loc)
	base := time.Date(2024, 11, 3, 4, 0, 0, 0, time.UTC).UnixMilli()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(int64(g)))
			for range 20000 {
				ms := base + rnd.Int63n(4*3_600_000)
				x := table.TimestampMillis(ms)
				got := c.format(x)
				wms, ns, off, z := wallOf(x, typ, loc)
				if want := formatDT(toks, wms, ns, off, z); got.AsString() != want {
					errs <- got.AsString() + " want " + want
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
