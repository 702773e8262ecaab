package main

import (
	"os"
	"testing"
)

// TestMain lets crash tests re-exec this test binary as a real trawl
// process (the os/exec helper-process pattern): with TRAWL_CLI_CHILD=1 it
// runs the CLI on its arguments after "--" and exits with its code.
func TestMain(m *testing.M) {
	if os.Getenv("TRAWL_CLI_CHILD") == "1" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(mainWithSignals(args))
	}
	os.Exit(m.Run())
}

func TestMemoryLimitFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, softMemoryLimit},
		{30 << 20, softMemoryLimit},
		{32 << 20, softMemoryLimit},
		{40 << 20, 100 << 20},
		{100 << 20, 250 << 20},
		{1 << 63, 5 << 59}, // capped: no overflow
	} {
		if got := memoryLimitFor(tc.live); got != tc.want {
			t.Errorf("memoryLimitFor(%d) = %d, want %d", tc.live, got, tc.want)
		}
	}
}
