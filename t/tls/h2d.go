// h2d.go - HTTPS server speaking HTTP/2 and HTTP/1.1 (Go net/http) for the
// CA-path tests and bench/tls: logs every request (line, headers, body) to
// LOGFILE ("-": no log), stores the body of POST /save/NAME as SAVEDIR/NAME,
// answers GET ...?bytes=N with N bytes, GET /echo with the request's
// Authorization in the response header X-Echo.
// usage: h2d BIND PORTFILE LOGFILE CERT KEY [SAVEDIR [TWIN_BIND TWIN_CERT TWIN_KEY]]
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

func main() {
	bind, portfile, logfile, cert, key := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	save := ""
	if len(os.Args) > 6 {
		save = os.Args[6]
	}
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if save != "" && strings.HasPrefix(r.URL.Path, "/save/") {
			os.WriteFile(filepath.Join(save, filepath.Base(r.URL.Path)), body, 0644)
		}
		mu.Lock()
		var f *os.File
		var err error = os.ErrInvalid
		if logfile != "-" {
			f, err = os.OpenFile(logfile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0644)
		}
		if err == nil {
			fmt.Fprintf(f, "%s %s %s\n", r.Method, r.URL.RequestURI(), r.Proto)
			keys := make([]string, 0, len(r.Header))
			for k := range r.Header {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				for _, v := range r.Header[k] {
					fmt.Fprintf(f, "%s: %s\n", k, v)
				}
			}
			f.Write(body)
			f.Write([]byte("\n--\n"))
			f.Close()
		}
		mu.Unlock()
		if r.URL.Path == "/echo" { // the secretless border's inbound test (t/e2e/360)
			w.Header().Set("X-Echo", r.Header.Get("Authorization"))
			fmt.Fprintf(w, "echo %s\n", r.Proto)
			return
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("bytes")); err == nil && n > 0 {
			// GET /x?bytes=N: N bytes of 'x' (a large response)
			w.Write(bytes.Repeat([]byte("x"), n))
			return
		}
		if r.Method == "POST" || r.Method == "PUT" {
			fmt.Fprintf(w, "got %d %s\n", len(body), r.Proto)
			return
		}
		fmt.Fprintf(w, "hello %s\n", r.Proto)
	})
	l, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: h}
	if len(os.Args) > 9 {
		// TWIN_BIND TWIN_CERT TWIN_KEY: the same port on another address
		// with a certificate of its own (one the client must refuse) and
		// this server's session ticket keys, as one operator's servers
		// share them: a ticket of the first resumes on the twin
		twin, err := startTwin(srv, l, cert, key, os.Args[7], os.Args[8], os.Args[9])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go srv.ServeTLS(twin, "", "")
		cert, key = "", ""
	}
	os.WriteFile(portfile+".tmp", []byte(fmt.Sprint(l.Addr().(*net.TCPAddr).Port)), 0644)
	os.Rename(portfile+".tmp", portfile)
	fmt.Fprintln(os.Stderr, srv.ServeTLS(l, cert, key))
}

func startTwin(srv *http.Server, l net.Listener, cert, key, bind, tcert, tkey string) (net.Listener, error) {
	good, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, err
	}
	bad, err := tls.LoadX509KeyPair(tcert, tkey)
	if err != nil {
		return nil, err
	}
	var tk [32]byte
	rand.Read(tk[:])
	srv.TLSConfig = &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if h, _, _ := net.SplitHostPort(hi.Conn.LocalAddr().String()); h == bind {
			return &bad, nil
		}
		return &good, nil
	}}
	srv.TLSConfig.SetSessionTicketKeys([][32]byte{tk})
	return net.Listen("tcp", net.JoinHostPort(bind, fmt.Sprint(l.Addr().(*net.TCPAddr).Port)))
}
