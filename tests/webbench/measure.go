package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// endpoint is one page or API route to measure.
type endpoint struct {
	Name   string
	Path   string
	Header http.Header
	// Check validates a body (once, before timing).
	Check func(body string) error
}

type result struct {
	Name                     string
	P50, P90, P99, Max, Mean time.Duration
}

func (r result) line() string {
	return fmt.Sprintf("%-32s p50 %8s  p90 %8s  p99 %8s  max %8s", r.Name, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
}

// login returns a client holding a session cookie.
func login(base, user, password string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	page, err := get(c, base+"/login", nil)
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("no CSRF token on the login page")
	}
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {password}})
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "DAGs") {
		return nil, fmt.Errorf("login failed: %d", resp.StatusCode)
	}
	return c, nil
}

func get(c *http.Client, u string, h http.Header) (string, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %.200s", u, resp.StatusCode, b)
	}
	return string(b), nil
}

// measure checks the endpoint, warms it up, then times n requests.
func measure(c *http.Client, base string, e endpoint, n int) (result, error) {
	body, err := get(c, base+e.Path, e.Header)
	if err != nil {
		return result{}, err
	}
	if e.Check != nil {
		if err := e.Check(body); err != nil {
			return result{}, err
		}
	}
	for i := 0; i < 20; i++ {
		if _, err := get(c, base+e.Path, e.Header); err != nil {
			return result{}, err
		}
	}
	lat := make([]time.Duration, n)
	var total time.Duration
	for i := range lat {
		start := time.Now()
		if _, err := get(c, base+e.Path, e.Header); err != nil {
			return result{}, err
		}
		lat[i] = time.Since(start)
		total += lat[i]
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return result{Name: e.Name, P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: lat[len(lat)-1], Mean: total / time.Duration(n)}, nil
}
