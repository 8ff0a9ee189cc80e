package checkpoint

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// S3 is a Storage in an S3 bucket (AWS S3, or any S3-compatible store such
// as MinIO), through minio-go:
//
//	<prefix>/chk-<id>/<name>       state files
//	<prefix>/chk-<id>/_metadata    put last; its presence marks completion
//
// A put of a whole object is atomic in S3 (readers see the old object, no
// object, or the whole new one), so there is no temporary name and no
// rename. _metadata is put with If-None-Match: * so that two committers of
// the same checkpoint cannot both succeed where the store supports
// conditional writes (AWS S3 since 2024, MinIO); elsewhere the header is
// ignored and the check before the put is what remains.
//
// Errors name the bucket and the key; a missing object satisfies
// errors.Is(err, fs.ErrNotExist).
type S3 struct {
	client *minio.Client
	core   minio.Core // the same client, for multipart uploads part by part
	opts   S3Options
	root   string // prefix with a trailing "/", or ""

	mu    sync.Mutex
	spare [][]byte // part buffers of finished streamed files (getBuf)
}

var (
	_ Storage      = (*S3)(nil)
	_ StreamWriter = (*S3)(nil)
)

// DefaultS3Endpoint is the endpoint of AWS S3.
const DefaultS3Endpoint = "s3.amazonaws.com"

// S3Options configure an S3 storage. Use Validate (NewS3 calls it) after
// setting them.
type S3Options struct {
	// Endpoint is host[:port] of the S3 API (default DefaultS3Endpoint).
	// A scheme may be given: "http://host:port" turns TLS off.
	Endpoint string
	// Bucket holds the checkpoints (required; it must exist).
	Bucket string
	// Prefix is the "directory" of the checkpoints inside the bucket,
	// without leading or trailing "/" ("": the bucket's root).
	Prefix string
	// Region of the bucket ("": asked from the store when needed).
	Region string
	// AccessKey and SecretKey (both required) and an optional
	// SessionToken are the credentials.
	AccessKey    string
	SecretKey    string
	SessionToken string
	// DisableSSL talks plain HTTP (MinIO on localhost); the default is TLS.
	DisableSSL bool
	// Transport replaces the HTTP transport (tests; nil: minio-go's).
	Transport http.RoundTripper
	// PartSize is the part size of a file streamed into the store
	// (StreamWriter: a file larger than one part goes up in a multipart
	// upload, one part in memory, whose buffer is kept for the next file; a
	// smaller one in one put).
	// 0: DefaultS3PartSize; at least 5 MiB (S3's minimum part), at most
	// 5 GiB. A file may have 10,000 parts.
	PartSize int64
	// AbortTimeout bounds the abort of a multipart upload (a streamed file
	// given up: a failed write, a canceled checkpoint or job), which is
	// sent also after the job's context was canceled, so that an
	// unresponsive store cannot hold a job's cancellation or shutdown
	// (0: DefaultS3AbortTimeout).
	AbortTimeout time.Duration
	// Logf receives warnings: a multipart upload whose abort failed or
	// timed out (nil: standard error).
	Logf func(format string, args ...any)
}

// DefaultS3AbortTimeout is the default S3Options.AbortTimeout.
const DefaultS3AbortTimeout = 3 * time.Second

// DefaultS3PartSize is the default S3Options.PartSize.
const DefaultS3PartSize = 16 << 20

// The part sizes S3 accepts (all parts but the last).
const (
	minS3PartSize = 5 << 20
	maxS3PartSize = 5 << 30
)

// normalize applies the defaults and splits a scheme off the endpoint.
func (o S3Options) normalize() S3Options {
	if o.Endpoint == "" {
		o.Endpoint = DefaultS3Endpoint
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultS3PartSize
	}
	if o.AbortTimeout == 0 {
		o.AbortTimeout = DefaultS3AbortTimeout
	}
	if rest, ok := strings.CutPrefix(o.Endpoint, "http://"); ok {
		o.Endpoint, o.DisableSSL = rest, true
	} else if rest, ok := strings.CutPrefix(o.Endpoint, "https://"); ok {
		o.Endpoint = rest
	}
	o.Endpoint = strings.TrimSuffix(o.Endpoint, "/")
	o.Prefix = strings.Trim(o.Prefix, "/")
	return o
}

