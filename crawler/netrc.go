package crawler

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// netrcLogin is one machine's credentials from a netrc file.
type netrcLogin struct{ login, password string }

// netrc holds the credentials of a netrc file: per machine (host name,
// lower-case, no port) and the optional default entry.
type netrc struct {
	machines map[string]netrcLogin
	def      *netrcLogin
}

// parseNetrc reads the netrc format curl and ftp read: whitespace-separated
// tokens "machine NAME", "default", "login L", "password P", "account A";
// "macdef NAME" skips a macro up to the next empty line; '#' starts a
// comment at the start of a token. Errors name the file and the token,
// never a password.
func parseNetrc(name string, r io.Reader) (*netrc, error) {
	n := &netrc{machines: map[string]netrcLogin{}}
	var toks []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	inMacro := false
	for sc.Scan() {
		line := sc.Text()
		if inMacro {
			if strings.TrimSpace(line) == "" {
				inMacro = false
			}
			continue
		}
		fields := strings.Fields(line)
		for i, f := range fields {
			if strings.HasPrefix(f, "#") {
				break
			}
			toks = append(toks, f)
			if f == "macdef" { // its name, then a body up to an empty line
				if i+1 < len(fields) {
					toks = append(toks, fields[i+1])
				}
				inMacro = true
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var cur *netrcLogin
	var machine string
	flush := func() {
		if cur == nil {
			return
		}
		if machine == "" {
			n.def = cur
		} else if _, seen := n.machines[machine]; !seen { // the first entry wins, as in curl
			n.machines[machine] = *cur
		}
		cur = nil
	}
	for i := 0; i < len(toks); i++ {
		next := func() (string, error) {
			if i+1 >= len(toks) {
				return "", fmt.Errorf("%s: %q needs a value", name, toks[i])
			}
			i++
			return toks[i], nil
		}
		switch toks[i] {
		case "machine":
			flush()
			m, err := next()
			if err != nil {
				return nil, err
			}
			machine, cur = strings.ToLower(m), &netrcLogin{}
		case "default":
			flush()
			machine, cur = "", &netrcLogin{}
		case "login", "password", "account":
			key := toks[i]
			v, err := next()
			if err != nil {
				return nil, err
			}
			if cur == nil {
				return nil, fmt.Errorf("%s: %q before any machine or default", name, key)
			}
			switch key {
			case "login":
				cur.login = v
			case "password":
				cur.password = v
			}
		case "macdef":
			i++ // the macro's name; its body was skipped while reading lines
		default:
			return nil, fmt.Errorf("%s: unexpected token %q (want machine, default, login, password, account or macdef)", name, toks[i])
		}
	}
	flush()
	return n, nil
}

func loadNetrc(path string) (*netrc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netrc: %w", err)
	}
	defer f.Close()
	return parseNetrc(path, f)
}
