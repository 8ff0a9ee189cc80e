package cli

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/spf13/cobra"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/stromio/strom/connector/kafka"
	"github.com/stromio/strom/stream"
)

func newKafkaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kafka",
		Short: "Run jobs that read from and write to Kafka",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newKafkaPipeCmd())
	return cmd
}

// pipeConfig is the configuration of 'strom kafka pipe' (one field per flag).
type pipeConfig struct {
	Brokers      []string
	From, To     string
	Format       string
	Guarantee    string
	Start        string
	Group        string
	CommitGroup  bool
	OnError      string
	DLQTopic     string
	MaxBadRatio  float64
	Parallelism  int
	Bounded      bool
	TxnTimeout   time.Duration
	TxnPrefix    string
	Window       time.Duration
	KeyField     string
	Disorder     time.Duration
	Idleness     time.Duration
	Discovery    time.Duration
	RestartGuess time.Duration
	Checkpoint   checkpointFlags
}

func newKafkaPipeCmd() *cobra.Command {
	c := pipeConfig{Format: "json", Guarantee: "exactly-once", Start: "earliest", OnError: "fail", Parallelism: 1,
		TxnTimeout: 15 * time.Minute, RestartGuess: time.Minute}
	cmd := &cobra.Command{
		Use:   "pipe --brokers HOST:PORT --from TOPIC --to TOPIC",
		Short: "Copy (or count per key and window) records from one Kafka topic to another",
		Long: `pipe runs a job from a Kafka topic to a Kafka topic.

Without --window it copies every record (key, value, headers, timestamp) after
checking that its value is valid in --format; with --window and --key-field it
counts the records of each value of the JSON field --key-field in tumbling
event-time windows of that size (event time: the Kafka record timestamp) and
writes one JSON object per key and window:
  {"key":"...","window_start":MS,"window_end":MS,"count":N}

The source reads --from read_committed, one split per partition, offsets kept
in strom's checkpoints. With --checkpoint-dir and --guarantee exactly-once
(the default) the output is written in Kafka transactions committed when a
checkpoint completes: a read_committed reader of --to sees every result
exactly once, also across crashes (start the same command again; it resumes
from the latest checkpoint). Without --checkpoint-dir the output is
at-least-once at best.

Bad input (a value that is not valid --format, a window record without
--key-field): --on-error fail stops the job and names topic, partition and
offset; skip drops and counts it; dlq writes it unchanged to --dlq-topic with
headers saying where it came from and why (in the same checkpoint as the
output: exactly once).`,
		Example: `  strom kafka pipe --brokers localhost:9092 --from in --to out --checkpoint-dir /tmp/ck
  strom kafka pipe --brokers localhost:9092 --from clicks --to counts --window 10s --key-field user \
      --checkpoint-dir /tmp/ck --on-error dlq --dlq-topic clicks-dlq`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.validate(cmd); err != nil {
				return err
			}
			return runKafkaPipe(cmd.Context(), cmd.OutOrStdout(), c)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&c.Brokers, "brokers", nil, "Kafka seed brokers, `HOST:PORT[,HOST:PORT...]`")
	f.StringVar(&c.From, "from", "", "the topic to read")
	f.StringVar(&c.To, "to", "", "the topic to write")
	f.StringVar(&c.Format, "format", c.Format, "format of the values read: json or raw")
	f.StringVar(&c.Guarantee, "guarantee", c.Guarantee, "exactly-once (Kafka transactions; needs --checkpoint-dir), at-least-once or none")
	f.StringVar(&c.Start, "start", c.Start, "where to start partitions a checkpoint does not know: earliest, latest, committed, timestamp:MILLIS, offsets:topic/partition=offset,...")
	f.StringVar(&c.Group, "group", "", "consumer group for --start committed and --commit-offsets (never joined)")
	f.BoolVar(&c.CommitGroup, "commit-offsets", false, "commit each completed checkpoint's offsets to --group, for lag monitoring")
	f.StringVar(&c.OnError, "on-error", c.OnError, "bad input: fail, skip or dlq")
	f.StringVar(&c.DLQTopic, "dlq-topic", "", "dead-letter topic of --on-error dlq")
	f.Float64Var(&c.MaxBadRatio, "max-bad-ratio", 0, "with skip or dlq: fail once more than 10 records of a partition were bad and they exceed this fraction of its records (0: no limit)")
	f.IntVar(&c.Parallelism, "parallelism", c.Parallelism, "subtasks of every operator")
	f.BoolVar(&c.Bounded, "bounded", false, "stop at the end offsets the partitions have when the job starts")
	f.DurationVar(&c.TxnTimeout, "transaction-timeout", c.TxnTimeout, "Kafka transaction timeout of the exactly-once sink (at most the broker's transaction.max.timeout.ms)")
	f.StringVar(&c.TxnPrefix, "transactional-id-prefix", "", "prefix of the sink's transactional ids (default: strom-pipe-<to>-<hash of --from, --to and --checkpoint-dir>); must be unique per job")
	f.DurationVar(&c.RestartGuess, "max-restart-time", c.RestartGuess, "how long a restart may take: the transaction timeout must exceed the checkpoint interval plus this")
	f.DurationVar(&c.Window, "window", 0, "count per --key-field in tumbling event-time windows of this size (0: copy)")
	f.StringVar(&c.KeyField, "key-field", "", "top-level JSON field to count by (with --window)")
	f.DurationVar(&c.Disorder, "max-out-of-orderness", 0, "how late (in event time) a record may arrive and still count")
	f.DurationVar(&c.Idleness, "idleness", 0, "a partition without records for this long stops holding back event time (0: never)")
	f.DurationVar(&c.Discovery, "discovery-interval", kafka.DefaultDiscoveryInterval, "how often to look for new partitions (negative: never)")
	c.Checkpoint.register(f)
	return cmd
}

