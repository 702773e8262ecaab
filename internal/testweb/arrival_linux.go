package testweb

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
)

// stampListener makes each accepted TCP connection report the kernel
// receive time of what it reads (arrival.go).
type stampListener struct{ net.Listener }

// stamped turns receive stamps on for ln: on the listening socket, so the
// kernel stamps from then on and every accepted connection inherits the
// flag, including for bytes that arrived before Accept returned (a
// client writes its request as soon as it connects). Without it, ln is
// returned as is.
func stamped(ln net.Listener) net.Listener {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return ln
	}
	raw, err := tl.SyscallConn()
	if err != nil {
		return ln
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return ln
	}
	return stampListener{ln}
}

func (l stampListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c, nil
	}
	return &stampedTCP{TCPConn: tc, raw: raw}, nil
}

// stampedTCP reads with recvmsg to get each read's receive stamp; every
// other method is the TCP connection's (deadlines work: the raw read
// waits on the same poller).
type stampedTCP struct {
	*net.TCPConn
	raw   syscall.RawConn
	oob   [64]byte
	stamp atomic.Int64
}

func (c *stampedTCP) receivedAt() int64 { return c.stamp.Load() }

func (c *stampedTCP) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n, oobn int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			n, oobn, _, _, rerr = syscall.Recvmsg(int(fd), p, c.oob[:], 0)
			if !errors.Is(rerr, syscall.EINTR) {
				return !errors.Is(rerr, syscall.EAGAIN)
			}
		}
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		if n < 0 {
			n = 0
		}
		return n, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	if n == 0 {
		return 0, io.EOF
	}
	ns, _ := receiveStamp(c.oob[:oobn])
	c.stamp.Store(ns) // 0 without a stamp: never an earlier request's
	return n, nil
}

// receiveStamp decodes an SCM_TIMESTAMPNS control message (a struct
// timespec of two native int64 on 64-bit Linux).
func receiveStamp(oob []byte) (int64, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return sec*1e9 + nsec, true
		}
	}
	return 0, false
}
