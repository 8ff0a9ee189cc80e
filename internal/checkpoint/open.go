package checkpoint

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/stromio/strom/internal/vfs"
)

// urlScheme matches a location that starts with a URL scheme.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// Open returns the storage of a checkpoint location, as given to
// --checkpoint-dir: s3://bucket/prefix is an S3 (endpoint, credentials and
// region from the environment: see S3OptionsFromURL), anything else a
// directory of fsys (Local). It does no I/O.
func Open(fsys vfs.FS, location string) (Storage, error) {
	return OpenLogf(fsys, location, nil)
}

// OpenLogf is Open with the storage's warnings (S3Options.Logf: an S3
// multipart upload whose abort failed) going to logf (nil: standard error).
func OpenLogf(fsys vfs.FS, location string, logf func(format string, args ...any)) (Storage, error) {
	if strings.HasPrefix(location, S3URLScheme) {
		opts, err := S3OptionsFromURL(location, os.Getenv)
		if err != nil {
			return nil, err
		}
		opts.Logf = logf
		return NewS3(opts)
	}
	if scheme := urlScheme.FindString(location); scheme != "" {
		return nil, fmt.Errorf("checkpoint: %q: unsupported scheme %s (a local directory or %sbucket/prefix)", location, scheme, S3URLScheme)
	}
	return NewLocal(fsys, location), nil
}
