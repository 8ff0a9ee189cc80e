package journal

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The golden files pin the v1 layouts of docs/format/journal.md: a change
// of encoding fails here and comes with a new version number.
func TestGoldenFiles(t *testing.T) {
	recs := []Record{
		{Key: []byte("k"), Value: []byte("hello"), Timestamp: 1_700_000_000_000},
		{Key: nil, Value: []byte{}, Headers: []Header{{Key: "h", Value: []byte("v")}, {Key: "n", Value: nil}}, Timestamp: 1_699_999_999_999},
	}
	s := newSegment(40, newClock().Now())
	s.add(batchInfo{size: 100, base: 40, count: 2, maxTs: 7}, 0, 4096)
	s.add(batchInfo{size: 5000, base: 42, count: 3, maxTs: 9}, 100, 64)
	idx, tidx := s.encodeIndexes()
	for name, data := range map[string][]byte{
		"batch-v1.bin":      encodeAt(recs, 40),
		"index-v1.bin":      idx,
		"timeindex-v1.bin":  tidx,
		"group-v1.bin":      encodeGroup(map[TopicPartition]int64{{"t", 0}: 5, {"t", 1}: 9}),
		"topic-meta-v1.bin": encodeEnvelope(magicTopic, []byte{0, 0, 0, 3}),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s: the encoding changed (a new format version, or -update):\n got %x\nwant %x", name, data, want)
		}
	}
	b, _ := os.ReadFile(filepath.Join("testdata", "batch-v1.bin"))
	ms, err := DecodeBatch(b, 0)
	if err != nil || len(ms) != 2 || !sameRecord(ms[1].Record, recs[1]) || ms[1].Offset != 41 {
		t.Fatalf("golden batch decodes to %+v, %v", ms, err)
	}
}
