package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/trawl-crawler/trawl/crawler"
)

// checkDirs checks that the --dir directories hold crawls that make one
// export (sameCrawl) and records each one's status before its snapshot is
// taken (crawler.OpenAllPages, next).
func (e *exportRun) checkDirs(env *cliEnv) int {
	for _, dir := range e.dirs {
		if !crawler.Exists(dir) {
			env.errorf("%s", noCrawl(dir))
			return exitUsage
		}
	}
	if len(e.dirs) > 1 { // one directory is one crawl: nothing to compare
		if err := sameCrawl(e.dirs); err != nil {
			env.errorf("%v", err)
			return exitUsage
		}
	}
	for _, dir := range e.dirs {
		st, _ := crawler.ReadStatus(dir)
		e.running = append(e.running, st)
	}
	return exitOK
}

// exportDir is one --dir of an export: which crawl it holds.
type exportDir struct {
	path   string
	fi     os.FileInfo
	worker crawler.Worker // its worker.json, if shared
	shared bool           // a worker of a shared crawl
	cfg    crawler.Config // a worker's: its crawl's scope
}

func readExportDir(path string) (exportDir, error) {
	d := exportDir{path: path}
	var err error
	if d.fi, err = os.Stat(path); err != nil {
		return d, fmt.Errorf("export: %w", err)
	}
	if d.worker, d.shared, err = crawler.ReadWorker(path); err != nil {
		return d, fmt.Errorf("export: %w", err)
	}
	if !d.shared {
		return d, nil
	}
	if d.cfg, err = crawler.LoadConfig(path); err != nil {
		return d, fmt.Errorf("export: %w", err)
	}
	return d, nil
}

// sameCrawl refuses --dir lists that cannot be one export: a directory
// given twice (or two copies of one worker's), workers of different shared crawls (by the crawl's name
// and its scope, which every worker of a crawl has), or a worker of a
// shared crawl beside a crawl of its own. Several crawls of their own
// may be exported together: a URL that more than one holds is written
// once, its latest fetch (as for a URL two workers both stored).
func sameCrawl(paths []string) error {
	var dirs []exportDir
	for _, p := range paths {
		d, err := readExportDir(p)
		if err != nil {
			return err
		}
		for _, o := range dirs {
			if os.SameFile(o.fi, d.fi) {
				return fmt.Errorf("export: --dir %s and --dir %s are the same directory: give each crawl directory once", o.path, d.path)
			}
			if o.shared && d.shared && o.worker.WorkerID == d.worker.WorkerID {
				return fmt.Errorf("export: %s and %s hold the same worker (%s) of crawl %q: one is a copy of the other; give each worker's --dir once",
					o.path, d.path, d.worker.WorkerID, d.worker.Crawl)
			}
		}
		if len(dirs) > 0 {
			if err := dirs[0].sameCrawlAs(d); err != nil {
				return err
			}
		}
		dirs = append(dirs, d)
	}
	return nil
}

// sameCrawlAs says why d cannot be exported with first, or nil.
func (first exportDir) sameCrawlAs(d exportDir) error {
	switch {
	case first.shared != d.shared:
		w, own := first, d
		if d.shared {
			w, own = d, first
		}
		return fmt.Errorf("export: %s is a worker of the shared crawl %q and %s a crawl of its own: export them separately",
			w.path, w.worker.Crawl, own.path)
	case !first.shared:
		return nil
	case first.worker.Crawl != d.worker.Crawl:
		return fmt.Errorf("export: %s is a worker of crawl %q and %s of crawl %q: give the --dir of the workers of one crawl",
			first.path, first.worker.Crawl, d.path, d.worker.Crawl)
	}
	if changed := crawler.ScopeChanges(first.cfg, d.cfg); len(changed) > 0 {
		return fmt.Errorf("export: %s and %s are workers of two crawls named %q (their %s differ; from %s and %s): give the --dir of the workers of one crawl",
			first.path, d.path, d.worker.Crawl, strings.Join(changed, ", "), first.worker.Frontier, d.worker.Frontier)
	}
	return nil
}
