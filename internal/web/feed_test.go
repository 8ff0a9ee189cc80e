package web

import "testing"

func TestResultFeedTable(t *testing.T) {
	f := NewResultFeed(4, 0, 3)
	f.PublishRow("+I", []byte(`{"a":1}`))
	f.PublishRow("+I", []byte(`{"a":2}`))
	f.PublishRow("+I", []byte(`{"a":2}`))
	f.PublishRow("-U", []byte(`{"a":2}`))
	f.PublishRow("+U", []byte(`{"a":3}`))
	f.PublishRow("-D", []byte(`{"a":1}`))
	f.PublishRow("+I", []byte(`{"a":4}`))
	rows, seq, trunc, ok := f.Snapshot()
	if !ok || seq != 7 || trunc || len(rows) != 3 || string(rows[0]) != `{"a":2}` || string(rows[1]) != `{"a":3}` || string(rows[2]) != `{"a":4}` {
		t.Fatalf("%q %d %v %v", rows, seq, trunc, ok)
	}
	f.PublishRow("+I", []byte(`{"a":5}`)) // over the bound
	if rows, seq, trunc, _ = f.Snapshot(); !trunc || len(rows) != 3 || seq != 8 {
		t.Fatalf("%q %d %v", rows, seq, trunc)
	}
	if _, _, _, ok := NewFeed(0, 0).Snapshot(); ok {
		t.Fatal("a plain feed has a table")
	}
}
