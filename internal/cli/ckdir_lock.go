package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// checkpointLockFile is the lock file of a local checkpoint directory
// (lockCheckpointDir).
const checkpointLockFile = "job.lock"

// lockHolderRecord is what a job writes into the lock file it holds.
func lockHolderRecord() []byte {
	return fmt.Appendf(nil, "pid %d\nstarted %s\ncommand %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339),
		strings.Join(os.Args, " "))
}

// dirBusyError is the refusal of a job whose checkpoint directory dir is
// locked (lock file name), naming the holder the lock file records.
func dirBusyError(dir, name string) error {
	holder := "a process that did not record itself"
	if b, err := os.ReadFile(name); err == nil {
		var pid, started string
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, " ")
			switch k {
			case "pid":
				if _, err := strconv.Atoi(v); err == nil {
					pid = v
				}
			case "started":
				started = v
			}
		}
		if pid != "" {
			holder = "pid " + pid
			if started != "" {
				holder += ", started " + started
			}
		}
	}
	return fmt.Errorf("checkpoint directory %s is in use: another strom job is running on it (%s; it holds the lock %s). "+
		"Stop that job first (to keep its state: strom savepoint --checkpoint-dir %s --stop SAVEPOINT_DIR), or give this job another --checkpoint-dir",
		dir, holder, name, dir)
}
