package redisfrontier

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/trawl-crawler/trawl/internal/redistest"
)

// TestSeq8IsBigEndian checks the scripts' seq8 against Go's big-endian
// encoding: queue members sort by it within a depth (first come, first
// leased), so every byte must be in its place, up to the 2^53 a Lua
// number holds exactly.
func TestSeq8IsBigEndian(t *testing.T) {
	srv := redistest.Start(t)
	cl := dialTest(t, srv)
	s := redis.NewScript(luaLib + `return seq8(tonumber(ARGV[2]))`)
	for _, n := range []uint64{0, 1, 255, 256, 65535, 1<<24 + 7, 1<<32 - 1, 1 << 32, 0x0102030405060708 >> 8, 1<<53 - 1} {
		got, err := s.Run(context.Background(), cl, []string{"trawl:{t}:cfg"}, "trawl:{t}:", n).Text()
		if err != nil {
			t.Fatal(err)
		}
		var want [8]byte
		binary.BigEndian.PutUint64(want[:], n)
		if got != string(want[:]) {
			t.Errorf("seq8(%d) = %x, want %x", n, got, want)
		}
	}
}
