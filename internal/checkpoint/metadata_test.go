package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sampleMetadata() *Metadata {
	return &Metadata{
		ID:             42,
		Kind:           Checkpoint,
		TimestampMs:    1_700_000_000_123,
		JobFingerprint: "sha256:0f1e2d",
		MaxParallelism: 128,
		Operators: []OperatorState{
			{
				UID:         "source-1",
				Parallelism: 2,
				Subtasks:    [][]byte{[]byte("split-0@1234"), []byte("split-1@99")},
			},
			{
				UID:         "window-agg",
				Parallelism: 2,
				Keyed: []KeyedFile{
					{Name: "window-agg-0.kg", Start: 0, End: 64, Size: 5000, CRC: 0xdeadbeef},
					{Name: "window-agg-1.kg", Start: 64, End: 128, Size: 3000, CRC: 0x01020304},
				},
			},
			{
				UID:         "sink",
				Parallelism: 1,
				Subtasks:    [][]byte{nil},
			},
		},
	}
}

// equalMetadata compares two metadata values, treating nil and empty
// slices as equal.
func equalMetadata(a, b *Metadata) bool {
	if a.ID != b.ID || a.Kind != b.Kind || a.TimestampMs != b.TimestampMs || a.JobFingerprint != b.JobFingerprint ||
		a.MaxParallelism != b.MaxParallelism || a.Final != b.Final || a.TimersV2 != b.TimersV2 || len(a.Operators) != len(b.Operators) {
		return false
	}
	for i := range a.Operators {
		x, y := a.Operators[i], b.Operators[i]
		if x.UID != y.UID || x.Signature != y.Signature || x.Parallelism != y.Parallelism || len(x.Keyed) != len(y.Keyed) || len(x.Subtasks) != len(y.Subtasks) {
			return false
		}
		for j := range x.Keyed {
			if !reflect.DeepEqual(x.Keyed[j], y.Keyed[j]) {
				return false
			}
		}
		for j := range x.Subtasks {
			if !bytes.Equal(x.Subtasks[j], y.Subtasks[j]) {
				return false
			}
		}
	}
	return true
}

func TestMetadataRoundTrip(t *testing.T) {
	savepoint := sampleMetadata()
	savepoint.Kind, savepoint.Final, savepoint.TimestampMs, savepoint.ID = Savepoint, true, -5, 1<<62
	cases := map[string]*Metadata{
		"sample":       sampleMetadata(),
		"savepoint":    savepoint,
		"no operators": {ID: 1, MaxParallelism: 1},
		"max": {ID: 7, MaxParallelism: MaxKeyGroups, JobFingerprint: strings.Repeat("f", MaxStringLen), Operators: []OperatorState{{
			UID: strings.Repeat("u", MaxStringLen), Parallelism: MaxKeyGroups,
			Keyed: []KeyedFile{{Name: strings.Repeat("n", MaxNameLen), Start: 0, End: MaxKeyGroups, Size: 1 << 40, CRC: 1<<32 - 1}},
		}}},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			data, err := EncodeMetadata(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeMetadata(data)
			if err != nil {
				t.Fatal(err)
			}
			if !equalMetadata(got, m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
			}
			again, _ := EncodeMetadata(got)
			if !bytes.Equal(again, data) {
				t.Fatal("re-encoding the decoded metadata gives other bytes")
			}
		})
	}
}

// TestMetadataDecodeCopies checks that the decoded metadata does not alias
// the input buffer.
func TestMetadataDecodeCopies(t *testing.T) {
	data, _ := EncodeMetadata(sampleMetadata())
	m, err := DecodeMetadata(data)
	if err != nil {
		t.Fatal(err)
	}
	clear(data)
	if string(m.Operators[0].Subtasks[0]) != "split-0@1234" {
		t.Fatal("decoded blob aliases the input")
	}
}

// golden compares data with testdata/name (rewritten with -update): the
// persisted format must not change by accident.
func golden(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("encoding differs from %s: the persisted format changed; bump its version and document it in docs/format/checkpoint.md", path)
	}
}

