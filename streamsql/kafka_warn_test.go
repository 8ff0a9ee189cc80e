package streamsql_test

import (
	"context"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/connector/kafka"
	"github.com/stromio/strom/streamsql"
)

// An unbounded INSERT into an at-least-once Kafka table (the default
// guarantee) without checkpoints: its records are visible as produced, yet
// the warning said its output stays invisible (review of sinkvis).
func TestKafkaAtLeastOnceNoWarning(t *testing.T) {
	var w warnings
	s := streamsql.NewSession(streamsql.Options{Warnf: w.warnf,
		Factories: []connector.TableFactory{datagen.TableFactory(), kafka.TableFactory()}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	job, _, err := s.Submit(ctx, `CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '10');
CREATE TABLE k (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 't', 'properties.bootstrap.servers' = '127.0.0.1:1', 'format' = 'json');
INSERT INTO k SELECT id FROM gen;`)
	if err != nil {
		t.Logf("submit: %v", err)
	} else {
		job.Cancel()
		_ = job.Wait()
	}
	if msg := w.all(); msg != "" {
		t.Errorf("at-least-once Kafka sink warned: %s", msg)
	}
}
