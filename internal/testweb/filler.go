package testweb

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
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

// markupBlock is the length of every block of markup filler: a page's
// filler is whole blocks, so no tag is ever cut.
const markupBlock = 256

// markupBlocks are the shapes of markup filler; %s is filled with words.
var markupBlocks = []string{
	`<div class="para"><p>%s <em>%s</em> <code>%s</code>.</p></div>`,
	`<ul class="itemizedlist"><li><p>%s</p></li><li><p>%s <strong>%s</strong></p></li></ul>`,
	`<table class="simplelist" border="0"><tr><td>%s</td><td>%s</td><td>%s</td></tr></table>`,
	`<pre class="programlisting">%s = %s(%s);</pre>`,
	`<h3 class="title"><a name="s%d" id="s%d"></a>%s</h3><p>%s <span class="term">%s</span></p>`,
}

// makeMarkupFiller returns at least n bytes of reproducible markup in
// blocks of exactly markupBlock bytes, each a well-formed fragment with no
// link (named anchors only), padded with spaces and ending in a newline.
func makeMarkupFiller(rng *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+markupBlock)
	word := func() string { return fillerWords[rng.IntN(len(fillerWords))] }
	words := func(k int) string {
		var w []byte
		for i := range k {
			if i > 0 {
				w = append(w, ' ')
			}
			w = append(w, word()...)
		}
		return string(w)
	}
	for len(b) < n {
		var blk string
		switch i := rng.IntN(len(markupBlocks)); i {
		case 4:
			id := rng.IntN(1000)
			blk = fmt.Sprintf(markupBlocks[i], id, id, words(3), words(8), word())
		default:
			blk = fmt.Sprintf(markupBlocks[i], words(6+rng.IntN(8)), word(), word())
		}
		if len(blk) > markupBlock-1 {
			continue // too long for a block: draw again
		}
		b = append(b, blk...)
		for range markupBlock - 1 - len(blk) {
			b = append(b, ' ')
		}
		b = append(b, '\n')
	}
	return b
}

// logUniform draws an int from [lo, hi] with a uniform logarithm.
func logUniform(rng *rand.Rand, lo, hi int) int {
	if hi <= lo || lo <= 0 {
		return max(lo, hi)
	}
	return int(math.Exp(math.Log(float64(lo)) + rng.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))))
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