func (c pipeConfig) validate(cmd *cobra.Command) error {
	switch {
	case len(c.Brokers) == 0:
		return usagef(cmd, "--brokers is required")
	case c.From == "" || c.To == "":
		return usagef(cmd, "--from and --to are required")
	case c.Format != "json" && c.Format != "raw":
		return usagef(cmd, "--format must be json or raw, got %q", c.Format)
	case c.Parallelism < 1 || c.Parallelism > 256:
		return usagef(cmd, "--parallelism must be between 1 and 256, got %d", c.Parallelism)
	case c.MaxBadRatio < 0 || c.MaxBadRatio > 1:
		return usagef(cmd, "--max-bad-ratio must be between 0 (no limit) and 1, got %v", c.MaxBadRatio)
	case c.Window < 0:
		return usagef(cmd, "--window must not be negative")
	case c.Window > 0 && c.KeyField == "":
		return usagef(cmd, "--window needs --key-field (the JSON field to count by)")
	case c.Window > 0 && c.Format != "json":
		return usagef(cmd, "--window needs --format json")
	case c.From == c.To:
		return usagef(cmd, "--from and --to are the same topic %q: the job would read its own output", c.From)
	case c.DLQTopic != "" && (c.DLQTopic == c.From || c.DLQTopic == c.To):
		return usagef(cmd, "--dlq-topic must differ from --from and --to, got %q", c.DLQTopic)
	case c.Window == 0 && c.KeyField != "":
		return usagef(cmd, "--key-field is only used with --window")
	}
	if _, err := kafka.ParseStart(c.Start); err != nil {
		return usagef(cmd, "--start: %v", err)
	}
	onErr, err := connector.ParseOnError(c.OnError)
	if err != nil {
		return usagef(cmd, "--on-error: %v", err)
	}
	if (onErr == connector.DeadLetterQueue) != (c.DLQTopic != "") {
		return usagef(cmd, "--on-error dlq and --dlq-topic go together")
	}
	if _, err := kafka.ParseGuarantee(c.Guarantee); err != nil || c.Guarantee == "" {
		return usagef(cmd, "--guarantee must be exactly-once, at-least-once or none, got %q", c.Guarantee)
	}
	if c.Guarantee == "exactly-once" && c.Checkpoint.Dir == "" {
		return usagef(cmd, "--guarantee exactly-once needs --checkpoint-dir (transactions commit with checkpoints); use --guarantee at-least-once to run without")
	}
	return c.Checkpoint.validate(cmd)
}

