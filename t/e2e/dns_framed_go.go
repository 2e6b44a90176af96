// dns_framed_go.go - the static Go client of t/e2e/410 (its own TLS, no
// hook: the CA path): DNS over TLS framing (RFC 7858), one A query per
// NAME on one session, each frame in one write as Go resolvers write
// them. Prints "sent N" when every query was answered by the recorder,
// else "refused at I".
// usage: dns_framed_go PORT NAME...
package main

import (
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
)

func frame(id int, name string) []byte {
	q := []byte{byte(id >> 8), byte(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, l := range strings.Split(name, ".") {
		q = append(q, byte(len(l)))
		q = append(q, l...)
	}
	q = append(q, 0, 0, 1, 0, 1)
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)
}

func main() {
	c, err := tls.Dial("tcp", "127.0.0.1:"+os.Args[1], &tls.Config{ServerName: "localhost"})
	if err != nil {
		fmt.Println("refused at 1", err)
		return
	}
	b := make([]byte, 64)
	for i, name := range os.Args[2:] {
		if _, err = c.Write(frame(0x4200+i, name)); err == nil {
			_, err = c.Read(b)
		}
		if err != nil {
			fmt.Println("refused at", i+1, err)
			return
		}
	}
	fmt.Println("sent", len(os.Args)-2)
}
