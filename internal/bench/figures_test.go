package main

import (
	"testing"

	"github.com/trawl-crawler/trawl/internal/testweb"
)

func TestSummarise(t *testing.T) {
	expected := map[string]int{
		"http://h0.site.test/":            200,
		"http://h0.site.test/p/1":         200,
		"http://h0.site.test/files/0.bin": 200,
		"http://h0.site.test/gone":        410,
		"http://h1.site.test/":            200,
	}
	tests := []struct {
		name string
		rep  testweb.Report
		want figures
	}{
		{"empty", testweb.Report{}, figures{Missing: 5}},
		{
			"all fetched, binary and 410 are not pages",
			testweb.Report{
				PerURL: map[string]int{"http://h0.site.test/": 1, "http://h0.site.test/p/1": 1,
					"http://h0.site.test/files/0.bin": 1, "http://h0.site.test/gone": 1, "http://h1.site.test/": 1},
				Final: map[string]int{"http://h0.site.test/": 200, "http://h0.site.test/p/1": 200,
					"http://h0.site.test/files/0.bin": 200, "http://h0.site.test/gone": 410, "http://h1.site.test/": 200},
				MaxInFlight: map[string]int{"h0.site.test": 2, "h1.site.test": 1},
			},
			figures{Pages: 3, Coverage: 100, MaxInFlight: 2},
		},
		{
			"a page answered 503 last is fetched but not a page; extras counted, trap not",
			testweb.Report{
				PerURL: map[string]int{"http://h0.site.test/": 2, "http://h0.site.test/p/1": 1,
					"http://h0.site.test/private/x": 1, "http://h0.site.test/cal/2026/01": 1},
				Final:            map[string]int{"http://h0.site.test/": 200, "http://h0.site.test/p/1": 503},
				Duplicates:       []string{"http://h0.site.test/"},
				RobotsViolations: []string{"http://h0.site.test/private/x"},
				TrapRequests:     1,
				MaxInFlight:      map[string]int{"h0.site.test": 7},
			},
			figures{Pages: 1, Coverage: 40, Missing: 3, Unexpected: 1, Duplicates: 1, RobotsViol: 1, Trap: 1, MaxInFlight: 7},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarise(tt.rep, expected); got != tt.want {
				t.Errorf("summarise:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestIsPageURL(t *testing.T) {
	for u, want := range map[string]bool{
		"http://h0.site.test/":            true,
		"http://h0.site.test/p/3":         true,
		"https://h0.site.test/files":      true,
		"http://h0.site.test/files/0.bin": false,
		"http://h0.site.test/img/0.png":   false,
		"https://h2.site.test/img/9.png":  false,
	} {
		if got := isPageURL(u); got != want {
			t.Errorf("isPageURL(%q) = %v, want %v", u, got, want)
		}
	}
}
