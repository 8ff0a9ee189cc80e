package stream

import "errors"

var errDifferentEnv = errors.New("stream: cannot combine streams from different environments")
