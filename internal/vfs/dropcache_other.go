//go:build !linux

package vfs

// dropCache does nothing where posix_fadvise(2) is not called.
func dropCache(f File) {}
