// relay_go.go - a static Go client (no libc, no shim): writes a file on a
// TCP connection, or (tls) starts crypto/tls on it. For t/e2e/300-relay-*.sh.
// usage: relay_go plain|tls PORT FILE
package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	c, err := net.Dial("tcp", "127.0.0.1:"+os.Args[2])
	if err != nil {
		fmt.Println("error", err)
		return
	}
	data, _ := os.ReadFile(os.Args[3])
	if os.Args[1] == "tls" {
		t := tls.Client(c, &tls.Config{ServerName: "example.test", InsecureSkipVerify: true})
		t.SetDeadline(time.Now().Add(3 * time.Second))
		if err := t.Handshake(); err != nil {
			fmt.Println("error", err)
			return
		}
		t.Write(data)
		fmt.Println("sent tls")
		return
	}
	n, err := c.Write(data)
	if err != nil {
		fmt.Println("error", err)
		return
	}
	fmt.Println("sent", n)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 64)
	if k, err := c.Read(b); err == nil {
		fmt.Println("reply", string(b[:k]))
	} else {
		fmt.Println("error", err)
	}
}
