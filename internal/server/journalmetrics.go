package server

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stromio/strom/internal/web"
)

// JournalCollector exposes the embedded journal in /metrics (an extra
// collector of web.NewMetricsHandler): per topic partition its start and
// end offsets, and per consumer group (a journal source with
// 'scan.commit-offsets' commits its checkpoints' offsets to 'group.id')
// the committed offset and the lag behind the end. The jobs' own source
// positions live in their checkpoints and are not read here.
func (s *Server) JournalCollector() prometheus.Collector { return journalCollector{s} }

type journalCollector struct{ s *Server }

var (
	jStartDesc = prometheus.NewDesc("strom_journal_start_offset",
		"The first offset kept in a journal topic partition.", []string{"topic", "partition"}, nil)
	jEndDesc = prometheus.NewDesc("strom_journal_end_offset",
		"The offset the next record of a journal topic partition will get.", []string{"topic", "partition"}, nil)
	jCommittedDesc = prometheus.NewDesc("strom_journal_group_committed_offset",
		"The offset a consumer group committed for a journal topic partition (the next to read).", []string{"group", "topic", "partition"}, nil)
	jLagDesc = prometheus.NewDesc("strom_journal_group_lag_records",
		"Records of a journal topic partition after a consumer group's committed offset.", []string{"group", "topic", "partition"}, nil)
)

func (c journalCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jStartDesc
	ch <- jEndDesc
	ch <- jCommittedDesc
	ch <- jLagDesc
}

func (c journalCollector) Collect(ch chan<- prometheus.Metric) {
	j := c.s.j
	ends := map[[2]string]int64{}
	for _, t := range j.Topics() {
		for p := 0; p < t.Partitions; p++ {
			start, end, err := j.Bounds(t.Name, p)
			if err != nil {
				continue
			}
			ps := strconv.Itoa(p)
			ends[[2]string{t.Name, ps}] = end
			ch <- prometheus.MustNewConstMetric(jStartDesc, prometheus.GaugeValue, float64(start), t.Name, ps)
			ch <- prometheus.MustNewConstMetric(jEndDesc, prometheus.GaugeValue, float64(end), t.Name, ps)
		}
	}
	for _, g := range c.s.journalGroups() {
		offs, err := j.GroupOffsets(g)
		if err != nil {
			continue
		}
		for tp, off := range offs {
			ps := strconv.Itoa(tp.Partition)
			end, ok := ends[[2]string{tp.Topic, ps}]
			if !ok {
				continue
			}
			ch <- prometheus.MustNewConstMetric(jCommittedDesc, prometheus.GaugeValue, float64(off), g, tp.Topic, ps)
			ch <- prometheus.MustNewConstMetric(jLagDesc, prometheus.GaugeValue, float64(max(0, end-off)), g, tp.Topic, ps)
		}
	}
}

// journalGroups lists the consumer groups with committed offsets (the
// journal keeps one file per group in its groups directory).
func (s *Server) journalGroups() []string {
	ents, err := os.ReadDir(filepath.Join(s.dir, "journal", "groups"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if g, ok := strings.CutSuffix(e.Name(), ".offsets"); ok && web.ValidName(g) {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}
