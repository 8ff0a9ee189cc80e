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
	if strings.HasPrefix(location, S3URLScheme) {
		opts, err := S3OptionsFromURL(location, os.Getenv)
		if err != nil {
			return nil, err
		}
		return NewS3(opts)
	}
	if scheme := urlScheme.FindString(location); scheme != "" {
		return nil, fmt.Errorf("checkpoint: %q: unsupported scheme %s (a local directory or %sbucket/prefix)", location, scheme, S3URLScheme)
	}
	return NewLocal(fsys, location), nil
}
