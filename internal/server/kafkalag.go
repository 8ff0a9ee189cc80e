package server

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/web"
)

// kafkaLagTimeout bounds the Kafka requests of one scrape; a source whose
// answer does not come in time shows its last known lag.
const kafkaLagTimeout = 2 * time.Second

// kafkaLagSource is a Kafka source of a job that commits its completed
// checkpoints' offsets to a consumer group
// ('properties.commit.offsets.on.checkpoint'): the group's lag is the
// job's lag on its topics. The brokers passed the server's allow list
// (guard.go) before the source was opened.
type kafkaLagSource struct {
	brokers   string // as given, comma separated
	group     string
	topics    string // ';' separated ('topic'), or empty with pattern
	pattern   string // 'topic-pattern': the group's committed topics that match
	committed bool   // read_committed: the end is the last stable offset
}

// kafkaLags are the Kafka lag clients of a job: one kadm client per
// brokers, created at the first scrape, closed when the job ends; and the
// last lags each source reported.
type kafkaLags struct {
	mu      sync.Mutex
	closed  bool
	clients map[string]*kgo.Client
	last    map[kafkaLagSource][]web.SourceLag
}

// kafkaSource records t when it is a Kafka source committing offsets.
func (jb *job) kafkaSource(t connector.TableContext) {
	o := t.Options
	if !strings.EqualFold(o["properties.commit.offsets.on.checkpoint"], "true") || o["properties.group.id"] == "" ||
		o["properties.bootstrap.servers"] == "" || (o["topic"] == "" && o["topic-pattern"] == "") {
		return
	}
	src := kafkaLagSource{brokers: o["properties.bootstrap.servers"], group: o["properties.group.id"], topics: o["topic"],
		committed: !strings.EqualFold(o["properties.isolation.level"], "read_uncommitted")}
	if src.topics == "" {
		src.pattern = o["topic-pattern"]
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if !slices.Contains(jb.kafkaSrcs, src) {
		jb.kafkaSrcs = append(jb.kafkaSrcs, src)
	}
}

// client returns the kadm client of brokers, creating it; nil once the
// job ended.
func (k *kafkaLags) client(brokers string) *kadm.Client {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	if cl, ok := k.clients[brokers]; ok {
		return kadm.NewClient(cl)
	}
	var seeds []string
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			seeds = append(seeds, b)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ClientID("strom-lag"), kgo.DialTimeout(kafkaLagTimeout))
	if err != nil {
		return nil
	}
	if k.clients == nil {
		k.clients = map[string]*kgo.Client{}
	}
	k.clients[brokers] = cl
	return kadm.NewClient(cl)
}

// close closes the job's clients (when the job ends); later scrapes
// create none.
func (k *kafkaLags) close() {
	k.mu.Lock()
	k.closed = true
	cls := k.clients
	k.clients = nil
	k.mu.Unlock()
	for _, cl := range cls {
		cl.Close()
	}
}

// kafkaLags asks the brokers, at most kafkaLagTimeout for all sources
// together, for the lag of each source's group: per partition the end
// (high watermark, or last stable offset for read_committed) minus the
// group's committed offset (the end when it committed none). A source
// that does not answer shows its last known lag.
func (s *Server) kafkaLags(ctx context.Context, jb *job, srcs []kafkaLagSource) []web.SourceLag {
	if len(srcs) == 0 {
		return nil
	}
	k := &jb.kafka
	res := make([][]web.SourceLag, len(srcs))
	ok := make([]bool, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		adm := k.client(src.brokers)
		if adm == nil {
			continue
		}
		wg.Go(func() { res[i], ok[i] = kafkaSourceLag(ctx, adm, src) })
	}
	wg.Wait()
	k.mu.Lock()
	if k.last == nil {
		k.last = map[kafkaLagSource][]web.SourceLag{}
	}
	var out []web.SourceLag
	for i, src := range srcs {
		if ok[i] {
			k.last[src] = res[i]
		}
		out = append(out, k.last[src]...)
	}
	k.mu.Unlock()
	// Two tables of one topic would give one series twice: the larger
	// lag stays.
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Topic != out[b].Topic {
			return out[a].Topic < out[b].Topic
		}
		return out[a].Partition < out[b].Partition
	})
	dedup := out[:0]
	for _, l := range out {
		if n := len(dedup); n > 0 && dedup[n-1].Topic == l.Topic && dedup[n-1].Partition == l.Partition {
			dedup[n-1].Lag = max(dedup[n-1].Lag, l.Lag)
			continue
		}
		dedup = append(dedup, l)
	}
	return dedup
}

// kafkaSourceLag is the lag of one source; false when the brokers did not
// answer in full.
func kafkaSourceLag(ctx context.Context, adm *kadm.Client, src kafkaLagSource) ([]web.SourceLag, bool) {
	offs, err := adm.FetchOffsets(ctx, src.group)
	if err != nil {
		return nil, false
	}
	var topics []string
	if src.pattern != "" {
		re, err := regexp.Compile("^(?:" + src.pattern + ")$")
		if err != nil {
			return nil, false
		}
		for t := range offs {
			if re.MatchString(t) {
				topics = append(topics, t)
			}
		}
	} else {
		for _, t := range strings.Split(src.topics, ";") {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(topics, t) {
				topics = append(topics, t)
			}
		}
	}
	if len(topics) == 0 {
		return nil, true
	}
	list := adm.ListEndOffsets
	if src.committed {
		list = adm.ListCommittedOffsets
	}
	ends, err := list(ctx, topics...)
	if err != nil {
		return nil, false
	}
	var out []web.SourceLag
	complete := true
	ends.Each(func(e kadm.ListedOffset) {
		if e.Err != nil || e.Offset < 0 {
			complete = false
			return
		}
		lag := e.Offset
		if c, ok := offs.Lookup(e.Topic, e.Partition); ok && c.Err == nil && c.At >= 0 {
			lag = max(0, e.Offset-c.At)
		}
		out = append(out, web.SourceLag{Connector: "kafka", Topic: e.Topic, Partition: e.Partition, Lag: lag})
	})
	if !complete {
		return nil, false
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Topic != out[b].Topic {
			return out[a].Topic < out[b].Topic
		}
		return out[a].Partition < out[b].Partition
	})
	return out, true
}
