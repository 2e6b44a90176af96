// tls_ssh_go.go - the static Go client of t/e2e/402 (its own TLS, no
// hook: the CA path): ssh: an SSH banner inside the TLS session, then an
// opaque packet carrying MARK; tunnel-ssh: the same inside a CONNECT
// tunnel in the session; clean: an HTTP request carrying MARK.
// usage: tls_ssh_go MODE PORT MARK
package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"time"
)

func main() {
	mode, port, mark := os.Args[1], os.Args[2], os.Args[3]
	c, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{ServerName: "localhost"})
	if err != nil {
		fmt.Println(mode, err)
		return
	}
	b := make([]byte, 100)
	switch mode {
	case "ssh", "tunnel-ssh":
		if mode == "tunnel-ssh" {
			c.Write([]byte("CONNECT localhost:22 HTTP/1.1\r\nHost: localhost:22\r\n\r\n"))
			c.Read(b)
		}
		c.Write([]byte("SSH-2.0-Go\r\n"))
		time.Sleep(200 * time.Millisecond)
		_, err = c.Write([]byte("\x00\x00\x01\x0c\x0a\x14" + mark))
	default:
		_, err = c.Write([]byte(fmt.Sprintf("POST / HTTP/1.1\r\nHost: localhost\r\n"+
			"Content-Length: %d\r\n\r\n%s", len(mark), mark)))
	}
	n, _ := c.Read(b)
	fmt.Println(mode, err, string(b[:n]))
	time.Sleep(300 * time.Millisecond)
}
