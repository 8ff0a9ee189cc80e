package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/journal"
)

func runJ(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runStdin(context.Background(), append([]string{"journal"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

type consumed struct {
	Partition int                `json:"partition"`
	Offset    int64              `json:"offset"`
	Timestamp int64              `json:"timestamp"`
	Key       *string            `json:"key"`
	Value     json.RawMessage    `json:"value"`
	Headers   map[string]*string `json:"headers"`
}

func parseConsumed(t *testing.T, out string) []consumed {
	t.Helper()
	var recs []consumed
	for l := range strings.Lines(out) {
		var c consumed
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		recs = append(recs, c)
	}
	return recs
}

func TestJournalProduceConsume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "j")
	var in strings.Builder
	for i := range 40 {
		fmt.Fprintf(&in, `{"user":"u%d","n":%d,"ts":%d}`+"\n", i%5, i, 1_000_000+i)
	}
	in.WriteString("\n\"not an object\"\n") // a blank line is skipped; a non-object has no key
	code, out, errs := runJ(t, in.String(), "produce", "--dir", dir, "--topic", "t", "--partitions", "3",
		"--key-field", "user", "--timestamp-field", "ts", "--batch", "7")
	if code != 0 || out != "" {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	if !regexp.MustCompile(`^journal produce: 41 records to topic "t" \(3 partitions\) in \S+; partition \d offsets 0\.\.\d+`).MatchString(errs) {
		t.Fatalf("summary %q", errs)
	}
	code, out, errs = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--from-beginning")
	if code != 0 || errs != "journal consume: 41 records from topic \"t\"\n" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs := parseConsumed(t, out)
	if len(recs) != 41 {
		t.Fatalf("%d records", len(recs))
	}
	partOf := map[string]int{}
	next := map[int]int64{}
	lastN := map[string]int{}
	for _, r := range recs {
		if r.Offset != next[r.Partition] {
			t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
		}
		next[r.Partition]++
		if r.Key == nil {
			if string(r.Value) != `"not an object"` {
				t.Fatalf("keyless record %s", r.Value)
			}
			continue
		}
		var v struct {
			User  string
			N, Ts int
		}
		if err := json.Unmarshal(r.Value, &v); err != nil || v.User != *r.Key || r.Timestamp != int64(v.Ts) || r.Headers == nil {
			t.Fatalf("record %+v (%s): %v", r, r.Value, err)
		}
		if p, ok := partOf[*r.Key]; ok && p != r.Partition {
			t.Fatalf("key %s in partitions %d and %d", *r.Key, p, r.Partition)
		}
		partOf[*r.Key] = r.Partition
		if n, ok := lastN[*r.Key]; ok && v.N <= n {
			t.Fatalf("key %s: %d after %d", *r.Key, v.N, n)
		}
		lastN[*r.Key] = v.N
	}
	if len(next) < 2 {
		t.Fatalf("all records in %d partition(s)", len(next))
	}

	// One partition, --max.
	code, out, _ = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--from-beginning", "--partition", "1", "--max", "2")
	if got := parseConsumed(t, out); code != 0 || len(got) != min(2, int(next[1])) || (len(got) > 0 && got[0].Partition != 1) {
		t.Fatalf("exit %d: %v", code, got)
	}
	// An existing topic with another partition count.
	code, _, errs = runJ(t, "{}\n", "produce", "--dir", dir, "--topic", "t", "--partitions", "2")
	if code != 1 || !strings.Contains(errs, `topic "t" has 3 partitions, not 2`) {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// topics.
	code, out, errs = runJ(t, "", "topics", "--dir", dir)
	if code != 0 || !strings.HasPrefix(out, "TOPIC") || strings.Count(out, "\nt ") != 3 || !strings.Contains(out, " ok\n") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
}

func TestJournalConsumeGroupResumes(t *testing.T) {
	dir := t.TempDir()
	var in strings.Builder
	for i := range 10 {
		fmt.Fprintf(&in, "%d\n", i)
	}
	if code, _, errs := runJ(t, in.String(), "produce", "--dir", dir, "--topic", "t"); code != 0 {
		t.Fatal(errs)
	}
	values := func(out string) string {
		var vs []string
		for _, r := range parseConsumed(t, out) {
			vs = append(vs, string(r.Value))
		}
		return strings.Join(vs, ",")
	}
	code, out, errs := runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--group", "g", "--from-beginning", "--max", "4")
	if code != 0 || values(out) != "0,1,2,3" {
		t.Fatalf("exit %d: %q %s", code, values(out), errs)
	}
	// --from-beginning applies only where the group has no offset.
	code, out, _ = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--group", "g", "--from-beginning")
	if code != 0 || values(out) != "4,5,6,7,8,9" {
		t.Fatalf("exit %d: %q", code, values(out))
	}
	code, out, errs = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--group", "g")
	if code != 0 || out != "" || !strings.Contains(errs, "0 records") {
		t.Fatalf("exit %d: %q %s", code, out, errs)
	}
	// Following from the end (implied): it holds the directory, so another
	// process is refused; Ctrl-C (a canceled context) ends it normally.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errb := &syncBuf{}
	done := make(chan int)
	go func() {
		done <- runStdin(ctx, []string{"journal", "consume", "--dir", dir, "--topic", "t"}, nil, &bytes.Buffer{}, errb)
	}()
	for !strings.Contains(errb.String(), "waiting for new records") {
		time.Sleep(5 * time.Millisecond)
	}
	code, _, errs = runJ(t, "1\n", "produce", "--dir", dir, "--topic", "t")
	if code != 1 || !strings.Contains(errs, "in use by another strom process") {
		t.Fatalf("produce while consuming: exit %d: %s", code, errs)
	}
	cancel()
	if code := <-done; code != 0 || !strings.Contains(errb.String(), "journal consume: 0 records") {
		t.Fatalf("follow: exit %d: %s", code, errb.String())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestJournalProduceBadLine(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runJ(t, "{\"a\":1}\n[2]\n{\"a\":\n{\"a\":4}\n", "produce", "--dir", dir, "--topic", "t")
	want := `strom: line 3: not valid JSON: unexpected end of JSON input (at byte 5); the 2 records of lines 1 to 2 were appended and are acknowledged, nothing from line 3 on was: fix line 3 and send the input from line 3 on again (tail -n +3 FILE), not all of it, or the records before it are appended twice` + "\n"
	if code != 1 || out != "" || errs != want {
		t.Fatalf("exit %d: %q", code, errs)
	}
	// A bad first line: nothing was appended, and nothing is said about lines before it.
	code, _, errs = runJ(t, "{\"a\"\n{\"a\":2}\n", "produce", "--dir", dir, "--topic", "t")
	if want := "strom: line 1: not valid JSON: unexpected end of JSON input (at byte 4); nothing was appended: fix line 1 and send the input again\n"; code != 1 || errs != want {
		t.Fatalf("exit %d: %q, want %q", code, errs, want)
	}
	code, out, _ = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--from-beginning")
	if got := parseConsumed(t, out); code != 0 || len(got) != 2 || string(got[1].Value) != "[2]" {
		t.Fatalf("exit %d: %s", code, out)
	}
	// Usage errors.
	for _, args := range [][]string{
		{"produce", "--topic", "t"},
		{"produce", "--dir", dir},
		{"consume", "--dir", dir, "--topic", "t", "--max", "-1"},
		{"truncate", "--dir", dir, "--topic", "t", "--at", "1"},
		{"verify"},
	} {
		if code, _, errs := runJ(t, "", args...); code != 2 || !strings.Contains(errs, "--help") {
			t.Errorf("%v: exit %d: %s", args, code, errs)
		}
	}
	if code, _, errs := runJ(t, "", "consume", "--dir", dir, "--topic", "nope"); code != 1 || !strings.Contains(errs, `no topic "nope" in `+dir+`: strom journal topics --dir `+dir+` lists the topics`) {
		t.Errorf("unknown topic: exit %d: %s", code, errs)
	}
}

// verify on a clean journal, then on one with a bit flipped in a sealed
// segment: exit 1 naming the file, byte and offset; consume prints the
// records before the damage and fails loudly (quarantine); an Open that
// scans the segment refuses appends to the partition; truncate --dry-run,
// then truncate, then verify passes and produce works again.
func TestJournalVerifyTruncate(t *testing.T) {
	dir := t.TempDir()
	var in strings.Builder
	for i := range 30 {
		fmt.Fprintf(&in, `{"n":%d,"pad":"%s"}`+"\n", i, strings.Repeat("x", 40))
	}
	// Batches of 10 records (about 640 bytes), one per segment.
	if code, _, errs := runJ(t, in.String(), "produce", "--dir", dir, "--topic", "t", "--batch", "10", "--segment-bytes", "1024"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := runJ(t, "", "verify", "--dir", dir)
	if code != 0 || !strings.Contains(out, `topic "t" partition 0: start 0, end 30, 30 records in 3 batches, 3 segments`) ||
		!strings.HasSuffix(out, "verify: 1 partitions, no damage\n") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	pdir := filepath.Join(dir, "topics", "t", "0")
	seg := filepath.Join(pdir, "00000000000000000010.log")
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[50] ^= 1
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runJ(t, "", "verify", "--dir", dir)
	wantLine := fmt.Sprintf("  topic \"t\" partition 0: %s byte 0 (offset 10): sealed segment: journal: corrupt data: batch at offset 10: crc", seg)
	if code != 1 || !strings.Contains(out, "CORRUPT") || !strings.Contains(out, wantLine) ||
		!strings.Contains(out, "strom journal truncate --dir "+dir+" --topic t --partition 0 --at 10") ||
		!strings.Contains(errs, "corruption found in 1 of 1 partitions") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	// The segment's index is intact, so Open trusts it; the read meets the
	// damage.
	code, out, errs = runJ(t, "", "consume", "--dir", dir, "--topic", "t", "--from-beginning")
	if code != 1 || len(parseConsumed(t, out)) != 10 || !strings.Contains(errs, "quarantined") ||
		!strings.Contains(errs, "--at 10") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// Without the index Open scans the segment and quarantines the
	// partition: appends to it fail, other topics work.
	if err := os.Remove(filepath.Join(pdir, "00000000000000000010.index")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs = runJ(t, "{}\n", "produce", "--dir", dir, "--topic", "t"); code != 1 || !strings.Contains(errs, "quarantined") || !strings.Contains(errs, "no line was") {
		t.Fatalf("produce to a quarantined partition: exit %d: %s", code, errs)
	}
	if code, _, errs = runJ(t, "{}\n", "produce", "--dir", dir, "--topic", "other"); code != 0 {
		t.Fatalf("produce to another topic: exit %d: %s", code, errs)
	}
	if code, out, _ = runJ(t, "", "topics", "--dir", dir); code != 0 || !strings.Contains(out, "quarantined at offset 10 ("+seg+" byte 0)") {
		t.Fatalf("topics: exit %d: %s", code, out)
	}
	last := filepath.Join(pdir, "00000000000000000020.log")
	st, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = runJ(t, "", "truncate", "--dir", dir, "--topic", "t", "--partition", "0", "--at", "10", "--dry-run")
	wantDry := fmt.Sprintf("journal truncate: topic \"t\" partition 0: would drop %d bytes from offset 10 on: 10 records in valid batches, %d bytes of damaged data\n  cut %s at byte 0\n  remove %s\n",
		int64(len(b))+st.Size(), len(b), seg, last)
	if code != 0 || out != wantDry {
		t.Fatalf("exit %d:\n%s\nwant\n%s", code, out, wantDry)
	}
	if code, out, errs = runJ(t, "", "truncate", "--dir", dir, "--topic", "t", "--partition", "0", "--at", "10"); code != 0 || !strings.Contains(out, "now ends at offset 10") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	if code, out, errs = runJ(t, "", "verify", "--dir", dir); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	if code, _, errs = runJ(t, "{}\n", "produce", "--dir", dir, "--topic", "t"); code != 0 || !strings.Contains(errs, "partition 0 offsets 10..10") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// --follow prints records appended while it waits (in-process: another
// process cannot write while it holds the journal) and --max ends it.
func TestJournalConsumeFollow(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(dir, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.CreateTopic("t", 2); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	errb := &syncBuf{}
	done := make(chan error)
	go func() {
		done <- consumeFrom(ctx, j, consumeConfig{Topic: "t", Partition: -1, Max: 3, Group: "g"}, &out, errb)
	}()
	for !strings.Contains(errb.String(), "waiting for new records") {
		time.Sleep(5 * time.Millisecond)
	}
	for i, p := range []int{1, 0, 1} {
		if _, err := j.Append(ctx, "t", p, journal.Record{Value: fmt.Appendf(nil, `{"i":%d}`, i), Headers: []journal.Header{{Key: "h", Value: []byte("v")}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recs := parseConsumed(t, out.String())
	if len(recs) != 3 || recs[0].Headers["h"] == nil || *recs[0].Headers["h"] != "v" {
		t.Fatalf("%s", out.String())
	}
	got, err := j.GroupOffsets("g")
	if err != nil || got[journal.TopicPartition{Topic: "t", Partition: 0}] != 1 || got[journal.TopicPartition{Topic: "t", Partition: 1}] != 2 {
		t.Fatalf("committed %v %v", got, err)
	}
}
