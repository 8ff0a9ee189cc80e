package kafka

// Pins the versions of the modules the connector's tests and formats use
// (kfake has no tags: a pseudo-version). Remove an import here once real
// code imports the module.
import (
	_ "github.com/hamba/avro/v2"
	_ "github.com/twmb/franz-go/pkg/kadm"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "github.com/twmb/franz-go/pkg/sr"
)
