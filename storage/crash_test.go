package storage

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/internal/crashchild"
)

const (
	childDirEnv       = "TRAWL_STORAGE_CHILD_DIR"
	childCommittedEnv = "TRAWL_STORAGE_CHILD_COMMITTED"
	// childTailEnv, when set to m, makes the child stop after m commits
	// with records synced past its last commit: it prints that commit's
	// checkpoint again and waits to be killed.
	childTailEnv = "TRAWL_STORAGE_CHILD_TAIL_AFTER"
)

// TestHelperChild is not a test: it is the child process of TestKill9. It
// plays the crawler: append a few records, Sync, "commit" by printing the
// checkpoint, Publish, forever, until the parent kills it.
func TestHelperChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	committed, err := hex.DecodeString(os.Getenv(childCommittedEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	if len(committed) == 0 {
		committed = nil
	}
	p, err := decodeCheckpoint(committed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	s, err := Open(dir, committed, Options{SegmentSize: 16 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(uint64(p.records), 7))
	next := int(p.records) // exactly-once shows up as record i following record i-1
	commits := 0
	tailAfter := -1
	if v := os.Getenv(childTailEnv); v != "" {
		if _, err := fmt.Sscan(v, &tailAfter); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
	}
	last := committed
	// appendSynced appends 1–4 records and syncs them: the checkpoint it
	// returns is on disk, not yet committed.
	appendSynced := func() []byte {
		var cp []byte
		for range 1 + rng.IntN(4) {
			cp, err = s.Append(mustEncode(t, testRecord(next, 500+rng.IntN(6000))))
			if err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(2)
			}
			next++
		}
		if err := s.Sync(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		return cp
	}
	for {
		if commits == tailAfter {
			// Records on disk that no commit covers: what a crawler
			// killed between its page-store sync and its frontier commit
			// leaves behind.
			appendSynced()
			os.Stdout.WriteString(hex.EncodeToString(last) + "\n")
			select {} // until the parent's SIGKILL
		}
		cp := appendSynced()
		// One write of a short line to a pipe is atomic: the parent sees it whole or not at all.
		os.Stdout.WriteString(hex.EncodeToString(cp) + "\n")
		last = cp
		// Like the crawler, publish less often than it commits.
		if commits++; commits%4 == 0 {
			if err := s.Publish(cp); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(2)
			}
		}
	}
}

// TestKill9 SIGKILLs a real writer process at random points, reopens with
// the last checkpoint it committed, and checks that every committed record is
// there exactly once and nothing beyond it.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var committed string // hex
	tails := 0           // kills that left appended-but-uncommitted bytes behind
	const kills = 10
	for k := range kills {
		env := []string{childDirEnv + "=" + dir, childCommittedEnv + "=" + committed}
		n, jitter := 1+rng.IntN(15), time.Duration(rng.IntN(5000))*time.Microsecond
		// Every third kill lands where the child has synced records past
		// its last commit and waits: the truncation path on every run, not
		// only when a random kill happens to hit one (on a loaded machine
		// ten random kills sometimes all land between commits).
		tail := k%3 == 2
		if tail {
			env = append(env, fmt.Sprintf("%s=%d", childTailEnv, n))
			n, jitter = n+1, 0
		}
		cmd := crashchild.Command("^TestHelperChild$", env...)
		// Jitter moves the kill off the line boundary, into appends, syncs
		// and publishes. Lines the child wrote before dying are commits too.
		lines, err := crashchild.KillAfter(cmd, n, jitter)
		if err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		committed = lines[len(lines)-1]

		cp, err := hex.DecodeString(committed)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeCheckpoint(cp)
		if err != nil {
			t.Fatal(err)
		}
		// A reader before reopening sees a prefix no longer than what was committed.
		if before := scanAll(t, dir); int64(len(before)) > want.records {
			t.Fatalf("kill %d: reader saw %d records, only %d committed", k, len(before), want.records)
		} else {
			checkSeqs(t, before, len(before))
		}
		if uncommittedTail(t, dir, want) {
			tails++
		} else if tail {
			t.Fatalf("kill %d: the child synced records past its last commit, but the files end at the commit", k)
		}
		s, err := Open(dir, cp, Options{SegmentSize: 16 << 10})
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", k, err)
		}
		checkSeqs(t, scanAll(t, dir), int(want.records))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("kill %d after %d commits: %d records committed", k, len(lines), want.records)
	}
	if tails == 0 {
		t.Errorf("no kill left an uncommitted tail: the truncation path was never exercised")
	}
}

// uncommittedTail reports whether the files hold bytes beyond p.
func uncommittedTail(t *testing.T, dir string, p position) bool {
	segs, err := listSegments(filepath.Join(dir, segmentsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range segs {
		if n > p.seg {
			return true
		}
	}
	fi, err := os.Stat(filepath.Join(dir, segmentsDir, segmentName(p.seg)))
	return err == nil && fi.Size() > p.off
}