func TestMetadataGolden(t *testing.T) {
	data, err := EncodeMetadata(sampleMetadata())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "metadata-v1.bin", data)
	m, err := DecodeMetadata(data)
	if err != nil || !equalMetadata(m, sampleMetadata()) {
		t.Fatalf("golden file does not decode to the sample: %v", err)
	}
}

func mustCorrupt(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%s: error does not wrap ErrCorrupt: %v", what, err)
	}
}

// TestMetadataCorruption: every bit flip, every truncation and any junk tail
// is rejected.
func TestMetadataCorruption(t *testing.T) {
	data, _ := EncodeMetadata(sampleMetadata())
	for i := range data {
		for bit := range 8 {
			c := bytes.Clone(data)
			c[i] ^= 1 << bit
			_, err := DecodeMetadata(c)
			mustCorrupt(t, "bit flip", err)
		}
	}
	for n := range len(data) {
		_, err := DecodeMetadata(data[:n])
		mustCorrupt(t, "truncation", err)
	}
	for _, junk := range [][]byte{{0}, []byte("junk"), bytes.Repeat([]byte{0xff}, 1000)} {
		_, err := DecodeMetadata(append(bytes.Clone(data), junk...))
		mustCorrupt(t, "junk tail", err)
	}
	_, err := DecodeMetadata(nil)
	mustCorrupt(t, "empty", err)
}

func TestMetadataErrorMessages(t *testing.T) {
	data, _ := EncodeMetadata(sampleMetadata())
	check := func(what string, b []byte, want string) {
		t.Helper()
		_, err := DecodeMetadata(b)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v does not mention %q", what, err, want)
		}
	}
	flip := bytes.Clone(data)
	flip[30] ^= 4
	check("bit flip", flip, "CRC-32C")
	check("truncated", data[:len(data)-3], "truncated")
	check("junk", append(bytes.Clone(data), 1, 2), "trailing junk")
	check("magic", append([]byte("NOTSTROM"), data[8:]...), "magic")
	v4 := bytes.Clone(data)
	v4[9] = 5
	check("version", resealMetadata(v4), "version 5")
}

// envelope wraps a hand-made body in a valid envelope (magic, version,
// length, CRC), to reach the body checks behind the CRC.
func envelope(body []byte) []byte {
	b := []byte(metadataMagic)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, CRC(b))
}

// TestMetadataBodyChecks: bodies with a valid CRC but impossible contents
// are rejected before anything is allocated.
func TestMetadataBodyChecks(t *testing.T) {
	head := func() []byte {
		b := binary.AppendVarint(nil, 1) // id
		b = append(b, 0)                 // kind
		b = binary.AppendVarint(b, 0)    // timestamp
		b = appendString(b, "")          // fingerprint
		b = binary.AppendUvarint(b, 4)   // max parallelism
		return append(b, 0)              // final
	}
	cases := map[string]struct {
		body []byte
		want string
	}{
		"huge operator count": {binary.AppendUvarint(head(), 1<<60), "number of operators"},
		"huge string": {append(binary.AppendUvarint(head(), 1), binary.AppendUvarint(nil, 1<<62)...),
			"operator UID length"},
		"string past the end": {append(binary.AppendUvarint(head(), 1), 50, 'a', 'b', 'c', 'd', 'e'), "truncated"},
		"overlong varint":     {append(head(), 0x80, 0x00), "shortest form"},
		"final flag 2":        {append(head()[:len(head())-1], 2, 0), "final flag"},
		"trailing byte":       {append(binary.AppendUvarint(head(), 0), 9), "after the last operator"},
		"kind 9":              {binary.AppendUvarint(append(append(binary.AppendVarint(nil, 1), 9), head()[2:]...), 0), "unknown kind"},
		"varint overflow":     {append(head()[:0], bytes.Repeat([]byte{0xff}, 11)...), "overflows"},
	}
	for name, c := range cases {
		_, err := DecodeMetadata(envelope(c.body))
		if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want a corrupt error mentioning %q", name, err, c.want)
		}
	}
	if _, err := DecodeMetadata(envelope(binary.AppendUvarint(head(), 0))); err != nil {
		t.Fatalf("the valid base body is rejected: %v", err)
	}
}