// Validate reports the first invalid option, after the defaults.
func (o S3Options) Validate() error {
	o = o.normalize()
	switch {
	case strings.ContainsAny(o.Endpoint, "/?#@ ") || strings.Contains(o.Endpoint, "://"):
		return fmt.Errorf("checkpoint: S3 endpoint %q: want host[:port], optionally with http:// or https://", o.Endpoint)
	case o.Bucket == "":
		return errors.New("checkpoint: S3 bucket is required")
	case o.PartSize < minS3PartSize || o.PartSize > maxS3PartSize:
		return fmt.Errorf("checkpoint: S3 part size %d: want 5 MiB to 5 GiB (S3's limits for a part)", o.PartSize)
	case o.AbortTimeout < 0:
		return fmt.Errorf("checkpoint: S3 abort timeout %v: want > 0 (0: the default)", o.AbortTimeout)
	case o.AccessKey == "" || o.SecretKey == "":
		return fmt.Errorf("checkpoint: S3 bucket %s: no credentials (set the access key and the secret key, e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", o.Bucket)
	}
	if err := s3utils.CheckValidBucketNameStrict(o.Bucket); err != nil {
		return fmt.Errorf("checkpoint: S3 bucket %q: %w", o.Bucket, err)
	}
	if o.Prefix != "" {
		for seg := range strings.SplitSeq(o.Prefix, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return fmt.Errorf("checkpoint: S3 prefix %q: empty, \".\" or \"..\" path segment", o.Prefix)
			}
		}
	}
	return nil
}

// NewS3 returns the storage of opts. It does no I/O: a missing bucket or
// wrong credentials show in the first call.
func NewS3(opts S3Options) (*S3, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.normalize()
	client, err := minio.New(opts.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(opts.AccessKey, opts.SecretKey, opts.SessionToken),
		Secure:    !opts.DisableSSL,
		Region:    opts.Region,
		Transport: opts.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: S3 endpoint %s: %w", opts.Endpoint, err)
	}
	root := ""
	if opts.Prefix != "" {
		root = opts.Prefix + "/"
	}
	return &S3{client: client, core: minio.Core{Client: client}, opts: opts, root: root}, nil
}

// S3URLScheme starts the checkpoint locations that Open gives to S3.
const S3URLScheme = "s3://"

// The environment variables of S3OptionsFromURL.
const (
	EnvS3Endpoint      = "STROM_S3_ENDPOINT" // e.g. http://127.0.0.1:9000 for MinIO
	EnvAWSAccessKeyID  = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretKey    = "AWS_SECRET_ACCESS_KEY"
	EnvAWSSessionToken = "AWS_SESSION_TOKEN"
	EnvAWSRegion       = "AWS_REGION"
	EnvS3PartSize      = "STROM_S3_PART_SIZE"     // bytes, or with KiB, MiB or GiB: 5MiB
	EnvS3AbortTimeout  = "STROM_S3_ABORT_TIMEOUT" // a Go duration: 10s
)

