package server

import (
	"time"

	"github.com/stromio/strom/internal/web"
)

// Metrics returns the figures of every job for the Prometheus handler
// (web.NewMetricsHandler(s.Metrics)): the running attempt's view and
// checkpoint counts; a job that is not running has no vertices.
func (s *Server) Metrics() []web.JobMetrics {
	now := time.Now()
	var out []web.JobMetrics
	for _, sum := range s.Jobs() {
		info, err := s.Job(sum.ID)
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, web.JobMetrics{JobID: sum.ID, JobName: sum.Name, Time: now, Vertices: info.View,
			Checkpoints: info.Checkpoints, Exceptions: int64(len(info.Exceptions)), Restarts: sum.Restarts})
	}
	return out
}
