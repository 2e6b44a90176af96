// local_go.go - a static Go program (no libc, no shim) for
// t/e2e/304-relay-local.sh: listen on an address, or send one UDP datagram.
// usage: local_go listen ADDR | local_go udp HOST:PORT TEXT | local_go unix PATH
// Prints "ok ..." or "error ...".
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	switch os.Args[1] {
	case "listen":
		l, err := net.Listen("tcp", os.Args[2])
		if err != nil {
			fmt.Println("error", err)
			return
		}
		fmt.Println("ok listening", l.Addr())
		l.Close()
	case "unix":
		c, err := net.Dial("unix", os.Args[2])
		if err != nil {
			fmt.Println("error", err)
			return
		}
		c.Close()
		fmt.Println("ok connected")
	case "udp":
		c, err := net.Dial("udp", os.Args[2])
		if err != nil {
			fmt.Println("error", err)
			return
		}
		if _, err := c.Write([]byte(os.Args[3])); err != nil {
			fmt.Println("error", err)
			return
		}
		fmt.Println("ok sent")
	}
}
