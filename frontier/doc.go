// Package frontier is the persistent crawl frontier: every URL the crawl
// knows, its state, and when each host may be fetched next, in one bbolt
// file that survives kill -9.
package frontier