func TestMetadataValidate(t *testing.T) {
	mod := func(f func(m *Metadata)) *Metadata { m := sampleMetadata(); f(m); return m }
	cases := map[string]struct {
		m    *Metadata
		want string
	}{
		"nil":               {nil, "nil"},
		"id 0":              {mod(func(m *Metadata) { m.ID = 0 }), "id 0"},
		"kind":              {mod(func(m *Metadata) { m.Kind = 7 }), "kind"},
		"max par 0":         {mod(func(m *Metadata) { m.MaxParallelism = 0 }), "max parallelism"},
		"max par too big":   {mod(func(m *Metadata) { m.MaxParallelism = MaxKeyGroups + 1 }), "max parallelism"},
		"empty uid":         {mod(func(m *Metadata) { m.Operators[0].UID = "" }), "UID"},
		"dup uid":           {mod(func(m *Metadata) { m.Operators[1].UID = "source-1" }), "twice"},
		"parallelism 0":     {mod(func(m *Metadata) { m.Operators[0].Parallelism = 0 }), "parallelism 0"},
		"parallelism > max": {mod(func(m *Metadata) { m.Operators[0].Parallelism = 129 }), "parallelism 129"},
		"too many subtasks": {mod(func(m *Metadata) { m.Operators[2].Subtasks = [][]byte{nil, nil} }), "subtask states"},
		"path in name":      {mod(func(m *Metadata) { m.Operators[1].Keyed[0].Name = "../x" }), "file name"},
		"slash in name":     {mod(func(m *Metadata) { m.Operators[1].Keyed[0].Name = "a/b" }), "file name"},
		"metadata as name":  {mod(func(m *Metadata) { m.Operators[1].Keyed[0].Name = MetadataFile }), "file name"},
		"tmp name":          {mod(func(m *Metadata) { m.Operators[1].Keyed[0].Name = "x.tmp" }), ".tmp"},
		"dup file":          {mod(func(m *Metadata) { m.Operators[1].Keyed[1].Name = "window-agg-0.kg" }), "referenced twice"},
		"empty range":       {mod(func(m *Metadata) { m.Operators[1].Keyed[0].End = 0 }), "key groups"},
		"range past max":    {mod(func(m *Metadata) { m.Operators[1].Keyed[1].End = 129 }), "key groups"},
		"overlap":           {mod(func(m *Metadata) { m.Operators[1].Keyed[1].Start = 63 }), "in two files"},
		"too small":         {mod(func(m *Metadata) { m.Operators[1].Keyed[0].Size = 10 }), "cannot hold"},
		"too many files": {mod(func(m *Metadata) {
			m.Operators[1].Keyed = append(m.Operators[1].Keyed, KeyedFile{Name: "c", Start: 100, End: 101, Size: 100})
		}), "keyed files"},
	}
	for name, c := range cases {
		_, err := EncodeMetadata(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", name, err, c.want)
		}
	}
}

func FuzzDecodeMetadata(f *testing.F) {
	data, _ := EncodeMetadata(sampleMetadata())
	f.Add(data)
	small, _ := EncodeMetadata(&Metadata{ID: 1, MaxParallelism: 1})
	f.Add(small)
	f.Add(envelope(binary.AppendUvarint(nil, 1<<60)))
	f.Add([]byte(metadataMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMetadata(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerVersion) {
				t.Fatalf("error wraps neither ErrCorrupt nor ErrNewerVersion: %v", err)
			}
			return
		}
		// Accepted input is canonical: it re-encodes to the same bytes.
		again, err := EncodeMetadata(m)
		if err != nil {
			t.Fatalf("decoded metadata does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("decode then encode changes the bytes")
		}
		m2, err := DecodeMetadata(again)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("second decode differs: %v", err)
		}
	})
}

