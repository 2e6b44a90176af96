// gohttp.go - a static Go HTTP client for t/e2e/335: gohttp METHOD URL (body "x"), prints "status N"
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
)

func main() {
	req, _ := http.NewRequest(os.Args[1], os.Args[2], strings.NewReader("x"))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("status", r.StatusCode)
}
