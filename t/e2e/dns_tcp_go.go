// dns_tcp_go.go - the static Go client of t/e2e/402 (no shim): one DNS
// question for NAME over TCP to SERVER:53 (2-byte length prefix, a raw
// write), prints the answer's length.
// usage: dns_tcp_go SERVER NAME
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	srv, name := os.Args[1], os.Args[2]
	q := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, l := range strings.Split(name, ".") {
		q = append(q, byte(len(l)))
		q = append(q, l...)
	}
	q = append(q, 0, 0, 1, 0, 1)
	c, err := net.DialTimeout("tcp", srv+":53", 3*time.Second)
	if err != nil {
		fmt.Println("dial", err)
		return
	}
	_, err = c.Write(append([]byte{byte(len(q) >> 8), byte(len(q))}, q...))
	b := make([]byte, 512)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, e2 := c.Read(b)
	fmt.Println("write", err, "answer", n, e2)
}
