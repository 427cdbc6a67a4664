package torture

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/oms/oms/internal/model"
	"github.com/oms/oms/internal/testenv"
)

// answer is what came back for one request.
type answer struct {
	status int
	code   string // the error code of a refusal (API), or model.Refused (a form)
	body   []byte
	header http.Header
	lost   bool // no answer, or one the server could not finish (5xx): it may have happened
	err    error
}

func (a answer) String() string {
	switch {
	case a.lost:
		return fmt.Sprintf("lost (%d %v)", a.status, a.err)
	case a.code == model.Refused:
		if m := formError.FindSubmatch(a.body); m != nil {
			return fmt.Sprintf("%d refused: %s", a.status, html.UnescapeString(string(m[1])))
		}
		return fmt.Sprintf("%d refused", a.status)
	case a.code != "":
		return fmt.Sprintf("%d %s", a.status, a.code)
	}
	return fmt.Sprint(a.status)
}

// formError is the message above a form drawn again with an error, or an error page's.
var formError = regexp.MustCompile(`(?s)class="(?:form-error-summary|confirm-message|error-page card)"[^>]*>\s*(?:<[^>]*>\s*)*([^<]+?)\s*<`)

// modelCode is the answer's code as the model's observation takes it.
func (a answer) modelCode() string {
	if a.lost {
		return model.Lost
	}
	return a.code
}

// api calls the JSON API with a token.
type api struct {
	base  string
	token string
	http  *http.Client
}

// call sends body (JSON, unless nil) with headers ("Name", "value" pairs). ctx may be
// cancelled to drop the request after it was sent.
func (a *api) call(ctx context.Context, method, path string, body any, headers ...string) answer {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return answer{lost: true, err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{lost: true, err: err, status: resp.StatusCode}
	}
	out := answer{status: resp.StatusCode, body: b, header: resp.Header}
	switch {
	case resp.StatusCode >= 500:
		out.lost, out.err = true, fmt.Errorf("%d %.200s", resp.StatusCode, b)
	case resp.StatusCode >= 400:
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		out.code = e.Error.Code
		if out.code == "" {
			out.code = fmt.Sprintf("status_%d", resp.StatusCode)
		}
	}
	return out
}

// staff is a staff member's browser session on the back office.
type staff struct {
	base string
	br   *testenv.Browser
}

var (
	formTag     = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	inputTag    = regexp.MustCompile(`<input\b[^>]*>`)
	attrPattern = regexp.MustCompile(`([a-zA-Z_:-]+)="([^"]*)"`)
)

// form is a form drawn on a page: where it posts and its hidden fields (the CSRF token,
// the one-time token, the version it was drawn from).
type form struct {
	action string
	hidden url.Values
}

// findForm finds the form on page that posts to action (a path, without the query).
func findForm(page, action string) (form, bool) {
	for _, m := range formTag.FindAllStringSubmatch(page, -1) {
		attrs := attributes(m[1])
		if strings.SplitN(attrs["action"], "?", 2)[0] != action || !strings.EqualFold(attrs["method"], "post") {
			continue
		}
		f := form{action: attrs["action"], hidden: url.Values{}}
		for _, in := range inputTag.FindAllString(m[2], -1) {
			a := attributes(in)
			if a["type"] == "hidden" && a["name"] != "" {
				f.hidden.Add(a["name"], a["value"])
			}
		}
		return f, true
	}
	return form{}, false
}

func attributes(tag string) map[string]string {
	out := map[string]string{}
	for _, m := range attrPattern.FindAllStringSubmatch(tag, -1) {
		out[strings.ToLower(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

// errNoForm is a page that does not offer the form looked for.
var errNoForm = errors.New("no form")

// draw opens page and returns the form on it posting to action.
func (s *staff) draw(ctx context.Context, page, action string) (form, answer) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+page, nil)
	st, h, body, err := s.br.Try(req)
	a := answer{status: st, header: h, body: []byte(body), err: err}
	switch {
	case err != nil || st >= 500:
		a.lost = true
		return form{}, a
	case st != http.StatusOK:
		a.code = model.Refused
		return form{}, a
	}
	f, ok := findForm(body, action)
	if !ok {
		a.err = fmt.Errorf("%w posting to %s on %s", errNoForm, action, page)
	}
	return f, a
}

// submit posts f with fields added to its hidden ones. A redirect (303) is a success;
// the form drawn again with an error (4xx) a refusal.
func (s *staff) submit(ctx context.Context, f form, fields url.Values) answer {
	vals := url.Values{}
	for k, v := range f.hidden {
		vals[k] = append([]string(nil), v...)
	}
	for k, v := range fields {
		vals[k] = v
	}
	st, h, body, err := s.br.TryPost(ctx, s.base+f.action, vals)
	a := answer{status: st, header: h, body: []byte(body), err: err}
	switch {
	case err != nil || st >= 500:
		a.lost = true
	case st >= 400:
		a.code = model.Refused
	}
	return a
}

// newHTTP is a client for one kind of caller; its timeout bounds a request that hangs.
func newHTTP() *http.Client {
	return &http.Client{Timeout: 60 * time.Second}
}
