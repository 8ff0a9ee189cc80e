package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/journal"
)

// JournalHandler is the journal's HTTP API (journal.NewHandler: produce,
// idempotent produce with POST /producers,
// fetch, tail, topics) plus POST /topics {"name","partitions"} to create a
// topic; the web layer mounts it under /api/v1/journal behind its auth.
func (s *Server) JournalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /topics", s.createTopic)
	mux.Handle("/", journal.NewHandler(s.j, journal.HandlerOptions{Logger: s.log}))
	return mux
}

func (s *Server) createTopic(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name       string `json:"name"`
		Partitions int    `json:"partitions"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			jsonError(w, http.StatusRequestEntityTooLarge, "too_large", "the request body is too large")
			return
		}
		jsonError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf(`the body must be {"name": "...", "partitions": N}: %v`, err))
		return
	}
	if !web.ValidName(req.Name) {
		jsonError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("invalid topic name %q: use letters, digits, '.', '_' and '-' (1 to 64)", req.Name))
		return
	}
	if req.Partitions == 0 {
		req.Partitions = 1
	}
	if req.Partitions < 1 || req.Partitions > 1024 {
		jsonError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("partitions must be between 1 and 1024, got %d", req.Partitions))
		return
	}
	if err := s.j.CreateTopic(req.Name, req.Partitions); err != nil {
		if errors.Is(err, journal.ErrTopicExists) {
			jsonError(w, http.StatusConflict, "conflict", fmt.Sprintf("topic %q exists", req.Name))
			return
		}
		s.log.Error("strom server: create a journal topic", "topic", req.Name, "err", err)
		jsonError(w, http.StatusInternalServerError, "internal", "internal error (see the server's log)")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"name": req.Name, "partitions": req.Partitions})
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg, "code": code})
}
