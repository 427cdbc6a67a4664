package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/router"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// The document never drifts from the code: every test server (newTestServer) checks each
// answer under /api/ and /webhooks/ against openapi.json as it sends it, whichever test
// asked and however (apiEnv, a raw http.Client, a browser). An answer the document does
// not describe (its path, method, status, headers or body) fails the test that got it.

// openAPIChecker holds the document, built once for the test binary.
type openAPIChecker struct {
	doc       libopenapi.Document
	model     *v3.Document
	validator validator.Validator
	router    router.Router
	errorBody *base.Schema
	schemas   schema_validation.SchemaValidator
}

// openAPIChecked counts the answers checked, and openAPISeen the operations they were
// answers of (by operationId), for the line TestMain prints.
var (
	openAPIChecked atomic.Int64
	openAPISeen    sync.Map
)

var loadOpenAPIChecker = sync.OnceValues(func() (*openAPIChecker, error) {
	doc, err := libopenapi.NewDocument(openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("parse openapi.json: %w", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build openapi.json: %w", err)
	}
	errorSchema, ok := m.Model.Components.Schemas.Get("Error")
	if !ok {
		return nil, fmt.Errorf("openapi.json has no components.schemas.Error")
	}
	// Formats are only annotations in JSON Schema 2020-12 unless asserted: a uuid or a
	// date-time that is not one must fail.
	opts := []config.Option{config.WithFormatAssertions()}
	return &openAPIChecker{
		doc:       doc,
		model:     &m.Model,
		validator: validator.NewValidatorFromV3Model(&m.Model, opts...),
		router:    router.NewRouter(&m.Model, router.WithPathOnlyMatching()),
		errorBody: errorSchema.Schema(),
		schemas:   schema_validation.NewSchemaValidator(opts...),
	}, nil
})

// checkedPath tells the answers the document describes: the API's, and the payment
// gateway's callback (the same paths that get JSON errors: see isAPI).
func checkedPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/webhooks/")
}

// check returns what is wrong with one exchange by the document; nothing when it conforms.
//   - A request the document has an operation for: the answer must be one of that
//     operation's (status, required headers, content type, body), and a request the
//     server accepted (2xx) must be one the document allows.
//   - A request it has none for (a made-up path or method, as hostile tests send): the
//     server must have refused it with a 4xx and the error body.
//
// It also returns the operation's id ("" when there is none).
func (c *openAPIChecker) check(req *http.Request, resp *http.Response, body []byte) (string, []string) {
	route, err := c.router.FindRoute(req)
	if err != nil || route.Operation == nil {
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			return "", []string{fmt.Sprintf("the document has no operation %s %s, yet the server answered %d", req.Method, req.URL.Path, resp.StatusCode)}
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return "", []string{fmt.Sprintf("an undocumented request's refusal is %q, not the JSON error body", ct)}
		}
		_, errs := c.schemas.ValidateSchemaBytes(c.errorBody, body)
		return "", describe("an undocumented request's refusal is not the Error body", errs)
	}
	op := fmt.Sprintf("operation %s (%s %s)", route.Operation.OperationId, req.Method, route.Path)
	_, errs := c.validator.ValidateHttpResponse(req, resp)
	problems := describe(op+": the answer does not match", errs)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, errs := c.validator.ValidateHttpRequest(req)
		problems = append(problems, describe(op+": the server accepted a request the document does not allow", errs)...)
	}
	return route.Operation.OperationId, problems
}

// describe writes validation errors one per line, with the schema failures that caused them.
func describe(what string, errs []*liberrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		s := what + ": " + e.Message
		if e.Reason != "" && e.Reason != e.Message {
			s += " (" + e.Reason + ")"
		}
		for _, f := range e.SchemaValidationErrors {
			s += fmt.Sprintf("\n\t\t%s at %s", f.Reason, cmp.Or(f.FieldPath, "$"))
		}
		out = append(out, s)
	}
	return out
}

// newTestServer serves h for a test, checking every API answer against the document.
func newTestServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(checkedByOpenAPI(t, h))
	t.Cleanup(srv.Close)
	return srv
}

// checkedByOpenAPI wraps h so that each API answer is checked once the handler is done
// (before the test's server closes: httptest waits for its handlers). The answer goes to
// the client as it is written, streamed downloads included; a copy is kept for the check.
func checkedByOpenAPI(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	checker, err := loadOpenAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !checkedPath(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		reqBody, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "test server: cannot read the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := &answerRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r) // a panic (an export aborting its download on purpose) skips the check

		req := r.Clone(context.Background())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		resp := &http.Response{StatusCode: rec.statusCode(), Header: w.Header().Clone(), Request: req,
			Body: io.NopCloser(bytes.NewReader(rec.body.Bytes()))}
		opID, problems := checker.check(req, resp, rec.body.Bytes())
		openAPIChecked.Add(1)
		if opID != "" {
			openAPISeen.Store(opID, true)
		}
		for _, p := range problems {
			t.Errorf("openapi.json does not describe this answer:\n\t%s\n\trequest: %s %s %.300s\n\tanswer: %d %.500s",
				p, r.Method, r.URL.RequestURI(), reqBody, resp.StatusCode, rec.body.Bytes())
		}
	})
}

// answerRecorder passes an answer through, keeping its status and a copy of its body.
type answerRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *answerRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *answerRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *answerRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *answerRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *answerRecorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