// parsePartSize reads STROM_S3_PART_SIZE: a number of bytes, optionally
// followed by KiB, MiB or GiB.
func parsePartSize(v string) (int64, error) {
	num, mul := v, int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, ok := strings.CutSuffix(v, suffix); ok {
			num, mul = n, m
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > maxS3PartSize/mul {
		return 0, fmt.Errorf("checkpoint: %s=%q: want a number of bytes from 5MiB to 5GiB, e.g. 16777216 or 16MiB", EnvS3PartSize, v)
	}
	return n * mul, nil
}

// S3OptionsFromURL parses s3://bucket[/prefix] and takes the endpoint,
// the credentials and the region from getenv: STROM_S3_ENDPOINT (default
// AWS S3; "http://host:port" for a store without TLS),
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
// AWS_REGION, the part size of multipart uploads from STROM_S3_PART_SIZE
// (default DefaultS3PartSize) and the bound of their abort from
// STROM_S3_ABORT_TIMEOUT (default DefaultS3AbortTimeout).
func S3OptionsFromURL(loc string, getenv func(string) string) (S3Options, error) {
	rest, ok := strings.CutPrefix(loc, S3URLScheme)
	if !ok {
		return S3Options{}, fmt.Errorf("checkpoint: %q is not an %sbucket/prefix URL", loc, S3URLScheme)
	}
	u, err := url.Parse(loc)
	if err != nil {
		return S3Options{}, fmt.Errorf("checkpoint: %q: %w", loc, err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return S3Options{}, fmt.Errorf("checkpoint: %q: want %sbucket/prefix, without user, query or fragment (credentials come from %s and %s)",
			loc, S3URLScheme, EnvAWSAccessKeyID, EnvAWSSecretKey)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	o := S3Options{
		Endpoint:     getenv(EnvS3Endpoint),
		Bucket:       bucket,
		Prefix:       prefix,
		Region:       getenv(EnvAWSRegion),
		AccessKey:    getenv(EnvAWSAccessKeyID),
		SecretKey:    getenv(EnvAWSSecretKey),
		SessionToken: getenv(EnvAWSSessionToken),
	}
	if v := getenv(EnvS3PartSize); v != "" {
		if o.PartSize, err = parsePartSize(v); err != nil {
			return S3Options{}, err
		}
	}
	if v := getenv(EnvS3AbortTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return S3Options{}, fmt.Errorf("checkpoint: %s=%q: want a positive duration such as 3s, 500ms or 1m", EnvS3AbortTimeout, v)
		}
		o.AbortTimeout = d
	}
	if err := o.Validate(); err != nil {
		return S3Options{}, fmt.Errorf("%w (from %s)", err, loc)
	}
	return o.normalize(), nil
}

// Options returns the options, with the defaults applied.
func (s *S3) Options() S3Options { return s.opts }

// String returns s3://bucket/prefix.
func (s *S3) String() string {
	return S3URLScheme + s.opts.Bucket + "/" + s.opts.Prefix
}

func (s *S3) key(id int64, name string) string { return s.root + ChkDirName(id) + "/" + name }

// label names an object in messages.
func (s *S3) label(key string) string { return S3URLScheme + s.opts.Bucket + "/" + key }

// s3Code returns the S3 error code of err ("" when it is not an S3 error).
func s3Code(err error) string {
	var e minio.ErrorResponse
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// s3Err wraps err of an operation on key; a missing object or bucket also
// wraps fs.ErrNotExist.
func (s *S3) s3Err(op, key string, err error) error {
	if c := s3Code(err); c == minio.NoSuchKey || c == minio.NoSuchBucket {
		return fmt.Errorf("checkpoint: %s %s: %w (%w)", op, s.label(key), fs.ErrNotExist, err)
	}
	return fmt.Errorf("checkpoint: %s %s: %w", op, s.label(key), err)
}

// complete reports whether checkpoint id has its _metadata object.
func (s *S3) complete(ctx context.Context, id int64) (bool, error) {
	key := s.key(id, MetadataFile)
	_, err := s.client.StatObject(ctx, s.opts.Bucket, key, minio.StatObjectOptions{})
	switch {
	case err == nil:
		return true, nil
	case s3Code(err) == minio.NoSuchKey:
		return false, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	}
	return false, s.s3Err("looking up", key, err)
}

// put stores data whole in one PUT, with its Content-MD5 (the store checks
// the bytes it received; the payload is not signed, which over plain HTTP
// would make minio-go frame and sign it in 64 KiB chunks, each copied).
func (s *S3) put(ctx context.Context, key string, data []byte, opts minio.PutObjectOptions) error {
	opts.ContentType = "application/octet-stream"
	opts.DisableContentSha256 = true
	body := newBodyReader(data)
	defer body.detach()
	_, err := s.core.PutObject(ctx, s.opts.Bucket, key, body, int64(len(data)), md5Base64(data), "", opts)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// bodyReader is the body of a request over bytes the caller reuses once
// the request returned. net/http may go on reading a request's body after
// the response (a store that answers an error before reading the whole
// body): after detach, reads fail and never touch the bytes. It is
// seekable, so that minio-go can retry the request.
type bodyReader struct {
	mu       sync.Mutex
	r        bytes.Reader
	detached bool
}

func newBodyReader(data []byte) *bodyReader {
	b := &bodyReader{}
	b.r.Reset(data)
	return b
}

// errDetached is what a request body read after its request returned gives.
var errDetached = errors.New("checkpoint: request body read after its request returned")

func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.detached {
		return 0, errDetached
	}
	return b.r.Read(p)
}

func (b *bodyReader) Seek(off int64, whence int) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.detached {
		return 0, errDetached
	}
	return b.r.Seek(off, whence)
}

// detach ends every later read: the bytes may be reused.
func (b *bodyReader) detach() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.detached = true
}

// md5Base64 is the Content-MD5 of data.
func md5Base64(data []byte) string {
	sum := md5.Sum(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// getBuf returns a buffer for the first part of a streamed file (a spare
// one of an earlier file when there is one), emptied.
func (s *S3) getBuf() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return b[:0]
	}
	return nil
}

// putBuf keeps b for the next streamed file (at most maxSpareBufs).
func (s *S3) putBuf(b []byte) {
	if cap(b) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.spare) < maxSpareBufs {
		s.spare = append(s.spare, b[:0])
	}
}

