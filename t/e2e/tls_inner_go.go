// tls_inner_go.go - the static Go attacker of t/e2e/393 (its own TLS, no
// hook: the CA path). tls-in-tls: a CONNECT inside the outer session, then
// an inner TLS session (no verification) carrying the token;
// connect-plain: the same tunnel carrying plaintext "world"; resume13: a
// second connection resuming the first's session, sending "world";
// pipe: no connection, a TLS client on stdin/stdout carrying the token
// (tls_atk.py pipe-in-tls sends its bytes through a hooked session).
// usage: tls_inner_go MODE PORT TOKEN
package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"time"
)

// stdio: stdin/stdout as the connection of an inner session
type stdio struct{}

func (stdio) Read(b []byte) (int, error)       { return os.Stdin.Read(b) }
func (stdio) Write(b []byte) (int, error)      { return os.Stdout.Write(b) }
func (stdio) Close() error                     { return nil }
func (stdio) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (stdio) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (stdio) SetDeadline(time.Time) error      { return nil }
func (stdio) SetReadDeadline(time.Time) error  { return nil }
func (stdio) SetWriteDeadline(time.Time) error { return nil }

func req(b string) []byte {
	return []byte(fmt.Sprintf("POST /p HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s", len(b), b))
}

func main() {
	mode, port, tok := os.Args[1], os.Args[2], os.Args[3]
	addr := "127.0.0.1:" + port
	cfg := &tls.Config{ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(8)}
	buf := make([]byte, 100)
	var err error
	if mode == "pipe" {
		in := tls.Client(stdio{}, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
		_, err = in.Write(req(tok))
		fmt.Fprintln(os.Stderr, mode, err)
		time.Sleep(time.Second)
		return
	}
	defer func() { fmt.Println(mode, err) }()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return
	}
	switch mode {
	case "resume13":
		c.Write(req("hello"))
		c.Read(buf)
		c.Close()
		if c, err = tls.Dial("tcp", addr, cfg); err != nil {
			return
		}
		fmt.Println("resumed", c.ConnectionState().DidResume)
		c.Write(req("world"))
		_, err = c.Read(buf)
	case "tls-in-tls", "connect-plain":
		c.Write([]byte("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n"))
		if _, err = c.Read(buf); err != nil {
			return
		}
		if mode == "connect-plain" {
			_, err = c.Write(req("world"))
		} else {
			in := tls.Client(c, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
			_, err = in.Write(req(tok))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