// kafkaRec is a record passing through the pipe.
type kafkaRec struct {
	Key, Value []byte
	Headers    []connector.Header
}

// pipeStats counts what a pipe job did, for its summary line.
type pipeStats struct {
	in, out, bad atomic.Int64
}

// buildKafkaPipe adds the pipe job to env.
func buildKafkaPipe(env *stream.Environment, c pipeConfig, stats *pipeStats) error {
	cl := kafka.Cluster{Brokers: c.Brokers}
	start, _ := kafka.ParseStart(c.Start)
	onErr, _ := connector.ParseOnError(c.OnError)
	g, _ := kafka.ParseGuarantee(c.Guarantee)
	decode := func(r *kafka.Record) (kafkaRec, error) {
		if c.Format == "json" && !gojson.Valid(r.Value) {
			return kafkaRec{}, jsonError(r.Value)
		}
		return kafkaRec{Key: r.Key, Value: r.Value, Headers: r.Headers}, nil
	}
	if c.Window > 0 {
		field := c.KeyField
		path, err := gojson.CreatePath("$." + strconv.Quote(field))
		if err != nil {
			return fmt.Errorf("--key-field %q: %w", field, err)
		}
		plain := decode
		decode = func(r *kafka.Record) (kafkaRec, error) {
			kr, err := plain(r)
			if err != nil {
				return kr, err
			}
			if len(r.Value) == 0 || r.Value[0] != '{' {
				return kr, errors.New("value is not a JSON object")
			}
			raws, err := path.Extract(r.Value)
			if err != nil || len(raws) == 0 || string(raws[0]) == "null" {
				return kr, fmt.Errorf("value has no field %q to count by", field)
			}
			var s string
			if gojson.Unmarshal(raws[0], &s) != nil {
				s = string(raws[0]) // a non-string key counts by its JSON text
			}
			kr.Key = []byte(s)
			return kr, nil
		}
	}
	src, err := kafka.NewSource(kafka.SourceOptions[kafkaRec]{Cluster: cl, Topics: []string{c.From},
		Deserializer: func(r *kafka.Record) (kafkaRec, error) {
			kr, err := decode(r)
			if err != nil {
				stats.bad.Add(1)
			} else {
				stats.in.Add(1)
			}
			return kr, err
		},
		Start: start, Group: c.Group, CommitOffsets: c.CommitGroup, OnError: onErr, MaxBadRatio: c.MaxBadRatio, Bounded: c.Bounded,
		DiscoveryInterval: c.Discovery})
	if err != nil {
		return err
	}
	wm := stream.WatermarkStrategy[kafkaRec]{Enabled: c.Window > 0, OutOfOrderness: c.Disorder, Idleness: c.Idleness}
	in := stream.FromSource[kafkaRec](env, src, wm, "kafka-source").UID("kafka-source")
	prefix := c.TxnPrefix
	if prefix == "" {
		// Unique per job: two pipes into one topic must not share ids (they
		// would fence each other's transactions); the checkpoint directory
		// tells jobs apart, and the same job keeps its ids across restarts.
		h := fnv.New32a()
		h.Write([]byte(c.From + "\x00" + c.To + "\x00" + c.Checkpoint.Dir))
		prefix = fmt.Sprintf("strom-pipe-%s-%08x", c.To, h.Sum32())
	}
	out := in
	if c.Window > 0 {
		out = pipeWindow(in, c.Window)
	}
	sink, err := kafka.NewSink(kafka.SinkOptions[kafkaRec]{Cluster: cl, Topic: c.To, Guarantee: g,
		TransactionalIDPrefix: prefix, TransactionTimeout: c.TxnTimeout,
		CheckpointInterval: c.Checkpoint.Interval, RestartTime: c.RestartGuess,
		Serializer: func(v kafkaRec, ts int64) (*kafka.Record, error) {
			stats.out.Add(1)
			return &kafka.Record{Key: v.Key, Value: v.Value, Headers: v.Headers, Timestamp: ts, Partition: -1}, nil
		}})
	if err != nil {
		return err
	}
	stream.SinkTo[kafkaRec](out, sink, "kafka-sink").UID("kafka-sink")
	if onErr == connector.DeadLetterQueue {
		dsink, err := kafka.NewSink(kafka.SinkOptions[connector.DeadLetter]{Cluster: cl, Topic: c.DLQTopic, Guarantee: g,
			TransactionalIDPrefix: prefix + "-dlq", TransactionTimeout: c.TxnTimeout,
			CheckpointInterval: c.Checkpoint.Interval, RestartTime: c.RestartGuess,
			Serializer: kafka.DeadLetterSerializer(c.DLQTopic)})
		if err != nil {
			return err
		}
		stream.SinkTo[connector.DeadLetter](stream.DeadLetters(in), dsink, "dead-letters").UID("dead-letters")
	}
	return nil
}