// maxSpareBufs part buffers are kept between streamed files: one per file
// written at the same time (the uploader of a job writes one at a time).
const maxSpareBufs = 2

// WriteFile implements Storage.
func (s *S3) WriteFile(ctx context.Context, id int64, name string, data []byte) (FileSum, error) {
	if err := ctx.Err(); err != nil {
		return FileSum{}, err
	}
	if err := checkID(id); err != nil {
		return FileSum{}, err
	}
	if err := ValidName(name); err != nil {
		return FileSum{}, fmt.Errorf("checkpoint: %w", err)
	}
	if done, err := s.complete(ctx, id); err != nil {
		return FileSum{}, err
	} else if done {
		return FileSum{}, fmt.Errorf("%w: chk-%d in %s; not writing %s", ErrExists, id, s, name)
	}
	key := s.key(id, name)
	sum := FileSum{Size: int64(len(data)), CRC: CRC(data)}
	if sum.Size > s.opts.PartSize {
		// More than one PUT may take (5 GiB): a multipart upload, as a
		// streamed file.
		f := &s3File{s: s, ctx: ctx, id: id, name: name, key: key, buf: s.getBuf()}
		if _, err := f.Write(data); err != nil {
			f.Abort()
			return FileSum{}, err
		}
		if err := f.Commit(sum); err != nil {
			return FileSum{}, err
		}
		return sum, nil
	}
	if err := s.put(ctx, key, data, minio.PutObjectOptions{}); err != nil {
		return FileSum{}, s.s3Err("writing", key, err)
	}
	return sum, nil
}

// CreateFile implements StreamWriter. The file is kept in memory up to one
// part (S3Options.PartSize) and put whole on Commit, as WriteFile does; a
// larger one goes to the store as it is written, in a multipart upload
// that Commit completes: each part is uploaded from the buffer it was
// written into, with its Content-MD5, when the next byte arrives (one part
// in memory, no copy by minio-go). The buffer grows by doubling up to a
// part and is kept for the next file (getBuf), so that a storage holds at
// most maxSpareBufs buffers of at most a part between files. Either way the
// object exists whole or not at all: Abort, a failed write or a refused
// Commit aborts the multipart upload (no object, no parts left behind),
// also when ctx was canceled.
func (s *S3) CreateFile(ctx context.Context, id int64, name string) (FileWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ValidName(name); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if done, err := s.complete(ctx, id); err != nil {
		return nil, err
	} else if done {
		return nil, fmt.Errorf("%w: chk-%d in %s; not writing %s", ErrExists, id, s, name)
	}
	return &s3File{s: s, ctx: ctx, id: id, name: name, key: s.key(id, name), buf: s.getBuf()}, nil
}

// s3File is a FileWriter of S3.
type s3File struct {
	s     *S3
	ctx   context.Context
	id    int64
	name  string
	key   string
	buf   []byte // the bytes written and not uploaded yet, at most a part
	n     int64  // bytes written
	ended bool   // Commit or Abort was called
	err   error  // a part upload failed (the upload is aborted)
	// The multipart upload, once the file outgrew one part.
	upload string // its id ("": none)
	parts  []minio.CompletePart
}

func (f *s3File) Write(b []byte) (int, error) {
	switch {
	case f.ended:
		return 0, fmt.Errorf("checkpoint: writing %s after Commit or Abort", f.s.label(f.key))
	case f.err != nil:
		return 0, f.err
	}
	part := int(f.s.opts.PartSize)
	written := 0
	for len(b) > 0 {
		if len(f.buf) == part { // full, and more is coming: upload it
			if err := f.flushPart(); err != nil {
				return written, err
			}
		}
		if cap(f.buf) == len(f.buf) { // grow by doubling, up to a part
			nb := make([]byte, len(f.buf), min(max(2*cap(f.buf), len(f.buf)+len(b), 64<<10), part))
			copy(nb, f.buf)
			f.buf = nb
		}
		n := min(len(b), cap(f.buf)-len(f.buf))
		f.buf = append(f.buf, b[:n]...)
		b = b[n:]
		written += n
		f.n += int64(n)
	}
	return written, nil
}

