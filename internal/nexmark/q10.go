package nexmark

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q10Row is a q10 result row: the bid and its partition (SPEC.md §2,
// Flink's nexmark_q10 table). The partition columns dt and hm name the
// directories the row is written to; as with Flink's filesystem sink they
// are not repeated inside the CSV files.
type Q10Row struct {
	Auction  int64  `json:"auction"`
	Bidder   int64  `json:"bidder"`
	Price    int64  `json:"price"`
	DateTime int64  `json:"dateTime"`
	Extra    string `json:"extra"`
	Dt       string `json:"dt"`
	Hm       string `json:"hm"`
}

func init() {
	Register(&Query{
		Name:    "q10",
		Columns: []string{"auction", "bidder", "price", "dateTime", "extra", "dt", "hm"},
		Build:   buildQ10,
		Oracle:  oracleQ10,
	})
}

// buildQ10 logs every bid to CSV files partitioned by day and minute (UTC)
// under cfg.OutDir: <OutDir>/dt=yyyy-MM-dd/hm=HH:mm/part-<subtask>-<n>.csv.
// The result stream is the rows written (with their partition), so that
// the golden test can compare them; with an empty OutDir nothing is written.
//
// Operators: the bid view, a chained map computing dt/hm (no allocation
// per record: minute names are a table, the day name is cached), and a
// partitioned file sink (q10Sink) forward-connected to it.
//
// What Flink's sink has and this one has not yet (it needs the two-phase
// commit sink SPI of a later issue): files are written in place instead of
// as in-progress files renamed when a checkpoint completes, so after a
// failure and restart rows may be duplicated or a file may end in a partial
// line (at-least-once, not exactly-once); no _SUCCESS file marks a
// partition as committed ('sink.partition-commit.*'); rolling is by event
// time only (a partition's files are closed once the subtask's highest
// dateTime minus the 4 s watermark bound passes the partition's end; a later
// row for it opens the next part file) rather than Flink's 1 min rollover
// and check intervals in processing time.
func buildQ10(events stream.Stream[nexmark.Event], cfg Config) Output {
	rows := stream.Map(Bids(events), func(b *nexmark.Bid) Q10Row {
		return Q10Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime,
			Extra: b.Extra, Dt: dayString(epochDay(b.DateTime)), Hm: hhmmNames[minuteOfDay(b.DateTime)]}
	}).Name("q10-partition")
	if cfg.OutDir != "" {
		stream.SinkTo[Q10Row](rows, q10Sink{dir: cfg.OutDir}, "q10-filesystem")
	}
	return Out(rows)
}

// Event-time calendar helpers of the jobs (UTC). The oracles format dates
// with package time directly.

const (
	msPerMinute = 60_000
	msPerDay    = 86_400_000
)

// floorDiv is a/b rounded toward minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// epochDay is the UTC day of ts (epoch milliseconds) as days since 1970-01-01.
func epochDay(ts int64) int64 { return floorDiv(ts, msPerDay) }

// minuteOfDay is the UTC minute of the day of ts, 0..1439.
func minuteOfDay(ts int64) int { return int((ts - epochDay(ts)*msPerDay) / msPerMinute) }

// hhmmNames[m] is DATE_FORMAT's 'HH:mm' of minute m of a day.
var hhmmNames = func() (t [24 * 60]string) {
	for m := range t {
		t[m] = fmt.Sprintf("%02d:%02d", m/60, m%60)
	}
	return t
}()

type dayName struct {
	day  int64
	name string
}

// lastDayName caches the most recent day's name: all subtasks share it
// (read with one atomic load; a miss formats and replaces it).
var lastDayName atomic.Pointer[dayName]

// dayString is DATE_FORMAT(ts, 'yyyy-MM-dd') of a UTC epoch day.
func dayString(day int64) string {
	if d := lastDayName.Load(); d != nil && d.day == day {
		return d.name
	}
	s := time.UnixMilli(day * msPerDay).UTC().Format("2006-01-02")
	lastDayName.Store(&dayName{day: day, name: s})
	return s
}

