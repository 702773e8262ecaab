package storage

import (
	"testing"
)

// BenchmarkEncodeAppend measures the whole write path for one record: Encode
// (run in parallel in the crawler, serial here) plus Append, with a Sync and
// Publish every 64 records as the frontier's group commit would.
func BenchmarkEncodeAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{
		{"html-20KB", 20 << 10},
		{"body-1MB", 1 << 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			recs := make([]*Record, 16)
			for i := range recs {
				recs[i] = testRecord(i, bc.size)
			}
			s, err := Open(b.TempDir(), nil, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetBytes(int64(bc.size))
			b.ReportAllocs()
			stored := 0
			i := 0
			for b.Loop() {
				blk, err := Encode(recs[i%len(recs)])
				if err != nil {
					b.Fatal(err)
				}
				cp, err := s.Append(blk)
				if err != nil {
					b.Fatal(err)
				}
				stored += blk.Len()
				i++
				if i%64 == 0 {
					if err := s.Sync(); err != nil {
						b.Fatal(err)
					}
					if err := s.Publish(cp); err != nil {
						b.Fatal(err)
					}
				}
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(i)/sec, "records/s")
			b.ReportMetric(float64(stored)/float64(i*bc.size), "stored/raw")
		})
	}
}

// BenchmarkEncodeParallel measures Encode alone across GOMAXPROCS workers,
// as the crawler's parse stage runs it.
func BenchmarkEncodeParallel(b *testing.B) {
	rec := testRecord(1, 20<<10)
	b.SetBytes(20 << 10)
	b.RunParallel(func(pb *testing.PB) {
		r := *rec
		for pb.Next() {
			if _, err := Encode(&r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
