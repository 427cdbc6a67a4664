package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// exportThroughPages starts the back-office export of every order (CSV), waits for the
// job, and downloads the file, watching the server's memory throughout.
func (c *readClient) exportThroughPages(ctx context.Context, conn *pgx.Conn, srv *server, orders int) error {
	step(fmt.Sprintf("back-office export of all %d orders as CSV (a job), then its download", orders))
	body, _, err := c.get(ctx, "/orders")
	if err != nil {
		return err
	}
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return errors.New("orders page has no _csrf field")
	}
	w := watchRSS(srv.cmd.Process.Pid)
	start := time.Now()
	resp, err := c.http.PostForm(c.base+"/orders/export", url.Values{"_csrf": {string(m[1])}, "format": {"csv"}, "view": {""}})
	if err != nil {
		w.end()
		return err
	}
	resp.Body.Close()
	id := strings.TrimPrefix(resp.Request.URL.Path, "/orders/exports/")
	if resp.StatusCode != http.StatusOK || id == resp.Request.URL.Path {
		w.end()
		return fmt.Errorf("export did not start: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	var status string
	var done int
	var size int64
	for {
		if err := conn.QueryRow(ctx, "SELECT status, done, size FROM exports WHERE id = $1", id).Scan(&status, &done, &size); err != nil {
			w.end()
			return err
		}
		if status == "done" || status == "failed" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	written := time.Since(start)
	if status != "done" {
		w.end()
		return fmt.Errorf("export %s failed", id)
	}
	start = time.Now()
	n, lines, err := c.download(ctx, "/orders/exports/"+id+"/file")
	peak := w.end()
	if err != nil {
		return err
	}
	fmt.Printf("back-office export: %d orders, %.1f MB written by the job in %s (%.0f rows/s); downloaded in %s (%d lines); server RSS peak %d MB\n",
		done, float64(size)/1e6, written.Round(time.Millisecond), float64(done)/written.Seconds(),
		time.Since(start).Round(time.Millisecond), lines, peak/1024)
	if n != size || lines != done+1 {
		return fmt.Errorf("download: %d bytes and %d lines, the export says %d bytes and %d orders", n, lines, size, done)
	}
	return nil
}

// exportThroughAPI streams every order from GET /api/v1/orders/export.
func (c *readClient) exportThroughAPI(ctx context.Context, srv *server, orders int) error {
	step(fmt.Sprintf("API export of all %d orders as CSV, streamed", orders))
	w := watchRSS(srv.cmd.Process.Pid)
	start := time.Now()
	_, lines, err := c.download(ctx, "/api/v1/orders/export?format=csv")
	peak := w.end()
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Printf("API export: %d rows in %s (%.0f rows/s); server RSS peak %d MB\n", lines-1, d.Round(time.Millisecond),
		float64(lines-1)/d.Seconds(), peak/1024)
	return nil
}

// download reads a file, counting its bytes and lines.
func (c *readClient) download(ctx context.Context, path string) (n int64, lines int, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	buf := make([]byte, 1<<16)
	for {
		k, err := resp.Body.Read(buf)
		n += int64(k)
		lines += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, lines, nil
		}
		if err != nil {
			return n, lines, err
		}
	}
}
