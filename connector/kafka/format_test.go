package kafka_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/stromio/strom/connector/kafka"
	"github.com/stromio/strom/stream"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

type trade struct {
	Sym string `avro:"sym" json:"sym"`
	Qty int64  `avro:"qty" json:"qty"`
}

const tradeSchema = `{"type":"record","name":"trade","fields":[{"name":"sym","type":"string"},{"name":"qty","type":"long"}]}`

// TestFormatsPerSourceAndSink: JSON in, Avro in the Confluent wire format
// (schema registered in a registry) out, exactly-once; a second job reads
// the Avro topic back through the registry, and a record that is not in
// the wire format goes to the dead letters with the format's error class.
func TestFormatsPerSourceAndSink(t *testing.T) {
	c, cl := newCluster(t, 2, "json-in", "avro-out")
	reg := srfake.New()
	defer reg.Close()
	src, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 20 {
		v := fmt.Sprintf(`{"sym":"S%d","qty":%d}`, i%4, i)
		if err := cl.ProduceSync(context.Background(), kgoRecord("json-in", int32(i%2), v)).FirstErr(); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("S%d/%d", i%4, i))
	}
	kc := kafka.Cluster{Brokers: c.ListenAddrs()}
	in, err := kafka.NewSource(kafka.SourceOptions[trade]{Cluster: kc, Topics: []string{"json-in"}, Bounded: true,
		Deserializer: kafka.Values(format.JSON[trade]())})
	if err != nil {
		t.Fatal(err)
	}
	avro, err := format.AvroRegistry[trade](src, "avro-out-value", format.AvroOptions{Schema: tradeSchema})
	if err != nil {
		t.Fatal(err)
	}
	out, err := kafka.NewSink(kafka.SinkOptions[trade]{Cluster: kc, Topic: "avro-out", Guarantee: kafka.ExactlyOnce,
		TransactionalIDPrefix: "fmt-test", Serializer: kafka.ValuesTo[trade](avro, func(t trade) []byte { return []byte(t.Sym) })})
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 2,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 20 * time.Millisecond}})
	stream.SinkTo[trade](stream.FromSource[trade](env, in, stream.WatermarkStrategy[trade]{}, "json"), out, "avro")
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One record that is not Avro in the wire format.
	if err := cl.ProduceSync(context.Background(), kgoRecord("avro-out", 0, "not avro")).FirstErr(); err != nil {
		t.Fatal(err)
	}

	back, err := kafka.NewSource(kafka.SourceOptions[trade]{Cluster: kc, Topics: []string{"avro-out"}, Bounded: true,
		OnError: connector.DeadLetterQueue, Deserializer: kafka.Values[trade](avro)})
	if err != nil {
		t.Fatal(err)
	}
	env2 := stream.NewEnvironment(stream.Options{Parallelism: 1})
	s := stream.FromSource[trade](env2, back, stream.WatermarkStrategy[trade]{}, "avro-in")
	got := stream.Collect(stream.Map(s, func(t trade) string { return fmt.Sprintf("%s/%d", t.Sym, t.Qty) }))
	dead := stream.Collect(stream.DeadLetters(s))
	if err := env2.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	g := got.Values()
	slices.Sort(g)
	slices.Sort(want)
	if !slices.Equal(g, want) {
		t.Fatalf("read back %v, want %v", g, want)
	}
	d := dead.Values()
	if len(d) != 1 || string(d[0].Value) != "not avro" || d[0].ErrorClass != format.ClassWireFormat || d[0].Operator != "avro-in" {
		t.Fatalf("dead letters %+v", d)
	}
}
