package journal

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

var (
	seedFlag = flag.Uint64("seed", 0, "replay the randomized journal tests with this seed (0: a new seed)")
	longFlag = flag.Bool("long", false, "run the nightly iteration counts of the journal's reliability tests")
)

// seed returns the test's seed and prints it, so that -seed replays a
// failure.
func seed(t testing.TB) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		s = rand.Uint64()
	}
	t.Logf("seed %d (replay: go test ./journal -run '^%s$' -seed %d)", s, t.Name(), s)
	return s
}

func iterations(short, long int) int {
	if *longFlag {
		return long
	}
	return short
}

// logBuf is a concurrency-safe log sink for checking warnings.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// clock is a manual clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func quietOpts(fsys vfs.FS, logs *logBuf) Options {
	if logs == nil {
		logs = &logBuf{}
	}
	return Options{FS: fsys, Logger: slog.New(slog.NewTextHandler(logs, nil)), RetentionCheck: -1, TransactionCheck: -1}
}

func mustOpen(t testing.TB, dir string, o Options) *Journal {
	t.Helper()
	j, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func mustAppend(t testing.TB, j *Journal, topic string, part int, recs ...Record) Offsets {
	t.Helper()
	off, err := j.Append(context.Background(), topic, part, recs...)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// readAll reads a whole partition from its start.
func readAll(t testing.TB, j *Journal, topic string, part int) []Message {
	t.Helper()
	start, end, err := j.Bounds(topic, part)
	if err != nil {
		t.Fatal(err)
	}
	var out []Message
	for off := start; off < end; {
		ms, err := j.Read(context.Background(), topic, part, off, ReadOptions{MaxBytes: 64 << 10})
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if len(ms) == 0 {
			t.Fatalf("read at %d below the end %d returned nothing", off, end)
		}
		for i, m := range ms {
			if m.Offset != off+int64(i) {
				t.Fatalf("offset %d where %d was expected", m.Offset, off+int64(i))
			}
		}
		out = append(out, ms...)
		off = ms[len(ms)-1].Offset + 1
	}
	return out
}

// randRecord returns a record with a value of 0 to maxValue bytes that
// names seq, and sometimes a key and headers.
func randRecord(rng *rand.Rand, seq int, maxValue int, ts int64) Record {
	v := make([]byte, rng.IntN(maxValue+1))
	for i := range v {
		v[i] = byte(rng.Uint32())
	}
	r := Record{Value: append([]byte(fmt.Sprintf("v%d|", seq)), v...), Timestamp: ts}
	if rng.IntN(2) == 0 {
		r.Key = []byte(fmt.Sprintf("k%d", rng.IntN(100)))
	}
	if rng.IntN(4) == 0 {
		r.Headers = []Header{{Key: "h", Value: []byte{byte(seq)}}}
	}
	return r
}

// seqOf returns the sequence number a randRecord value names.
func seqOf(t testing.TB, v []byte) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(string(v[:bytes.IndexByte(v, '|')]), "v%d", &n); err != nil {
		t.Fatalf("value %q: %v", v, err)
	}
	return n
}

func sameRecord(a, b Record) bool {
	if !bytes.Equal(a.Key, b.Key) || (a.Key == nil) != (b.Key == nil) || !bytes.Equal(a.Value, b.Value) ||
		a.Timestamp != b.Timestamp || len(a.Headers) != len(b.Headers) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i].Key != b.Headers[i].Key || !bytes.Equal(a.Headers[i].Value, b.Headers[i].Value) {
			return false
		}
	}
	return true
}

// putFile writes data durably into a CrashFS.
func putFile(t testing.TB, c vfs.FS, name string, data []byte) {
	t.Helper()
	f, err := c.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// snapshot copies every file below dir of c.
func snapshot(t testing.TB, c vfs.FS, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var walk func(d string)
	walk = func(d string) {
		names, err := c.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			p := d + "/" + n
			if info, err := c.Stat(p); err != nil {
				t.Fatal(err)
			} else if info.IsDir {
				out[p+"/"] = nil
				walk(p)
			} else {
				b, err := vfs.ReadFile(c, p)
				if err != nil {
					t.Fatal(err)
				}
				out[p] = b
			}
		}
	}
	walk(dir)
	return out
}

// restore builds a CrashFS holding files (all durable).
func restore(t testing.TB, files map[string][]byte, seed uint64) *vfs.CrashFS {
	t.Helper()
	c := vfs.NewCrashFS(seed)
	dirs := map[string]bool{".": true}
	for name := range files {
		if err := c.MkdirAll(path.Dir(strings.TrimSuffix(name, "/")), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "/") {
			if err := c.MkdirAll(name, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, data := range files {
		if !strings.HasSuffix(name, "/") {
			putFile(t, c, name, data)
		}
	}
	for name := range files {
		for d := name; d != "." && d != "/" && d != ""; {
			i := strings.LastIndexByte(strings.TrimSuffix(d, "/"), '/')
			if i < 0 {
				d = "."
			} else {
				d = d[:i]
			}
			dirs[d] = true
		}
	}
	for d := range dirs {
		if err := c.SyncDir(d); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
