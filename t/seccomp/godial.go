// SPDX-License-Identifier: MIT
// godial.go - Go client for t/seccomp/run.sh: Go makes its own raw,
// non-blocking connect syscalls (no libc, no shim). Dials every address
// given in parallel goroutines (host:port) and prints "ok ADDR" or
// "err ADDR: ...". With "-dns SERVER NAME" it resolves NAME with the pure
// Go resolver against SERVER:53 (UDP, connected socket + write).
// Exit 0 if every dial succeeded.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 3 && args[0] == "-dns" {
		server := args[1]
		r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: time.Second}
			return d.DialContext(ctx, "udp", net.JoinHostPort(server, "53"))
		}}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		addrs, err := r.LookupHost(ctx, args[2])
		if err != nil {
			fmt.Printf("err resolve: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("ok resolved %v\n", addrs)
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, a := range args {
		wg.Add(1)
		go func(a string) {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", a, 3*time.Second)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Printf("err %s: %v\n", a, err)
				failed++
				return
			}
			c.Close()
			fmt.Printf("ok %s\n", a)
		}(a)
	}
	wg.Wait()
	if failed > 0 {
		os.Exit(1)
	}
}
