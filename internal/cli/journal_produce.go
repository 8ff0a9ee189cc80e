package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/stromio/strom/journal"
)

func init() { journalSubcommands = append(journalSubcommands, newJournalProduceCmd) }

type produceConfig struct {
	Dir, Topic     string
	AcceptRisk     bool // journal.Options.AcceptFailedSyncRisk
	Partitions     int
	KeyField       string
	TimestampField string
	Batch          int
	SegmentBytes   int64
}

func newJournalProduceCmd() *cobra.Command {
	var c produceConfig
	cmd := &cobra.Command{
		Use:   "produce --dir DIR --topic NAME [--partitions N] [--key-field FIELD]",
		Short: "Append JSON lines from stdin to a topic, one record per line",
		Long: `produce reads JSON lines from stdin and appends each as one record: the value
is the line, the key the top-level field --key-field (a string as is, other
values as their JSON text; none when the field is missing or null), the
timestamp now or the field --timestamp-field (milliseconds since the epoch or
an RFC 3339 time). Blank lines are skipped.

The topic is created with --partitions partitions (default 1) when it does
not exist. Records with a key go to the partition of the key's hash, the
others round robin. Lines are appended in batches of up to --batch records,
each batch fsynced before the next line is read. A line that is not valid
JSON stops the command: the lines before it are appended (acknowledged),
nothing from it on is.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireDirTopic(cmd, c.Dir, c.Topic, true); err != nil {
				return err
			}
			if c.Partitions < 1 || c.Partitions > 1<<16 {
				return usagef(cmd, "--partitions must be between 1 and 65536, got %d", c.Partitions)
			}
			if c.SegmentBytes < 1<<10 || c.SegmentBytes > 2<<30 {
				return usagef(cmd, "--segment-bytes must be between 1 KiB and 2 GiB, got %d", c.SegmentBytes)
			}
			if c.Batch < 1 {
				return usagef(cmd, "--batch must be at least 1, got %d", c.Batch)
			}
			return produce(cmd, c, cmd.InOrStdin(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Dir, "dir", "", "the journal directory (created when missing)")
	f.StringVar(&c.Topic, "topic", "", "the topic (created when missing)")
	f.IntVar(&c.Partitions, "partitions", 1, "partitions of a new topic; for an existing one it must match")
	f.StringVar(&c.KeyField, "key-field", "", "top-level JSON field whose value is the record key")
	f.StringVar(&c.TimestampField, "timestamp-field", "", "top-level JSON field with the record timestamp (ms since the epoch or RFC 3339); default now")
	f.IntVar(&c.Batch, "batch", 1000, "records per append (and fsync)")
	f.Int64Var(&c.SegmentBytes, "segment-bytes", 128<<20, "roll to a new segment before one grows beyond this")
	addAcceptRiskFlag(cmd, &c.AcceptRisk)
	return cmd
}

// produceRange is what went to one partition.
type produceRange struct {
	first, last int64
	n           int
}

func produce(cmd *cobra.Command, c produceConfig, stdin io.Reader, stderr io.Writer) (err error) {
	ctx := cmd.Context()
	begin := time.Now()
	j, closeJ, err := openJournalWith(c.Dir, true, journal.Options{SegmentBytes: c.SegmentBytes, AcceptFailedSyncRisk: c.AcceptRisk}, stderr)
	if err != nil {
		return err
	}
	defer func() {
		// A quarantined partition (of another topic: appends to one fail)
		// was reported when the journal opened; it is no failure here.
		if cerr := closeJ(); err == nil && cerr != nil && !errors.Is(cerr, journal.ErrQuarantined) {
			err = cerr
		}
	}()
	n, ok := topicPartitions(j, c.Topic)
	switch {
	case !ok:
		if err := j.CreateTopic(c.Topic, c.Partitions); err != nil {
			return err
		}
		n = c.Partitions
	case cmd.Flags().Changed("partitions") && n != c.Partitions:
		return fmt.Errorf("topic %q has %d partitions, not %d (leave out --partitions, or use another topic)", c.Topic, n, c.Partitions)
	}

	pending := make([][]journal.Record, n)
	ranges := make([]produceRange, n)
	buffered, bufBytes := 0, 0
	total := 0
	var rr int
	line, firstPending := 0, 1 // line numbers: the current one, the first not yet appended
	flush := func() error {
		if buffered == 0 {
			return nil
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for p, recs := range pending {
			if len(recs) == 0 {
				continue
			}
			wg.Go(func() {
				off, err := j.Append(ctx, c.Topic, p, recs...)
				if err != nil {
					errs[p] = err
					return
				}
				r := &ranges[p]
				if r.n == 0 {
					r.first = off.First
				}
				r.last, r.n = off.Last, r.n+len(recs)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			done := "no line was"
			if firstPending > 1 {
				done = fmt.Sprintf("lines 1 to %d were appended (acknowledged)", firstPending-1)
			}
			return fmt.Errorf("append of lines %d to %d failed (some may be stored): %w; %s", firstPending, line, err, done)
		}
		for p := range pending {
			pending[p] = pending[p][:0]
		}
		total += buffered
		buffered, bufBytes = 0, 0
		firstPending = line + 1
		return nil
	}
	br := bufio.NewReaderSize(stdin, 1<<20)
	for {
		b, rerr := br.ReadBytes('\n')
		if len(b) > 0 {
			line++
			v := bytes.TrimRight(b, "\r\n")
			if len(bytes.TrimSpace(v)) == 0 {
				if buffered == 0 {
					firstPending = line + 1
				}
			} else {
				rec, err := parseProduceLine(v, c.KeyField, c.TimestampField)
				if err != nil {
					if ferr := flush(); ferr != nil {
						return ferr
					}
					if total == 0 {
						return fmt.Errorf("line %d: %v; nothing was appended: fix line %d and send the input again", line, err, line)
					}
					return fmt.Errorf("line %d: %v; the %d records of lines 1 to %d were appended and are acknowledged, nothing from line %d on was: fix line %d and send the input from line %d on again (tail -n +%d FILE), not all of it, or the records before it are appended twice",
						line, err, total, line-1, line, line, line, line)
				}
				p := 0
				if rec.Key != nil {
					if p, err = j.PartitionFor(c.Topic, rec.Key); err != nil {
						return err
					}
				} else {
					p, rr = rr%n, rr+1
				}
				pending[p] = append(pending[p], rec)
				buffered++
				bufBytes += len(v)
				if buffered >= c.Batch || bufBytes >= 1<<20 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return fmt.Errorf("read stdin after line %d: %w (%d records appended)", line, rerr, total)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var parts []string
	for p, r := range ranges {
		if r.n > 0 {
			parts = append(parts, fmt.Sprintf("partition %d offsets %d..%d", p, r.first, r.last))
		}
	}
	where := "no records"
	if len(parts) > 0 {
		where = strings.Join(parts, ", ")
	}
	fmt.Fprintf(stderr, "journal produce: %d records to topic %q (%d partitions) in %s; %s\n",
		total, c.Topic, n, time.Since(begin).Round(time.Millisecond), where)
	return nil
}

// parseProduceLine checks that v is one JSON value and returns its record.
func parseProduceLine(v []byte, keyField, tsField string) (journal.Record, error) {
	rec := journal.Record{Value: bytes.Clone(v)}
	var raw json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return rec, fmt.Errorf("not valid JSON: %v (at byte %d)", err, se.Offset)
		}
		return rec, fmt.Errorf("not valid JSON: %v", err)
	}
	if keyField == "" && tsField == "" {
		return rec, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil {
		obj = nil // not an object: no fields
	}
	if k, ok := obj[keyField]; ok && keyField != "" && string(k) != "null" {
		var s string
		if json.Unmarshal(k, &s) == nil {
			rec.Key = []byte(s)
		} else {
			rec.Key = bytes.Clone(k)
		}
	}
	if t, ok := obj[tsField]; ok && tsField != "" && string(t) != "null" {
		var ms int64
		var s string
		switch {
		case json.Unmarshal(t, &ms) == nil:
			rec.Timestamp = ms
		case json.Unmarshal(t, &s) == nil:
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return rec, fmt.Errorf("timestamp field %q: %v", tsField, err)
			}
			rec.Timestamp = tm.UnixMilli()
		default:
			return rec, fmt.Errorf("timestamp field %q is %s, want milliseconds since the epoch or an RFC 3339 time", tsField, t)
		}
		if rec.Timestamp == 0 {
			rec.Timestamp = 1 // 0 would mean "now" to the journal; 1 ms is the closest
		}
	}
	return rec, nil
}