// q10Sink writes Q10Rows as CSV (auction,bidder,price,dateTime,extra; no
// header; dateTime in epoch milliseconds as everywhere in our results;
// RFC 4180 quoting) into one directory per partition.
type q10Sink struct{ dir string }

func (s q10Sink) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[Q10Row], error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("nexmark q10: %w", err)
	}
	return &q10Writer{dir: s.dir, subtask: info.Subtask, parts: map[int64]*q10Part{}, seq: map[int64]int{},
		maxTS: stream.MinTime, swept: stream.MinTime}, nil
}

// q10Part is an open part file of one partition (one minute).
type q10Part struct {
	f    *os.File
	w    *bufio.Writer
	path string
}

// q10Writer is one subtask's writer: an open part file per live partition.
type q10Writer struct {
	dir     string
	subtask int
	parts   map[int64]*q10Part // by minute since the epoch
	seq     map[int64]int      // part files opened so far per minute
	maxTS   int64              // highest dateTime written
	swept   int64              // minute of the last sweep
	line    []byte
	err     error
	closed  bool
}

// q10Slack is the watermark bound: a partition is closed once the highest
// dateTime seen minus q10Slack passes its end.
const q10Slack = 4000

func (w *q10Writer) Write(v Q10Row, _ int64) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("nexmark q10: write after Close")
	}
	minute := floorDiv(v.DateTime, msPerMinute)
	p := w.parts[minute]
	if p == nil {
		if p, w.err = w.open(minute, v); w.err != nil {
			return w.err
		}
	}
	w.line = appendQ10CSV(w.line[:0], &v)
	if _, err := p.w.Write(w.line); err != nil {
		w.err = fmt.Errorf("nexmark q10: %s: %w", p.path, err)
		return w.err
	}
	if v.DateTime > w.maxTS {
		w.maxTS = v.DateTime
		if m := floorDiv(w.maxTS-q10Slack, msPerMinute); m > w.swept {
			w.swept = m
			w.err = w.sweep(m)
		}
	}
	return w.err
}

func (w *q10Writer) open(minute int64, v Q10Row) (*q10Part, error) {
	dir := filepath.Join(w.dir, "dt="+v.Dt, "hm="+v.Hm)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("nexmark q10: %w", err)
	}
	n := w.seq[minute]
	w.seq[minute] = n + 1
	path := filepath.Join(dir, "part-"+strconv.Itoa(w.subtask)+"-"+strconv.Itoa(n)+".csv")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("nexmark q10: %w", err)
	}
	// 256 KiB as the SQL table sink's part files (tableSinkBuffer in
	// connector/file): the two versions write alike.
	p := &q10Part{f: f, w: bufio.NewWriterSize(f, 256<<10), path: path}
	w.parts[minute] = p
	return p, nil
}

// sweep closes the part files of the minutes before minute.
func (w *q10Writer) sweep(minute int64) error {
	var first error
	for m, p := range w.parts {
		if m < minute {
			delete(w.parts, m)
			if err := p.close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (p *q10Part) close() error {
	err := p.w.Flush()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("nexmark q10: %s: %w", p.path, err)
	}
	return nil
}

func (w *q10Writer) Flush(context.Context) error {
	if w.err != nil || w.closed {
		return w.err
	}
	for _, p := range w.parts {
		if err := p.w.Flush(); err != nil {
			w.err = fmt.Errorf("nexmark q10: %s: %w", p.path, err)
			return w.err
		}
	}
	return nil
}

func (w *q10Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	for m, p := range w.parts {
		delete(w.parts, m)
		if err := p.close(); err != nil && w.err == nil {
			w.err = err
		}
	}
	return w.err
}

// appendQ10CSV appends one CSV line of the file columns of r.
func appendQ10CSV(b []byte, r *Q10Row) []byte {
	b = strconv.AppendInt(b, r.Auction, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.Bidder, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.Price, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.DateTime, 10)
	b = append(b, ',')
	b = appendCSVField(b, r.Extra)
	return append(b, '\n')
}

// appendCSVField quotes s when a CSV reader could misread it: it contains a
// comma, quote, CR or LF, or starts or ends with a space.
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && (s == "" || (s[0] != ' ' && s[len(s)-1] != ' ')) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