// flushPart uploads the buffer as the next part (starting the multipart
// upload at the first one) and empties it. A failure aborts the upload.
func (f *s3File) flushPart() error {
	ctx := f.ctx
	if f.upload == "" {
		id, err := f.s.core.NewMultipartUpload(ctx, f.s.opts.Bucket, f.key, minio.PutObjectOptions{ContentType: "application/octet-stream"})
		if err != nil {
			return f.failed(err)
		}
		f.upload = id
	}
	num := len(f.parts) + 1
	body := newBodyReader(f.buf)
	p, err := f.s.core.PutObjectPart(ctx, f.s.opts.Bucket, f.key, f.upload, num, body, int64(len(f.buf)),
		minio.PutObjectPartOptions{Md5Base64: md5Base64(f.buf), DisableContentSha256: true})
	body.detach() // the buffer is written again from here on
	if err != nil {
		return f.failed(err)
	}
	f.parts = append(f.parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
	f.buf = f.buf[:0]
	return nil
}

// failed aborts the multipart upload after err and returns err, named.
func (f *s3File) failed(err error) error {
	if f.ctx.Err() != nil {
		err = f.ctx.Err()
	}
	f.abortUpload()
	f.err = f.s.s3Err("writing", f.key, err)
	return f.err
}

// abortUpload aborts the multipart upload, if any, also after ctx was
// canceled (a job canceled in the middle of a file leaves no parts).
func (f *s3File) abortUpload() {
	if f.upload == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), f.s.opts.AbortTimeout)
	defer cancel()
	if err := f.s.core.AbortMultipartUpload(ctx, f.s.opts.Bucket, f.key, f.upload); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %v: %w", f.s.opts.AbortTimeout, err)
		}
		// The object never appears, but the parts stay (and are billed)
		// until a lifecycle rule removes them.
		f.s.warnf("checkpoint: WARNING: aborting the multipart upload %s of %s failed (%v); its parts stay in bucket %s "+
			"until a bucket lifecycle rule for incomplete multipart uploads (AbortIncompleteMultipartUpload) removes them",
			f.upload, f.s.label(f.key), err, f.s.opts.Bucket)
	}
	f.upload = ""
}

// warnf reports a warning through S3Options.Logf, or on standard error.
func (s *S3) warnf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
		return
	}
	fmt.Fprintf(os.Stderr, "strom: "+format+"\n", args...)
}

// release returns the buffer for the next file.
func (f *s3File) release() {
	f.s.putBuf(f.buf)
	f.buf = nil
}

func (f *s3File) Abort() {
	if f.ended {
		return
	}
	f.ended = true
	f.abortUpload()
	f.release()
}

func (f *s3File) Commit(sum FileSum) error {
	if f.ended {
		return fmt.Errorf("checkpoint: %s: Commit after Commit or Abort", f.s.label(f.key))
	}
	if f.err != nil {
		f.Abort()
		return f.err
	}
	if f.n != sum.Size {
		f.Abort()
		return fmt.Errorf("checkpoint: writing %s: %d bytes, the sum says %d", f.s.label(f.key), f.n, sum.Size)
	}
	// The checkpoint may have completed while the file was written.
	if done, err := f.s.complete(f.ctx, f.id); err != nil || done {
		f.Abort()
		if err == nil {
			return fmt.Errorf("%w: chk-%d in %s; not writing %s", ErrExists, f.id, f.s, f.name)
		}
		return err
	}
	defer f.Abort() // the buffer back; the upload aborted unless completed
	if f.upload == "" {
		if err := f.s.put(f.ctx, f.key, f.buf, minio.PutObjectOptions{}); err != nil {
			return f.s.s3Err("writing", f.key, err)
		}
		return nil
	}
	if err := f.flushPart(); err != nil { // the last part (not empty: a full part is uploaded only when more follows)
		return err
	}
	if _, err := f.s.core.CompleteMultipartUpload(f.ctx, f.s.opts.Bucket, f.key, f.upload, f.parts, minio.PutObjectOptions{}); err != nil {
		if f.ctx.Err() != nil {
			err = f.ctx.Err()
		}
		return f.s.s3Err("writing", f.key, err)
	}
	f.upload = "" // completed: nothing to abort
	return nil
}

