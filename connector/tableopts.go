package connector

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TableOptions are the WITH options of a table after CheckTableOptions:
// every key is one the factory allows, required keys are present, and keys
// with a Default that were not given hold it.
type TableOptions struct {
	prefix string // for messages: strom: table "t": connector 'kafka':
	m      map[string]string
	given  map[string]bool
}

// CheckTableOptions validates the options of t against the keys of f: an
// unknown key is an error naming it and listing the allowed keys, a
// missing required key an error naming it. Keys are case-sensitive, as in
// Flink.
func CheckTableOptions(f TableFactory, t TableContext) (*TableOptions, error) {
	o := &TableOptions{
		prefix: fmt.Sprintf("strom: table %q: connector '%s'", t.Name, f.Name()),
		m:      make(map[string]string, len(t.Options)),
		given:  make(map[string]bool, len(t.Options)),
	}
	allowed := f.Options()
	keys := make([]string, 0, len(t.Options))
	for k := range t.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.ContainsFunc(allowed, func(a TableOption) bool { return a.Key == k }) {
			names := make([]string, len(allowed))
			for i, a := range allowed {
				names[i] = "'" + a.Key + "'"
			}
			slices.Sort(names)
			if len(names) == 0 {
				return nil, fmt.Errorf("%s: unknown option '%s' (the connector takes no options)", o.prefix, k)
			}
			return nil, fmt.Errorf("%s: unknown option '%s' (allowed: %s)", o.prefix, k, strings.Join(names, ", "))
		}
		o.m[k] = t.Options[k]
		o.given[k] = true
	}
	for _, a := range allowed {
		if _, ok := o.m[a.Key]; ok {
			continue
		}
		if a.Required {
			return nil, fmt.Errorf("%s: missing required option '%s' (%s)", o.prefix, a.Key, a.Description)
		}
		if a.Default != "" {
			o.m[a.Key] = a.Default
		}
	}
	return o, nil
}

// Errorf returns an error about the table, prefixed like the errors of
// CheckTableOptions.
func (o *TableOptions) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{o.prefix}, args...)...)
}

// CheckTransactionTimeout refuses a transaction timeout (given by the
// option key, or its default) not larger than the job's checkpoint
// interval plus its restart time (TableContext): the transactions would be
// aborted before the checkpoint after them commits them. Without a
// checkpoint interval there is nothing to check.
func (o *TableOptions) CheckTransactionTimeout(t TableContext, timeout time.Duration, key string) error {
	if t.CheckpointInterval <= 0 || timeout > t.CheckpointInterval+t.RestartTime {
		return nil
	}
	return o.Errorf("transaction timeout %v (option '%s') is not larger than the job's checkpoint interval %v + restart delay %v: "+
		"transactions would be aborted before the checkpoint after them commits them; raise '%s' above %v or shorten the checkpoint interval",
		timeout, key, t.CheckpointInterval, t.RestartTime, key, t.CheckpointInterval+t.RestartTime)
}

// Get returns the value of key (its default when not given).
func (o *TableOptions) Get(key string) string { return o.m[key] }

// Has reports whether key was given in the WITH clause.
func (o *TableOptions) Has(key string) bool { return o.given[key] }

// Map returns the options (defaults filled in) as a new map.
func (o *TableOptions) Map() map[string]string {
	m := make(map[string]string, len(o.m))
	for k, v := range o.m {
		m[k] = v
	}
	return m
}

// Enum returns the value of key, which must be one of allowed (compared
// case-insensitively; the allowed spelling is returned), or "" when the key
// has no value.
func (o *TableOptions) Enum(key string, allowed ...string) (string, error) {
	v, ok := o.m[key]
	if !ok || v == "" && !o.given[key] {
		return "", nil
	}
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(v), a) {
			return a, nil
		}
	}
	return "", o.Errorf("option '%s' is '%s', want one of '%s'", key, v, strings.Join(allowed, "', '"))
}

// Int returns the value of key as an integer in [lo, hi] (0 when the key
// has no value).
func (o *TableOptions) Int(key string, lo, hi int64) (int64, error) {
	v, ok := o.m[key]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, o.Errorf("option '%s' is '%s', want an integer in [%d, %d]", key, v, lo, hi)
	}
	return n, nil
}

