// Package export writes the pages of a trawl page store (storage.Reader) as a
// mirror directory tree, JSON Lines or WARC 1.1 files.
//
// Invariants: every committed record is read exactly once, in crawl order,
// from a manifest snapshot, so exporting from a running crawl is safe and sees
// a consistent prefix; the dir format writes only through an os.Root opened on
// the output directory, so no URL can make it write outside; every output file
// is written under a temporary name and renamed into place.
package export
