package journal_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/stromio/strom/journal"
)

func Example() {
	dir, err := os.MkdirTemp("", "journal-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	j, err := journal.Open(dir, journal.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer j.Close()
	if err := j.CreateTopic("greetings", 2); err != nil {
		log.Fatal(err)
	}
	// Acknowledged means fsynced (Durable is the default).
	off, err := j.Append(ctx, "greetings", journal.AnyPartition,
		journal.Record{Key: []byte("en"), Value: []byte("hello"), Timestamp: 1},
		journal.Record{Key: []byte("en"), Value: []byte("world"), Timestamp: 2})
	if err != nil {
		log.Fatal(err)
	}
	msgs, err := j.Poll(ctx, "greetings", off.Partition, off.First, journal.ReadOptions{MaxRecords: 10})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		fmt.Printf("%d %s %s\n", m.Offset, m.Key, m.Value)
	}
	// A consumer group remembers where to go on.
	tp := journal.TopicPartition{Topic: "greetings", Partition: off.Partition}
	if err := j.CommitOffsets("printer", map[journal.TopicPartition]int64{tp: off.Last + 1}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 0 en hello
	// 1 en world
}