// Duration returns the value of key as a duration (0 when the key has no
// value): Go syntax ("10s", "1m30s") or Flink's ("10 s", "1 min", "500 ms",
// a bare number of milliseconds).
func (o *TableOptions) Duration(key string) (time.Duration, error) {
	v, ok := o.m[key]
	if !ok {
		return 0, nil
	}
	d, err := ParseDuration(v)
	if err != nil {
		return 0, o.Errorf("option '%s' is '%s', want a duration such as '10 s' or '1 min'", key, v)
	}
	return d, nil
}

// Bytes returns the value of key as a number of bytes (0 when the key has
// no value): a number with an optional unit b, kb, mb, gb (powers of 1024,
// Flink's MemorySize).
func (o *TableOptions) Bytes(key string) (int64, error) {
	v, ok := o.m[key]
	if !ok {
		return 0, nil
	}
	s := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(v), " ", ""))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if t, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = t, u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, o.Errorf("option '%s' is '%s', want a positive size such as '128mb'", key, v)
	}
	return n * mult, nil
}

// ParseDuration parses a duration in Go syntax or Flink's ("10 s",
// "1 min", "500 ms", "2 h", "1 d", a bare number of milliseconds).
func ParseDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		if n > math.MaxInt64/int64(time.Millisecond) {
			return 0, fmt.Errorf("duration %q is too long (at most %v)", v, time.Duration(math.MaxInt64))
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, fmt.Errorf("invalid duration %q", v)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", v)
	}
	var unit time.Duration
	switch strings.ToLower(strings.TrimSpace(s[i:])) {
	case "ms", "milli", "millis", "millisecond", "milliseconds":
		unit = time.Millisecond
	case "s", "sec", "secs", "second", "seconds":
		unit = time.Second
	case "min", "mins", "minute", "minutes":
		unit = time.Minute
	case "h", "hour", "hours":
		unit = time.Hour
	case "d", "day", "days":
		unit = 24 * time.Hour
	default:
		return 0, fmt.Errorf("invalid duration %q", v)
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, fmt.Errorf("duration %q is too long (at most %v)", v, time.Duration(math.MaxInt64))
	}
	return time.Duration(n) * unit, nil
}

// NoPartitions returns an error when the table is PARTITIONED BY columns,
// for the factories that cannot partition.
func (o *TableOptions) NoPartitions(t TableContext) error {
	if len(t.PartitionKeys) > 0 {
		return o.Errorf("the connector cannot partition a table (PARTITIONED BY %s)", strings.Join(t.PartitionKeys, ", "))
	}
	return nil
}

// OptSinkParallelism is Flink's 'sink.parallelism', which every sink
// factory of strom accepts (SinkParallelismOption): the parallelism of the
// sink operator, for the planner to read with SinkParallelism.
const OptSinkParallelism = "sink.parallelism"

// SinkParallelismOption documents 'sink.parallelism' for a factory's
// Options.
func SinkParallelismOption() TableOption {
	return TableOption{Key: OptSinkParallelism, Description: "sink: the parallelism of the sink operator (default: the job's)"}
}

// SinkParallelism returns the 'sink.parallelism' of a table's options (0
// when not given), or an error naming the bad value.
func SinkParallelism(options map[string]string) (int, error) {
	v, ok := options[OptSinkParallelism]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 1<<15 {
		return 0, fmt.Errorf("option '%s' is '%s', want an integer in [1, 32768]", OptSinkParallelism, v)
	}
	return n, nil
}

// OptScanParallelism is Flink's 'scan.parallelism': the parallelism of a
// table's source operator. A factory that lists it (ScanParallelismOption)
// lets the SQL planner run the table's source at that parallelism
// (ScanParallelism); TableContext.Parallelism then carries it.
const OptScanParallelism = "scan.parallelism"

// ScanParallelismOption documents 'scan.parallelism' for a factory's
// Options.
func ScanParallelismOption() TableOption {
	return TableOption{Key: OptScanParallelism, Description: "source: the parallelism of the source operator (default: the job's)"}
}

// ScanParallelism returns the 'scan.parallelism' of a table's options (0
// when not given), or an error naming the bad value.
func ScanParallelism(options map[string]string) (int, error) {
	v, ok := options[OptScanParallelism]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 1<<15 {
		return 0, fmt.Errorf("option '%s' is '%s', want an integer in [1, 32768]", OptScanParallelism, v)
	}
	return n, nil
}
