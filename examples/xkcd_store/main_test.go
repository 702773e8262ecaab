package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// store imitates the xkcd store's markup: listing pages with
// .product-grid-item cells and a .next link, and product pages the scraper
// must not fetch.
type store struct {
	srv      *httptest.Server
	pages    int
	perPage  int
	onListed func(page int) // called when a listing page is requested

	mu       sync.Mutex
	requests map[string]int
}

func newStore(t *testing.T, pages, perPage int, onListed func(int)) *store {
	s := &store{pages: pages, perPage: perPage, onListed: onListed, requests: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *store) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	s.mu.Unlock()
	if r.URL.Path != "/collections/everything" {
		http.NotFound(w, r) // robots.txt and product pages
		return
	}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		if _, err := fmt.Sscan(p, &page); err != nil || page < 1 || page > s.pages {
			http.NotFound(w, r)
			return
		}
	}
	if s.onListed != nil {
		s.onListed(page)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!doctype html><title>Everything</title><div class=product-grid>\n")
	for _, p := range s.products(page) {
		fmt.Fprintf(w, `<div class="product-grid-item"><a href="%s" title="%s"><img src="%s"></a><span>%s</span></div>`+"\n",
			p.path, p.name, p.img, p.price)
	}
	fmt.Fprint(w, "</div>\n")
	if page < s.pages {
		fmt.Fprintf(w, `<div class="next"><a href="/collections/everything?page=%d">Next</a></div>`+"\n", page+1)
	}
}

type storeProduct struct{ name, price, path, img string }

func (s *store) products(page int) []storeProduct {
	var out []storeProduct
	for i := 1; i <= s.perPage; i++ {
		id := (page-1)*s.perPage + i
		out = append(out, storeProduct{
			name:  fmt.Sprintf("Poster %d", id),
			price: fmt.Sprintf("$%d.00", 10+id),
			path:  fmt.Sprintf("/products/poster-%d", id),
			img:   fmt.Sprintf("//cdn.shop.test/poster-%d.png", id),
		})
	}
	return out
}

// wantRows is the CSV the scraper should write, header first, rows sorted.
func (s *store) wantRows() [][]string {
	var rows [][]string
	for page := 1; page <= s.pages; page++ {
		for _, p := range s.products(page) {
			rows = append(rows, []string{p.name, p.price, s.srv.URL + p.path, "https:" + p.img})
		}
	}
	return append([][]string{{"Name", "Price", "URL", "Image URL"}}, sortRows(rows)...)
}

func sortRows(rows [][]string) [][]string {
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(strings.Join(a, "\x00"), strings.Join(b, "\x00")) })
	return rows
}

// readCSV returns the header and the sorted rows.
func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return nil
	}
	return append(rows[:1], sortRows(rows[1:])...)
}

// args is the command line that crawls the store into a new directory,
// and out the CSV file it writes.
func (s *store) args(t *testing.T) (args []string, out string) {
	tmp := t.TempDir()
	out = filepath.Join(tmp, "items.csv")
	return []string{"-seed", s.srv.URL + "/collections/everything", "-dir", filepath.Join(tmp, "crawl"),
		"-out", out, "-delay", "0", "-allow-private"}, out
}

// runProgram runs the program with args and fails the test on an error.
func runProgram(t *testing.T, ctx context.Context, args []string) {
	t.Helper()
	if err := run(ctx, args, io.Discard); err != nil {
		t.Fatal(err)
	}
}

// wantCSV checks that the CSV at out holds every product of the store
// (what names the CSV in the error).
func (s *store) wantCSV(t *testing.T, out, what string) {
	t.Helper()
	if got, want := readCSV(t, out), s.wantRows(); !equalRows(got, want) {
		t.Errorf("%s:\n%v\nwant:\n%v", what, got, want)
	}
}

func equalRows(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

func TestScrapesEveryListingPage(t *testing.T) {
	s := newStore(t, 3, 4, nil)
	args, out := s.args(t)
	runProgram(t, t.Context(), args)
	s.wantCSV(t, out, "CSV")
	// As the colly original: only listing pages, each once.
	s.mu.Lock()
	defer s.mu.Unlock()
	for path, n := range s.requests {
		if path != "/collections/everything" && path != "/robots.txt" {
			t.Errorf("fetched %s (%d times): outside the listing pages", path, n)
		}
	}
	if n := s.requests["/collections/everything"]; n != 3 {
		t.Errorf("listing pages fetched %d times, want 3", n)
	}
}

// TestResumesAfterInterrupt stops the program while it fetches the first
// listing page, runs it again, and expects one complete CSV.
func TestResumesAfterInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := newStore(t, 4, 2, func(page int) {
		if page == 1 {
			cancel()
		}
	})
	args, out := s.args(t)
	runProgram(t, ctx, args)
	if got := readCSV(t, out); len(got) != 1+2 {
		t.Fatalf("after the interrupted run the CSV holds %d lines, want header + page 1's 2 rows: %v", len(got), got)
	}
	runProgram(t, t.Context(), args)
	s.wantCSV(t, out, "CSV after resume")
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.requests["/collections/everything"]; n != 4 {
		t.Errorf("listing pages fetched %d times over both runs, want 4 (none twice)", n)
	}
}
