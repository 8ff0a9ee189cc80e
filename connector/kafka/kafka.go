// Package kafka is strom's Kafka connector on franz-go: a source that keeps
// its offsets in strom's checkpoints (one split per partition) and a sink
// that is at-least-once or exactly-once through Kafka transactions tied to
// checkpoints (connector.Committer).
//
// Records cross the connector as Record; a Deserializer turns one into the
// job's type and a Serializer turns the job's values back (the format
// package provides JSON, CSV, raw and Avro with a schema registry).
package kafka

import (
	"errors"

	"github.com/stromio/strom/connector"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Record is one Kafka record as the connector sees it.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []connector.Header
	// Timestamp is epoch milliseconds.
	Timestamp int64
}

// Deserializer turns a record read from Kafka into a value of the job's
// type. An error makes the record bad input, handled by the source's
// OnError policy. It must not keep r or its slices after returning.
type Deserializer[T any] func(r *Record) (T, error)

// Serializer turns a value into the record to produce. ts is the value's
// event time (base.MinTime if none). An empty Topic means the sink's
// default topic; Partition < 0 means "choose by key" (the sink's
// partitioner). The sink owns the returned record.
type Serializer[T any] func(v T, ts int64) (*Record, error)

// Cluster says how to reach Kafka; it is shared by sources and sinks.
type Cluster struct {
	// Brokers are the seed brokers (host:port).
	Brokers []string
	// Options are extra franz-go client options (TLS, SASL, ...).
	Options []kgo.Opt
}

func (c Cluster) opts(extra ...kgo.Opt) ([]kgo.Opt, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("kafka: no brokers configured (Cluster.Brokers / --brokers)")
	}
	o := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	o = append(o, c.Options...)
	return append(o, extra...), nil
}

// kgoRecordBytes is the size of a record's key, value and headers.
func kgoRecordBytes(r *kgo.Record) int64 {
	n := len(r.Key) + len(r.Value)
	for i := range r.Headers {
		n += len(r.Headers[i].Key) + len(r.Headers[i].Value)
	}
	return int64(n)
}

func toHeaders(hs []kgo.RecordHeader) []connector.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]connector.Header, len(hs))
	for i, h := range hs {
		out[i] = connector.Header{Key: h.Key, Value: h.Value}
	}
	return out
}

func fromHeaders(hs []connector.Header) []kgo.RecordHeader {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kgo.RecordHeader, len(hs))
	for i, h := range hs {
		out[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
	}
	return out
}

// Values deserializes a record's value with d (any decoder of package
// format: format.JSON[T](), format.CSV, format.AvroRegistry, ...).
func Values[T any](d interface{ Decode([]byte) (T, error) }) Deserializer[T] {
	return func(r *Record) (T, error) { return d.Decode(r.Value) }
}

// ValuesTo serializes values with e (any encoder of package format) into
// the record value, keyed by key(v) (nil key: nil), with the event time as
// the record timestamp and the partition chosen from the key.
func ValuesTo[T any](e interface {
	Encode(v T, dst []byte) ([]byte, error)
}, key func(T) []byte) Serializer[T] {
	return func(v T, ts int64) (*Record, error) {
		b, err := e.Encode(v, nil)
		if err != nil {
			return nil, err
		}
		r := &Record{Value: b, Timestamp: ts, Partition: -1}
		if key != nil {
			r.Key = key(v)
		}
		return r, nil
	}
}