// ReadFile implements Storage.
func (s *S3) ReadFile(ctx context.Context, id int64, name string, want *FileSum) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ValidName(name); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	key := s.key(id, name)
	size := int64(-1)
	if want != nil {
		size = want.Size
	}
	data, err := s.get(ctx, key, size, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	if want != nil {
		if got := CRC(data); got != want.CRC {
			return nil, corruptf("%s: CRC-32C is %#08x, the metadata says %#08x", s.label(key), got, want.CRC)
		}
	}
	return data, nil
}

// get reads a whole object that must have wantSize bytes (when not -1)
// and at most limit bytes; sizes are checked (from the response headers)
// before anything is allocated.
func (s *S3) get(ctx context.Context, key string, wantSize, limit int64) ([]byte, error) {
	label := s.label(key)
	obj, err := s.client.GetObject(ctx, s.opts.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.getErr(ctx, key, err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		return nil, s.getErr(ctx, key, err)
	}
	switch {
	case wantSize >= 0 && info.Size != wantSize:
		return nil, corruptf("%s is %d bytes, the metadata says %d (truncated, or trailing junk)", label, info.Size, wantSize)
	case info.Size > limit:
		return nil, corruptf("%s is %d bytes, more than the %d allowed", label, info.Size, limit)
	case info.Size < 0:
		return nil, fmt.Errorf("checkpoint: %s: the store sent no size", label)
	}
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(obj, data); errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, corruptf("%s: the store sent fewer bytes than the %d it announced", label, info.Size)
	} else if err != nil {
		return nil, s.getErr(ctx, key, err)
	}
	var one [1]byte
	if n, _ := obj.Read(one[:]); n > 0 {
		return nil, corruptf("%s: the store sent more bytes than the %d it announced", label, info.Size)
	}
	return data, nil
}

func (s *S3) getErr(ctx context.Context, key string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if c := s3Code(err); c == minio.NoSuchKey || c == minio.NoSuchBucket {
		return fmt.Errorf("checkpoint: %s is missing: %w (%w)", s.label(key), fs.ErrNotExist, err)
	}
	return s.s3Err("reading", key, err)
}

// CommitMetadata implements Storage.
func (s *S3) CommitMetadata(ctx context.Context, m *Metadata) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := EncodeMetadata(m)
	if err != nil {
		return err
	}
	if done, err := s.complete(ctx, m.ID); err != nil {
		return err
	} else if done {
		return fmt.Errorf("%w: chk-%d in %s", ErrExists, m.ID, s)
	}
	if err := checkReferences(ctx, s, m, s.String(), func(id int64) (bool, error) { return s.complete(ctx, id) }); err != nil {
		return err
	}
	for _, op := range m.Operators {
		for _, f := range op.Keyed {
			for _, lk := range f.Links(m.ID) {
				key := s.key(lk.Dir, lk.Name)
				info, err := s.client.StatObject(ctx, s.opts.Bucket, key, minio.StatObjectOptions{})
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					return fmt.Errorf("checkpoint: refusing to commit chk-%d in %s: operator %q: %w", m.ID, s, op.UID, s.s3Err("looking up", key, err))
				}
				if info.Size != lk.Size {
					return fmt.Errorf("checkpoint: refusing to commit chk-%d in %s: operator %q: file chk-%d/%s is %d bytes, the metadata says %d",
						m.ID, s, op.UID, lk.Dir, lk.Name, info.Size, lk.Size)
				}
			}
		}
	}
	key := s.key(m.ID, MetadataFile)
	var opts minio.PutObjectOptions
	opts.SetMatchETagExcept("*") // If-None-Match: *
	if err := s.put(ctx, key, data, opts); err != nil {
		if s3Code(err) == minio.PreconditionFailed {
			return fmt.Errorf("%w: chk-%d in %s (committed concurrently)", ErrExists, m.ID, s)
		}
		return fmt.Errorf("checkpoint: committing chk-%d: %w", m.ID, s.s3Err("writing", key, err))
	}
	return nil
}

