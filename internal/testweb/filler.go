package testweb

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
)

var fillerWords = []string{
	"crawl", "frontier", "politeness", "robots", "lorem", "ipsum", "host", "page",
	"anchor", "synthetic", "web", "judge", "delay", "queue", "segment", "manifest",
	"latency", "jitter", "canonical", "fragment", "redirect", "archive", "index", "link",
}

// makeFiller returns n bytes of reproducible plain words (no markup, no
// entities), so any slice of it is safe HTML text.
func makeFiller(rng *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+16)
	for col := 0; len(b) < n; col++ {
		if col > 0 && col%12 == 0 {
			b = append(b, '\n')
		} else if col > 0 {
			b = append(b, ' ')
		}
		b = append(b, fillerWords[rng.IntN(len(fillerWords))]...)
	}
	return b[:n]
}

// makePNG returns a small valid PNG.
func makePNG() []byte {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.Gray{Y: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic("testweb: encoding a fixed PNG: " + err.Error()) // cannot happen for an in-memory image
	}
	return buf.Bytes()
}