// jsonError says where a value stops being JSON (a format.Error of class
// json, which dead letters carry).
func jsonError(v []byte) error {
	_, err := format.JSON[gojson.RawMessage]().Decode(v)
	if err == nil {
		err = errors.New("invalid JSON")
	}
	return err
}

// pipeCount is the count of one key in one window.
type pipeCount struct {
	Key         string `json:"key"`
	WindowStart int64  `json:"window_start"`
	WindowEnd   int64  `json:"window_end"`
	Count       int64  `json:"count"`
}

// pipeWindow counts records per key in tumbling event-time windows and
// turns each count into an output record keyed by the key.
func pipeWindow(in stream.Stream[kafkaRec], size time.Duration) stream.Stream[kafkaRec] {
	ks := stream.KeyBy(in, func(r kafkaRec) string { return string(r.Key) })
	ws := ks.Window(stream.TumblingEventTimeWindows(size))
	counted := stream.WindowAggregateWithWindow(ws, stream.AggregatorFuncs[kafkaRec, int64, int64]{
		CreateFn: func() int64 { return 0 },
		AddFn:    func(_ kafkaRec, n int64) int64 { return n + 1 },
		MergeFn:  func(a, b int64) int64 { return a + b },
		ResultFn: func(n int64) int64 { return n },
		Codec:    codec.Int64{},
	}).Name("count-per-window").UID("count-per-window")
	return stream.Map(counted, func(r stream.WindowResult[string, int64]) kafkaRec {
		b, _ := gojson.Marshal(pipeCount{Key: r.Key, WindowStart: r.Window.Start, WindowEnd: r.Window.End, Count: r.Value})
		return kafkaRec{Key: []byte(r.Key), Value: b}
	}).Name("to-json")
}

// runKafkaPipe runs the pipe job until it ends (--bounded) or ctx is
// canceled, then prints a summary.
func runKafkaPipe(ctx context.Context, w io.Writer, c pipeConfig) error {
	env := stream.NewEnvironment(stream.Options{Parallelism: c.Parallelism, Name: "kafka-pipe",
		Checkpoints: c.Checkpoint.options(w), Restart: c.Checkpoint.restart()})
	var stats pipeStats
	if err := buildKafkaPipe(env, c, &stats); err != nil {
		return err
	}
	what := "copying"
	if c.Window > 0 {
		what = fmt.Sprintf("counting per %q in %v windows", c.KeyField, c.Window)
	}
	fmt.Fprintf(w, "strom kafka pipe: %s %s -> %s (%s, parallelism %d)\n", what, c.From, c.To, c.Guarantee, c.Parallelism)
	begin := time.Now()
	err := executeWithControl(ctx, env, c.Checkpoint, w)
	el := time.Since(begin)
	summary := fmt.Sprintf("%d records read, %d written, %d bad (on-error %s) in %v (%s records/s)",
		stats.in.Load(), stats.out.Load(), stats.bad.Load(), c.OnError, el.Round(time.Millisecond),
		humanRate(float64(stats.in.Load())/el.Seconds()))
	switch {
	case err == nil:
		fmt.Fprintln(w, "done: "+summary)
	case errors.Is(err, stream.ErrStopped):
		fmt.Fprintln(w, "stopped with a savepoint: "+summary)
	case ctx.Err() != nil && errors.Is(err, stream.ErrCanceled):
		fmt.Fprintln(w, "stopped: "+summary)
	default:
		return fmt.Errorf("kafka pipe: %w", err)
	}
	return nil
}