// sampleChained is sampleMetadata with one keyed file as a chain: its base
// in chk-3, deltas in chk-5 and in the checkpoint itself (7).
func sampleChained() *Metadata {
	m := sampleMetadata()
	m.ID = 7
	for i := range m.Operators {
		for j := range m.Operators[i].Keyed {
			f := &m.Operators[i].Keyed[j]
			if j == 0 {
				f.Dir = 3
				f.Deltas = []FileRef{{Dir: 5, Name: "d5.kg", Size: 2000, CRC: 0xabcdef01}, {Name: "d7.kg", Size: 1400, CRC: 7}}
			}
		}
	}
	return m
}

// TestMetadataV2Golden: the layout of version 2 (chains) is fixed by its
// golden file, every corruption of it is refused, version 1 stays what
// full checkpoints are written as, and a version-2 file without a chain is
// refused (one encoding per value).
func TestMetadataV2Golden(t *testing.T) {
	m := sampleChained()
	data, err := EncodeMetadata(m)
	if err != nil {
		t.Fatal(err)
	}
	if data[9] != 2 {
		t.Fatalf("version %d", data[9])
	}
	golden(t, "metadata-v2.bin", data)
	back, err := DecodeMetadata(data)
	if err != nil || !equalMetadata(back, m) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for i := range data {
		c := bytes.Clone(data)
		c[i] ^= 0x10
		_, err := DecodeMetadata(c)
		mustCorrupt(t, fmt.Sprintf("flip in byte %d", i), err)
	}
	v1, _ := EncodeMetadata(sampleMetadata())
	forged := bytes.Clone(v1)
	forged[9] = 2
	end := len(forged) - 4
	binary.BigEndian.PutUint32(forged[end:], CRC(forged[:end]))
	if _, err := DecodeMetadata(forged); err == nil {
		t.Fatal("version 2 without a chain accepted")
	}
	bad := sampleChained()
	for i := range bad.Operators {
		if len(bad.Operators[i].Keyed) > 0 {
			bad.Operators[i].Keyed[0].Deltas[0].Dir = 9 // after the checkpoint itself
		}
	}
	if _, err := EncodeMetadata(bad); err == nil || !strings.Contains(err.Error(), "not an earlier checkpoint") {
		t.Fatalf("reference to a later checkpoint: %v", err)
	}
}

// sampleSigned is sampleChained with a state signature on its first
// operator (metadata version 3) and sampleMetadata's full files on the
// others.
func sampleSigned(chained bool) *Metadata {
	m := sampleMetadata()
	if chained {
		m = sampleChained()
	}
	m.Operators[0].Signature = "group-agg keys=[BIGINT] aggs=[COUNT(*): BIGINT acc=[BIGINT]]"
	return m
}

// TestMetadataV4Golden: version 4 (keyed chains whose last link holds
// timer snapshots of version 2, Metadata.TimersV2) is version 3's layout, fixed
// by its golden file; it round-trips with and without chains and
// signatures, refuses every corruption, and is written exactly when
// TimersV2 is set (the other versions' golden files decode without it).
func TestMetadataV4Golden(t *testing.T) {
	m := sampleSigned(true)
	m.TimersV2 = true
	data, err := EncodeMetadata(m)
	if err != nil {
		t.Fatal(err)
	}
	if data[9] != 4 {
		t.Fatalf("version %d", data[9])
	}
	golden(t, "metadata-v4.bin", data)
	back, err := DecodeMetadata(data)
	if err != nil || !equalMetadata(back, m) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for i := range data {
		c := bytes.Clone(data)
		c[i] ^= 0x10
		_, err := DecodeMetadata(c)
		mustCorrupt(t, fmt.Sprintf("flip in byte %d", i), err)
	}
	for _, v := range []*Metadata{sampleMetadata(), sampleChained(), sampleSigned(false)} {
		v.TimersV2 = true
		data, err := EncodeMetadata(v)
		if err != nil || data[9] != 4 {
			t.Fatalf("TimersV2: %v, version %d", err, data[9])
		}
		if back, err := DecodeMetadata(data); err != nil || !equalMetadata(back, v) {
			t.Fatalf("round trip: %+v, %v", back, err)
		}
	}
	for _, name := range []string{"metadata-v1.bin", "metadata-v2.bin", "metadata-v3.bin"} {
		old, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeMetadata(old)
		if err != nil || m.TimersV2 {
			t.Fatalf("%s: %v, TimersV2 %v", name, err, m != nil && m.TimersV2)
		}
		again, err := EncodeMetadata(m)
		if err != nil || !bytes.Equal(again, old) {
			t.Fatalf("%s re-encodes differently: %v", name, err)
		}
	}
}

