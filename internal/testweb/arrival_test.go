package testweb

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// The start of a request is when its bytes arrived, however late the
// server accepts and reads them: a server that reads 150 ms after the
// client wrote still dates the bytes to the write, on a new connection
// (written before Accept returned) and on a reused one.
func TestArrivalIsTheReceiveTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("receive stamps are read on Linux only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl := stamped(ln)
	defer sl.Close()
	// dial connects, writes msg and returns both ends once the server has
	// accepted after wait.
	dial := func(msg string, wait time.Duration) (client net.Conn, server receiver, wrote time.Time) {
		t.Helper()
		cc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		wrote = time.Now()
		if _, err := cc.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(wait)
		sc, err := sl.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sc.Close() })
		r, ok := sc.(receiver)
		if !ok {
			t.Fatalf("accepted %T, not a receiver", sc)
		}
		return cc, r, wrote
	}
	read := func(r receiver, n int) time.Time {
		t.Helper()
		at := time.Now()
		if _, err := io.ReadFull(r.(net.Conn), make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		return at
	}
	// The kernel turns receive stamps on a moment after the first socket
	// asks (a deferred work item): until then reads carry none.
	for i := 0; ; i++ {
		if i == 1000 {
			t.Fatal("no receive stamp after 1000 connections")
		}
		_, r, _ := dial("x", 0)
		read(r, 1)
		if r.receivedAt() != 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	const late = 150 * time.Millisecond
	check := func(what string, r receiver, wrote, readAt time.Time) {
		t.Helper()
		at := time.Unix(0, r.receivedAt())
		if at.Before(wrote) || at.After(readAt.Add(-late*2/3)) {
			t.Fatalf("%s: stamped %v after the write, read %v after it; want the write's time", what, at.Sub(wrote), readAt.Sub(wrote))
		}
	}
	req := "GET / HTTP/1.1\r\n"
	cc, r, wrote := dial(req, late)
	check("new connection", r, wrote, read(r, len(req)))
	wrote = time.Now()
	if _, err := cc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(late)
	check("reused connection", r, wrote, read(r, len(req)))
	cc.Close()
	if n, err := r.(net.Conn).Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read after the client closed: %d, %v; want 0, EOF", n, err)
	}
}

// Handlers may record starts out of arrival order: a gap is measured to
// the nearest start on either side.
func TestStartTimesOutOfOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var s startTimes
	if _, ok := s.add(t0); ok {
		t.Fatal("first start has a gap")
	}
	for _, c := range []struct {
		at   time.Duration
		want time.Duration
	}{
		{200 * time.Millisecond, 200 * time.Millisecond},
		{90 * time.Millisecond, 90 * time.Millisecond},  // recorded late, between the two
		{150 * time.Millisecond, 50 * time.Millisecond}, // nearer the later one
		{500 * time.Millisecond, 300 * time.Millisecond},
	} {
		if g, ok := s.add(t0.Add(c.at)); !ok || g != c.want {
			t.Fatalf("add +%v: gap %v (%v), want %v", c.at, g, ok, c.want)
		}
	}
	for i := range 2 * startWindow {
		s.add(t0.Add(time.Second + time.Duration(i)*time.Millisecond))
	}
	if len(s) != startWindow || !s[len(s)-1].Equal(t0.Add(time.Second+time.Duration(2*startWindow-1)*time.Millisecond)) {
		t.Fatalf("window holds %d starts, last %v", len(s), s[len(s)-1].Sub(t0))
	}
}
