// Package testweb is trawl's local synthetic multi-host test web and its judge.
package testweb