// TestMetadataV3Golden: version 3 (state signatures) is fixed by its
// golden file, round-trips with and without chains, refuses every
// corruption, and is written only when an operator has a signature: the
// golden files of versions 1 and 2 (written before signatures existed)
// still decode, to metadata without signatures, and re-encode to the same
// bytes.
func TestMetadataV3Golden(t *testing.T) {
	m := sampleSigned(true)
	data, err := EncodeMetadata(m)
	if err != nil {
		t.Fatal(err)
	}
	if data[9] != 3 {
		t.Fatalf("version %d", data[9])
	}
	golden(t, "metadata-v3.bin", data)
	back, err := DecodeMetadata(data)
	if err != nil || !equalMetadata(back, m) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for i := range data {
		c := bytes.Clone(data)
		c[i] ^= 0x10
		_, err := DecodeMetadata(c)
		mustCorrupt(t, fmt.Sprintf("flip in byte %d", i), err)
	}
	full := sampleSigned(false)
	data, err = EncodeMetadata(full)
	if err != nil || data[9] != 3 {
		t.Fatalf("full checkpoint with a signature: %v", err)
	}
	if back, err := DecodeMetadata(data); err != nil || !equalMetadata(back, full) {
		t.Fatalf("round trip of a full checkpoint: %+v, %v", back, err)
	}
	// A version-3 file without any signature is refused: one encoding
	// per value.
	one := sampleSigned(false)
	one.Operators[0].Signature = "s"
	data, _ = EncodeMetadata(one)
	at := bytes.Index(data, append(appendString(nil, one.Operators[0].UID), 1, 's'))
	if at < 0 {
		t.Fatal("signature not found in the encoding")
	}
	at += len(appendString(nil, one.Operators[0].UID))
	forged := append(bytes.Clone(data[:at]), 0)
	forged = append(forged, data[at+2:len(data)-4]...)
	binary.BigEndian.PutUint32(forged[12:], uint32(len(forged)-16))
	forged = binary.BigEndian.AppendUint32(forged, CRC(forged))
	if _, err := DecodeMetadata(forged); err == nil || !strings.Contains(err.Error(), "version 3 without a state signature") {
		t.Fatalf("version 3 without a signature: %v", err)
	}
	for _, name := range []string{"metadata-v1.bin", "metadata-v2.bin"} {
		old, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		om, err := DecodeMetadata(old)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, op := range om.Operators {
			if op.Signature != "" {
				t.Fatalf("%s: operator %q has signature %q", name, op.UID, op.Signature)
			}
		}
		again, err := EncodeMetadata(om)
		if err != nil || !bytes.Equal(again, old) {
			t.Fatalf("%s re-encoded differs (%v)", name, err)
		}
	}
	long := sampleSigned(false)
	long.Operators[0].Signature = strings.Repeat("x", MaxSignatureLen+1)
	if _, err := EncodeMetadata(long); err == nil {
		t.Fatal("signature above MaxSignatureLen accepted")
	}
}
