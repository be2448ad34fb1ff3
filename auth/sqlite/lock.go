package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockName is the lock file inside the data folder.
const LockName = "authlab.lock"

// ErrInUse means another process holds the data folder.
var ErrInUse = errors.New("the data folder is in use by another authlab process")

// lockFolder takes an exclusive lock on dir for as long as the returned
// file stays open. The kernel drops it when the process ends, however it
// ends, so a killed process leaves nothing that blocks a restart.
func lockFolder(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, unwrapPath(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w; SQLite serves one process: to run several instances, give them one PostgreSQL database with -database-url", dir, ErrInUse)
		}
		return nil, fmt.Errorf("lock data folder %s: %w", dir, err)
	}
	return f, nil
}
