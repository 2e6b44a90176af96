// tlsca_client.go - a Go crypto/tls HTTPS client (no OpenSSL, no hook sees
// its TLS) for t/e2e/340-tls-ca.sh and bench/tls; HTTP/2 when the server
// offers it. Trust: the system's (SSL_CERT_FILE, /etc/ssl/certs), or with
// own-roots only the given file (a client with a bundled root store).
// usage: tlsca_client MODE URL [ARG]  (or URL MODE [ARG])
//   get | header TOKEN | auth TOKEN (Authorization: Bearer) | query TOKEN |
//   gzip TOKEN | post FILE | own-roots CAFILE | posts N (N small POSTs on
//   one connection) | versions N (N GETs, a new connection each, sessions
//   cached: prints "V:R" per connection, V the TLS version, R resumed) | conns N (N GETs, a new HTTP/1.1 connection each,
//   sessions resumed unless TLSCA_NO_RESUME) | split TOKEN (HTTP/1.1 by hand, Authorization: Bearer,
//   one byte per TLS record) | prefix TOKEN (10 plaintext bytes, then TLS on
//   the same connection in the same write, the token in a header inside it) |
//   prefix-wait TOKEN (the same, the 10 bytes written 200 ms before) |
//   resume-any URL2 URL3 (GETs of URL, URL2, URL3, one connection each,
//   offering every server the first session ticket it got, whatever its
//   name, as an attacker's client would: prints "resumed B1 B2 B3") |
//   twin ADDR (GET URL, then GET URL again on a new connection dialed to
//   ADDR, the URL's port, under the URL's name: prints "first R" and
//   "twin R", R the reply's first line or ERR and the error)
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// with TLSCA_TIME set, the seconds the request(s) took go to stderr
// (process start-up and the first connection's handshake included)
func report(t0 time.Time) {
	if os.Getenv("TLSCA_TIME") != "" {
		fmt.Fprintf(os.Stderr, "%.6f\n", time.Since(t0).Seconds())
	}
}

func main() {
	mode, url := os.Args[1], os.Args[2]
	if strings.HasPrefix(mode, "https://") { // URL MODE [ARG] works too
		mode, url = url, mode
	}
	arg := ""
	if len(os.Args) > 3 {
		arg = os.Args[3]
	}
	tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{}}
	if os.Getenv("TLSCA_MIN13") != "" { // a client that refuses anything below TLS 1.3
		tr.TLSClientConfig.MinVersion = tls.VersionTLS13
	}
	if os.Getenv("TLSCA_RSA12") != "" { // TLS 1.3 and, for 1.2, an RSA suite only
		tr.TLSClientConfig.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	}
	if p := os.Getenv("TLSCA_PROXY"); p != "" { // bench/tls: mitmproxy, loopback included
		u, _ := neturl.Parse(p)
		tr.Proxy = http.ProxyURL(u)
	}
	if os.Getenv("TLSCA_H1") != "" {
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if mode == "own-roots" {
		pool := x509.NewCertPool()
		pem, _ := os.ReadFile(arg)
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig.RootCAs = pool
	}
	if mode == "resume-any" {
		resumeAny(append([]string{url}, os.Args[3:]...))
		return
	}
	if mode == "versions" {
		versions(tr, url, arg)
		return
	}
	if mode == "twin" {
		twin(url, arg)
		return
	}
	if mode == "prefix" || mode == "prefix-wait" {
		// TLS after 10 plaintext bytes on the same connection, the token
		// in the request inside it: in the hello's write (prefix), or
		// written first, 200 ms before the hello (prefix-wait, STARTTLS)
		u, _ := neturl.Parse(url)
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		raw := &prefixConn{Conn: c, pre: []byte("PREFIX-10\n")}
		if mode == "prefix-wait" {
			if _, err := c.Write(raw.pre); err != nil {
				fmt.Println("ERR", err)
				os.Exit(1)
			}
			raw.pre = nil
			time.Sleep(200 * time.Millisecond)
		}
		conn := tls.Client(raw, &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: true})
		req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
			"\r\nAuthorization: Bearer " + arg + "\r\nConnection: close\r\n\r\n"
		if _, err := conn.Write([]byte(req)); err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		resp, _ := io.ReadAll(conn)
		fmt.Println("reply", strings.SplitN(string(resp), "\r\n", 2)[0])
		return
	}
	if mode == "split" {
		u, _ := neturl.Parse(url)
		conn, err := tls.Dial("tcp", u.Host, &tls.Config{ServerName: u.Hostname()})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
			"\r\nAuthorization: Bearer " + arg + "\r\nConnection: close\r\n\r\n"
		for i := 0; i < len(req); i++ {
			if _, err := conn.Write([]byte{req[i]}); err != nil {
				fmt.Println("ERR", err)
				os.Exit(1)
			}
		}
		resp, _ := io.ReadAll(conn)
		fmt.Println(strings.SplitN(string(resp), "\r\n", 2)[0])
		return
	}
	if mode == "conns" {
		// one GET per new connection (HTTP/1.1, as pnpm against an
		// HTTP/1.1 registry), TLS sessions resumed as rustls does, unless
		// TLSCA_NO_RESUME: bench/tls/run-conns.sh
		tr.DisableKeepAlives = true
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		if os.Getenv("TLSCA_NO_RESUME") == "" {
			tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(64)
		}
	}
	c := &http.Client{Transport: tr}
	t0 := time.Now()
	if mode == "posts" || mode == "conns" {
		n, _ := strconv.Atoi(arg)
		for i := 0; i < n; i++ {
			var resp *http.Response
			var err error
			if mode == "conns" {
				resp, err = c.Get(url)
			} else {
				resp, err = c.Post(url, "text/plain", strings.NewReader("x=small request body "+strconv.Itoa(i)))
			}
			if err != nil {
				fmt.Println("ERR", err)
				os.Exit(1)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		report(t0)
		fmt.Println("posted", n)
		return
	}
	var req *http.Request
	switch mode {
	case "header":
		req, _ = http.NewRequest("GET", url, nil)
		req.Header.Set("X-Token", arg)
	case "auth":
		req, _ = http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+arg)
	case "query":
		req, _ = http.NewRequest("GET", url+"?t="+arg, nil)
	case "gzip":
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write([]byte("payload=" + arg))
		z.Close()
		req, _ = http.NewRequest("POST", url, &b)
		req.Header.Set("Content-Encoding", "gzip")
	case "post":
		f, err := os.Open(arg)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		st, _ := f.Stat()
		req, _ = http.NewRequest("POST", url, f)
		req.ContentLength = st.Size()
	default:
		req, _ = http.NewRequest("GET", url, nil)
	}
	resp, err := c.Do(req)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	body, _ := io.ReadAll(resp.Body)
	report(t0)
	fmt.Printf("%s %d %s", resp.Proto, resp.StatusCode, body)
}

