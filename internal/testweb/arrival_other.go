//go:build !linux

package testweb

import "net"

// stamped: only Linux stamps received segments here; elsewhere handlers
// use their own clock (arrival.go).
func stamped(ln net.Listener) net.Listener { return ln }
