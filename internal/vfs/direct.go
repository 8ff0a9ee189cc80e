package vfs

// DirectCreator is an FS that can create a file whose writes bypass the
// operating system's page cache (O_DIRECT on Linux). For data written once
// and read rarely (checkpoint state files) that saves the kernel's copy of
// every byte into freshly allocated cache pages, and the memory bandwidth
// and cache lines that copy takes from everything else running; a later
// read of the file comes from the device instead of memory. The file is
// otherwise a File of Create: the same bytes, the same durability rules
// (Sync). Where direct writes are not possible (another system, a
// filesystem that refuses them) CreateDirect is Create.
type DirectCreator interface {
	CreateDirect(name string) (File, error)
}

// CreateDirect is fsys.CreateDirect when fsys is a DirectCreator, else
// fsys.Create.
func CreateDirect(fsys FS, name string) (File, error) {
	if d, ok := fsys.(DirectCreator); ok {
		return d.CreateDirect(name)
	}
	return fsys.Create(name)
}