// anyCache hands out the first ticket it got for any server name.
type anyCache struct{ first *tls.ClientSessionState }

func (a *anyCache) Get(string) (*tls.ClientSessionState, bool) { return a.first, a.first != nil }
func (a *anyCache) Put(k string, cs *tls.ClientSessionState) {
	if a.first == nil && cs != nil {
		a.first = cs
	}
}

func twin(url, addr string) {
	for _, which := range []string{"first", "twin"} {
		tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{}}
		if which == "twin" {
			tr.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
				_, port, _ := net.SplitHostPort(a)
				return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(addr, port))
			}
		}
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
		if err != nil {
			fmt.Println(which, "ERR", err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(which, resp.StatusCode, strings.TrimSpace(string(b)))
	}
}

// prefixConn writes pre in front of the first write (one write syscall).
type prefixConn struct {
	net.Conn
	pre []byte
}

func (p *prefixConn) Write(b []byte) (int, error) {
	if p.pre == nil {
		return p.Conn.Write(b)
	}
	buf := append(p.pre, b...)
	p.pre = nil
	if _, err := p.Conn.Write(buf); err != nil {
		return 0, err
	}
	return len(b), nil
}

func resumeAny(urls []string) {
	cache := &anyCache{}
	fmt.Print("resumed")
	for _, u := range urls {
		// InsecureSkipVerify: else Go itself checks the cached leaf against the name
		tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{
			ClientSessionCache: cache, InsecureSkipVerify: true}}
		resp, err := (&http.Client{Transport: tr}).Get(u)
		if err != nil {
			fmt.Println(" ERR", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf(" %v", resp.TLS.DidResume)
	}
	fmt.Println()
}

func versions(tr *http.Transport, url, arg string) {
	n, _ := strconv.Atoi(arg)
	tr.DisableKeepAlives = true
	tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(16)
	c := &http.Client{Transport: tr}
	for i := 0; i < n; i++ {
		resp, err := c.Get(url)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		v := map[uint16]string{tls.VersionTLS12: "1.2", tls.VersionTLS13: "1.3"}[resp.TLS.Version]
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Printf("%s:%v", v, resp.TLS.DidResume)
	}
	fmt.Println()
}
