//go:build !unix

package crawler

import (
	"errors"
	"fmt"
	"os"
)

// flockNB: the worker lock (a shared crawl's) is built on flock, so
// shared-crawl workers run on unix systems only.
func flockNB(*os.File) error {
	return fmt.Errorf("worker locks need flock (unix): %w", errors.ErrUnsupported)
}