// scan returns the ids of the complete checkpoints and of the other
// chk-<id> prefixes, ascending, from one listing of the keys under <prefix>/chk-.
func (s *S3) scan(ctx context.Context) (complete, incomplete []int64, err error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := map[int64]bool{} // id -> has _metadata
	for obj := range s.client.ListObjects(lctx, s.opts.Bucket, minio.ListObjectsOptions{Prefix: s.root + chkPrefix, Recursive: true}) {
		if obj.Err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return nil, nil, fmt.Errorf("checkpoint: listing %s: %w", s, obj.Err)
		}
		dir, name, ok := strings.Cut(strings.TrimPrefix(obj.Key, s.root), "/")
		if !ok {
			continue
		}
		if id, ok := parseChkDir(dir); ok {
			seen[id] = seen[id] || name == MetadataFile
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for id, done := range seen {
		if done {
			complete = append(complete, id)
		} else {
			incomplete = append(incomplete, id)
		}
	}
	slices.Sort(complete)
	slices.Sort(incomplete)
	return complete, incomplete, nil
}

// List implements Storage.
func (s *S3) List(ctx context.Context) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	complete, _, err := s.scan(ctx)
	return complete, err
}

// Load implements Storage.
func (s *S3) Load(ctx context.Context, id int64) (*Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	key := s.key(id, MetadataFile)
	data, err := s.get(ctx, key, -1, MaxMetadataSize)
	if err != nil {
		return nil, err
	}
	m, err := DecodeMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.label(key), err)
	}
	if m.ID != id {
		return nil, corruptf("%s holds checkpoint %d (copied under the wrong prefix?)", s.label(key), m.ID)
	}
	return m, nil
}

// LoadLatest implements Storage.
func (s *S3) LoadLatest(ctx context.Context, logf func(format string, args ...any)) (*Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, incomplete, err := s.scan(ctx)
	if err != nil {
		return nil, err
	}
	note := ""
	if len(incomplete) > 0 {
		note = noMetadataNote(len(incomplete))
	}
	return loadLatest(ctx, s, s.String(), note, logf)
}

// Delete implements Storage: it removes _metadata first, so that a crash
// in the middle never leaves a complete-looking checkpoint with missing
// files, then every other object under chk-<id>/.
func (s *S3) Delete(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	key := s.key(id, MetadataFile)
	// Deleting a missing key succeeds in S3.
	if err := s.client.RemoveObject(ctx, s.opts.Bucket, key, minio.RemoveObjectOptions{}); err != nil && s3Code(err) != minio.NoSuchKey {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("checkpoint: deleting chk-%d: %w", id, s.s3Err("removing", key, err))
	}
	return s.removeAll(ctx, id)
}

// removeAll removes every object under chk-<id>/.
func (s *S3) removeAll(ctx context.Context, id int64) error {
	return s.removeWhere(ctx, id, func(string) bool { return true })
}

// removeWhere removes the objects chk-<id>/<name> for which remove(name).
func (s *S3) removeWhere(ctx context.Context, id int64, remove func(name string) bool) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := s.root + ChkDirName(id) + "/"
	var keys []minio.ObjectInfo
	for obj := range s.client.ListObjects(lctx, s.opts.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if obj.Err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("checkpoint: deleting chk-%d: listing %s: %w", id, s.label(dir), obj.Err)
		}
		if remove(strings.TrimPrefix(obj.Key, dir)) {
			keys = append(keys, minio.ObjectInfo{Key: obj.Key})
		}
	}
	if len(keys) == 0 {
		return ctx.Err()
	}
	ch := make(chan minio.ObjectInfo, len(keys))
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	var errs []error
	for e := range s.client.RemoveObjects(lctx, s.opts.Bucket, ch, minio.RemoveObjectsOptions{}) {
		if s3Code(e.Err) != minio.NoSuchKey {
			errs = append(errs, s.s3Err("removing", e.ObjectName, e.Err))
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("checkpoint: deleting chk-%d: %w", id, err)
	}
	return nil
}

// Retain implements Storage.
func (s *S3) Retain(ctx context.Context, n int, keep ...int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return retain(ctx, s, n, keep)
}

// subsume implements retainer: the _metadata object is deleted.
func (s *S3) subsume(ctx context.Context, id int64) error {
	key := s.key(id, MetadataFile)
	if err := s.client.RemoveObject(ctx, s.opts.Bucket, key, minio.RemoveObjectOptions{}); err != nil && s3Code(err) != minio.NoSuchKey {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("checkpoint: subsuming chk-%d: %w", id, s.s3Err("removing", key, err))
	}
	return nil
}

// collect implements retainer.
func (s *S3) collect(ctx context.Context, id int64, keep map[string]bool) error {
	return s.removeWhere(ctx, id, func(name string) bool { return !keep[name] })
}
