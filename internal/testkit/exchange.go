package testkit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// Exchange is a completed request, served in-process.
type Exchange struct {
	Status int
	Header http.Header
	Body   string
}

// Serve runs one request through h synchronously and returns the answer. A non-empty body is
// sent as application/json. hdr is name, value pairs; a name may repeat ("Cookie" twice).
func Serve(h http.Handler, method, path, body string, hdr ...string) Exchange {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return Exchange{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}
