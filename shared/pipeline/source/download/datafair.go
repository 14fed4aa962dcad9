package download

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// dataFair is constants.download.data_fair_paginated: GET the URL, send its
// results, go on with its next URL until there is none. A next URL already
// fetched (a cycle of pages, not only a page naming itself) fails the
// download: following it would send the same rows again until the task's
// timeout.
func (d *downloader) dataFair(ctx context.Context) error {
	u := d.cfg.Endpoint
	visited := map[string]int{} // page URL -> its page number
	for u != "" {
		visited[canonicalURL(u)] = d.stats.Pages + 1
		var next string
		page := &pageRows{emit: d.em.emit}
		n := 0
		err := d.http.get(ctx, u, func(body io.Reader) error {
			next = ""
			j := newJSONReader(u, body)
			err := j.object(map[string]func() error{
				"results": func() (err error) {
					n, err = j.rows("results", page.row)
					return err
				},
				"next": func() (err error) {
					next, err = j.stringOrNull("next")
					return err
				},
			}, "results")
			if err != nil {
				return err
			}
			return j.end()
		})
		if err != nil {
			return err
		}
		d.stats.Pages++
		d.log.Info("download: page", "url", u, "rows", n, "page", d.stats.Pages)
		if next == "" {
			break
		}
		resolved, err := resolveNext(u, next)
		if err != nil {
			return err
		}
		if resolved == u {
			return fmt.Errorf("%w from %s: next points to the same page", ErrUnexpectedResponse, u)
		}
		if page, ok := visited[canonicalURL(resolved)]; ok {
			return fmt.Errorf("%w from %s (page %d): next %s is page %d again (a cycle of pages)",
				ErrUnexpectedResponse, u, d.stats.Pages, resolved, page)
		}
		u = resolved
	}
	d.log.Info("download: no more pages")
	return nil
}

// canonicalURL is u as net/url writes it back (the form resolveNext gives),
// so that the endpoint and a next URL naming the same page compare equal.
func canonicalURL(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.String()
	}
	return u
}

// resolveNext makes a relative next URL absolute (data-fair gives absolute
// ones).
func resolveNext(cur, next string) (string, error) {
	base, err := url.Parse(cur)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrUnknownEndpoint, cur, err)
	}
	ref, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("%w from %s: next %q is not a URL", ErrUnexpectedResponse, cur, next)
	}
	abs := base.ResolveReference(ref)
	if abs.Scheme != "http" && abs.Scheme != "https" {
		return "", fmt.Errorf("%w from %s: next %q is not an http(s) URL", ErrUnexpectedResponse, cur, next)
	}
	return abs.String(), nil
}

// Constants of constants.download.artisanat_paged.
const (
	artisanatPageSize   = 1000
	artisanatTotalKey   = "total_entries"
	artisanatRowsKey    = "data"
	artisanatFirstPage  = 1
	artisanatCountPage  = 1
	artisanatCountLimit = 1
)

// artisanat is constants.download.artisanat_paged: one call with page=1 and
// page_size=1 gives total_entries; then pages of 1000 rows from page 1 while
// (page-1)*1000 < total_entries, each holding its rows under data.
func (d *downloader) artisanat(ctx context.Context) error {
	countURL, err := withPage(d.cfg.Endpoint, artisanatCountPage, artisanatCountLimit)
	if err != nil {
		return err
	}
	var total float64
	err = d.http.get(ctx, countURL, func(body io.Reader) error {
		j := newJSONReader(countURL, body)
		err := j.object(map[string]func() error{
			artisanatTotalKey: func() (err error) {
				total, err = j.number(artisanatTotalKey)
				return err
			},
		}, artisanatTotalKey)
		if err != nil {
			return err
		}
		return j.end()
	})
	if err != nil {
		return err
	}
	d.log.Info("download: CMA total", "total_entries", total)
	for page := artisanatFirstPage; float64((page-artisanatFirstPage)*artisanatPageSize) < total; page++ {
		u, err := withPage(d.cfg.Endpoint, page, artisanatPageSize)
		if err != nil {
			return err
		}
		rows := &pageRows{emit: d.em.emit}
		n := 0
		err = d.http.get(ctx, u, func(body io.Reader) error {
			j := newJSONReader(u, body)
			err := j.object(map[string]func() error{
				artisanatRowsKey: func() (err error) {
					n, err = j.rows(artisanatRowsKey, rows.row)
					return err
				},
			}, artisanatRowsKey)
			if err != nil {
				return err
			}
			return j.end()
		})
		if err != nil {
			return err
		}
		d.stats.Pages++
		d.log.Info("download: page", "url", u, "rows", n, "page", page)
	}
	return nil
}

// withPage sets the page and page_size query parameters (as requests'
// params= does, keeping the endpoint's own parameters).
func withPage(endpoint string, page, size int) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrUnknownEndpoint, endpoint, err)
	}
	q := u.Query()
	q.Set("page", strconv.Itoa(page))
	q.Set("page_size", strconv.Itoa(size))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// plainJSON is an endpoint that returns its rows in one document: an array
// of row objects, or an object whose results hold them.
func (d *downloader) plainJSON(ctx context.Context) error {
	u := d.cfg.Endpoint
	rows := &pageRows{emit: d.em.emit}
	n := 0
	err := d.http.get(ctx, u, func(body io.Reader) error {
		j := newJSONReader(u, body)
		tok, err := j.token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['):
			n, err = j.rowsBody("the document", rows.row)
		case json.Delim('{'):
			err = j.objectBody(map[string]func() error{
				"results": func() (err error) {
					n, err = j.rows("results", rows.row)
					return err
				},
			}, "results")
		default:
			return j.shapeErr("the document is %v, not an array of rows or an object with results", tokenKind(tok))
		}
		if err != nil {
			return err
		}
		return j.end()
	})
	if err != nil {
		return err
	}
	d.stats.Pages++
	d.log.Info("download: page", "url", u, "rows", n)
	return nil
}

// expectedColumns reads the data-fair schema of MetadataEndpoint: the keys of
// its fields, without the x-calculated ones. nil when there is no schema.
func (d *downloader) expectedColumns(ctx context.Context) ([]string, error) {
	u := d.cfg.MetadataEndpoint
	if u == "" {
		return nil, nil
	}
	cols := []string{}
	err := d.http.get(ctx, u, func(body io.Reader) error {
		cols = cols[:0]
		j := newJSONReader(u, body)
		tok, err := j.token()
		if err != nil {
			return err
		}
		if tok != json.Delim('[') {
			return j.shapeErr("the schema is %v, not an array of fields", tokenKind(tok))
		}
		for i := 0; j.dec.More(); i++ {
			v, err := transform.ReadValue(j.dec)
			if err != nil {
				return j.syntaxErr(err)
			}
			field, ok := v.ObjectRow()
			if !ok {
				return j.shapeErr("schema field %d is not an object", i)
			}
			if field.Get("x-calculated").Truthy() {
				continue
			}
			key, ok := field.Lookup("key")
			if !ok || !key.IsString() {
				return j.shapeErr("schema field %d has no string key", i)
			}
			// Without NUL characters, as the data's column names (emit.go).
			name := strings.ReplaceAll(key.Str(), "\x00", "")
			if !slices.Contains(cols, name) {
				cols = append(cols, name)
			}
		}
		if _, err := j.token(); err != nil {
			return err
		}
		return j.end()
	})
	if err != nil {
		return nil, fmt.Errorf("error reading the schema: %w", err)
	}
	d.log.Info("download: schema", "url", u, "expected_columns", len(cols))
	return cols, nil
}
