module github.com/stromio/strom

go 1.26

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/goccy/go-json v0.12.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
)
