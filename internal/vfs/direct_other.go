//go:build !linux

package vfs

// CreateDirect implements DirectCreator: on this system it is Create.
func (OS) CreateDirect(name string) (File, error) { return OS{}.Create(name) }
