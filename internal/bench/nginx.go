package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nginx is an nginx server on 127.0.0.1 that this driver started with its
// own configuration (no systemd, no system config), serving one directory.
// Its access log is the judge of the real-site benchmark.
type nginx struct {
	Addr    string // 127.0.0.1:PORT
	LogPath string
	cmd     *exec.Cmd
	done    chan error
}

// nginxConf is the whole configuration: one server, a tab-separated access
// log with what the judge needs, everything else under the prefix.
const nginxConf = `daemon off;
master_process on;
worker_processes 2;
{{user}}
pid {{prefix}}/nginx.pid;
error_log {{prefix}}/error.log warn;
events { worker_connections 1024; }
http {
    include {{mime}};
    default_type application/octet-stream;
    client_body_temp_path {{prefix}}/tmp/body;
    proxy_temp_path {{prefix}}/tmp/proxy;
    fastcgi_temp_path {{prefix}}/tmp/fastcgi;
    uwsgi_temp_path {{prefix}}/tmp/uwsgi;
    scgi_temp_path {{prefix}}/tmp/scgi;
    log_format judge '$msec\t$request_time\t$status\t$body_bytes_sent\t$request_method\t$request_uri\t$http_user_agent';
    access_log {{prefix}}/access.log judge;
    sendfile on;
    keepalive_requests 100000;
    server {
        listen {{addr}};
        root {{root}};
        index index.html;
    }
}
`

// startNginx serves root on a free 127.0.0.1 port with a configuration
// written under prefix, and returns once it answers.
func startNginx(ctx context.Context, bin, root, prefix string) (*nginx, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(prefix, "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("nginx prefix: %w", err)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers read the served tree as the driver does
	}
	mime := "/etc/nginx/mime.types"
	if _, err := os.Stat(mime); err != nil {
		return nil, fmt.Errorf("nginx: %s is missing (apt-get install nginx-light): %w", mime, err)
	}
	conf := strings.NewReplacer("{{user}}", user, "{{prefix}}", prefix, "{{mime}}", mime,
		"{{addr}}", addr, "{{root}}", root).Replace(nginxConf)
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("write nginx config: %w", err)
	}
	n := &nginx{Addr: addr, LogPath: filepath.Join(prefix, "access.log"), done: make(chan error, 1)}
	n.cmd = exec.Command(bin, "-p", prefix, "-c", confPath, "-e", filepath.Join(prefix, "error.log"))
	n.cmd.Stderr = os.Stderr
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	go func() { n.done <- n.cmd.Wait() }()
	if err := n.waitReady(ctx); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// waitReady polls the server until it answers (nginx reports readiness no
// other way), for at most 10 s.
func (n *nginx) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+n.Addr+"/robots.txt", nil)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-n.done:
			return fmt.Errorf("nginx exited while starting: %v (see %s)", err, filepath.Join(filepath.Dir(n.LogPath), "error.log"))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx on %s did not answer within 10s: %w", n.Addr, err)
		}
	}
}

// Close stops the server (SIGQUIT: graceful; SIGKILL after 5 s) and waits
// for it.
func (n *nginx) Close() error {
	if n.cmd.Process == nil {
		return nil
	}
	n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
	}
	return nil
}

// logSize is the access log's current length: a run's requests are the
// lines after it.
func (n *nginx) logSize() (int64, error) {
	fi, err := os.Stat(n.LogPath)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("access log: %w", err)
	}
	return fi.Size(), nil
}

// logEntry is one access-log line.
type logEntry struct {
	End    time.Time     // $msec: when the response was finished
	Dur    time.Duration // $request_time
	Status int
	Bytes  int64
	Method string
	URI    string
	Agent  string
}

// readLog reads the access log from offset on.
func (n *nginx) readLog(offset int64) ([]logEntry, error) {
	f, err := os.Open(n.LogPath)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	var out []logEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		e, err := parseLogLine(sc.Text())
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	return out, nil
}

func parseLogLine(line string) (logEntry, error) {
	f := strings.Split(line, "\t")
	if len(f) != 7 {
		return logEntry{}, fmt.Errorf("access log line %q: want 7 tab-separated fields", line)
	}
	secs, err1 := strconv.ParseFloat(f[0], 64)
	dur, err2 := strconv.ParseFloat(f[1], 64)
	status, err3 := strconv.Atoi(f[2])
	size, err4 := strconv.ParseInt(f[3], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return logEntry{}, fmt.Errorf("access log line %q: %w", line, err)
	}
	return logEntry{
		End:    time.UnixMicro(int64(secs * 1e6)),
		Dur:    time.Duration(dur * float64(time.Second)),
		Status: status, Bytes: size, Method: f[4], URI: f[5], Agent: f[6],
	}, nil
}
