package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"

	"github.com/oms/oms/internal/domain"
)

// The document is valid OpenAPI 3.1: it passes the specification's own JSON Schema, and
// every reference in it resolves (the checker's model is built from it).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	c, err := loadOpenAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	if v := c.model.Version; !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi: %q, want 3.1.x", v)
	}
	v, errs := validator.NewValidator(c.doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, p := range describe("openapi.json is not valid OpenAPI 3.1", errs) {
			t.Error(p)
		}
	}
	if !json.Valid(openAPIDocument) {
		t.Error("openapi.json is not JSON")
	}
	// The specification's schema does not look inside the schemas of bodies: each must
	// compile as JSON Schema 2020-12 here, rather than when an answer first meets it.
	for where, schema := range documentedSchemas(c) {
		_, errs := c.schemas.ValidateSchemaBytes(schema.Schema(), []byte("null"))
		for _, e := range errs {
			if e.Message == "schema compilation failed" {
				t.Errorf("%s: %s", where, e.Reason)
			}
		}
	}
	ids := map[string]string{}
	for key, op := range documentedOperations(t) {
		if op.id == "" {
			t.Errorf("%s has no operationId", key)
		} else if other, dup := ids[op.id]; dup {
			t.Errorf("%s and %s share the operationId %s", key, other, op.id)
		}
		ids[op.id] = key
	}
}

// documentedSchemas are the document's schemas: its components', and those written in
// place in its bodies, by where they are.
func documentedSchemas(c *openAPIChecker) map[string]*base.SchemaProxy {
	out := map[string]*base.SchemaProxy{}
	for name, s := range c.model.Components.Schemas.FromOldest() {
		out["components.schemas."+name] = s
	}
	content := func(where string, media *orderedmap.Map[string, *v3.MediaType]) {
		for mediaType, m := range media.FromOldest() {
			if m.Schema != nil {
				out[where+" "+mediaType] = m.Schema
			}
		}
	}
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			where := strings.ToUpper(method) + " " + path
			if op.RequestBody != nil {
				content(where+" request", op.RequestBody.Content)
			}
			for code, r := range op.Responses.Codes.FromOldest() {
				content(where+" "+code, r.Content)
			}
		}
	}
	return out
}

// documentedOperation is what the route table is compared with.
type documentedOperation struct {
	id     string
	public bool     // security: [] (no token)
	scopes []string // the roles of its bearerAuth requirement: all are needed
	// when is x-scopes-when-true: a body field that, set to true, needs one more scope
	when map[string]string
}

// documentedOperations are the document's operations by "METHOD /path/{param}".
func documentedOperations(t *testing.T) map[string]documentedOperation {
	t.Helper()
	c, err := loadOpenAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]documentedOperation{}
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			d := documentedOperation{id: op.OperationId}
			switch {
			case op.Security == nil:
				t.Errorf("%s %s does not say its security (a scope, or [] when public)", method, path)
			case len(op.Security) == 0:
				d.public = true
			default:
				for _, req := range op.Security {
					if roles, ok := req.Requirements.Get("bearerAuth"); ok {
						d.scopes = roles
					}
				}
			}
			if op.Extensions != nil {
				if n, ok := op.Extensions.Get("x-scopes-when-true"); ok {
					if err := n.Decode(&d.when); err != nil {
						t.Errorf("%s %s: x-scopes-when-true: %v", method, path, err)
					}
				}
			}
			out[strings.ToUpper(method)+" "+path] = d
		}
	}
	return out
}

func scopeNames(ss []domain.Scope) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// echoParam is a route parameter as echo writes it (:id); the document writes {id}.
var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// Every route the server has under /api/v1 (and the gateway's callback) is in the
// document, with the scope it needs or as public; and everything in the document is
// served.
func TestOpenAPIDescribesEveryAPIRoute(t *testing.T) {
	e := newAPIEnv(t)
	s := New(Config{}, e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	documented := documentedOperations(t)
	served := map[string]bool{}
	for _, r := range s.echo.Routes() {
		if !checkedPath(r.Path) || r.Method == echo.RouteNotFound {
			continue
		}
		key := r.Method + " " + echoParam.ReplaceAllString(r.Path, "{$1}")
		served[key] = true
		d, ok := documented[key]
		switch {
		case !ok:
			t.Errorf("%s is served but not in openapi.json", key)
		case publicRoutes[r.Method+" "+r.Path] != d.public:
			t.Errorf("%s: public in the route table %v, in openapi.json %v", key, publicRoutes[r.Method+" "+r.Path], d.public)
		case !d.public:
			rule := apiScopes[r.Method+" "+r.Path]
			when := map[string]string{}
			for _, b := range rule.when {
				when[b.field] = string(b.scope)
			}
			if !slices.Equal(scopeNames(rule.all), d.scopes) || !maps.Equal(when, d.when) {
				t.Errorf("%s needs the scopes %v (and %v when true), openapi.json says %v (and %v)", key, rule.all, when, d.scopes, d.when)
			}
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("openapi.json describes %s, which is not served", key)
		}
	}
	if len(served) < 25 {
		t.Errorf("only %d API routes found", len(served))
	}
}

// The document is served as is, to anyone, as JSON.
func TestOpenAPIIsServedWithoutAToken(t *testing.T) {
	e := newAPIEnv(t)
	r := e.must(http.StatusOK, "GET", "/api/v1/openapi.json", nil, "Authorization", "")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Equal(r.Body, openAPIDocument) {
		t.Error("the answer is not openapi.json")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	r.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
}

// The check is strict: an answer that differs from the document in any way fails it, and
// only a conforming one passes.
func TestOpenAPICheckIsStrict(t *testing.T) {
	c, err := loadOpenAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 14, 3, 0, 0, time.UTC)
	product := toProductJSON(domain.Product{SKU: "TEE-M", Name: "Tee", Currency: "USD", Active: true, CreatedAt: now, UpdatedAt: now})
	good, err := json.Marshal(product)
	if err != nil {
		t.Fatal(err)
	}
	changed := func(field string, v any) string {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		if v == nil {
			delete(m, field)
		} else {
			m[field] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	jsonType := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name, method, path, reqBody string
		status                      int
		header                      http.Header
		body                        string
		wantOK                      bool
	}{
		{"a conforming answer", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, string(good), true},
		{"a conforming error", "GET", "/api/v1/products/NOPE", "", 404, jsonType, `{"error":{"code":"not_found","message":"product not found"}}`, true},
		{"a price as a number", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, changed("price", 19.99), false},
		{"a boolean as a string", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, changed("active", "true"), false},
		{"a field left out", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, changed("currency", nil), false},
		{"a field not described", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, changed("colour", "red"), false},
		{"null where a value is due", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, changed("name", json.RawMessage("null")), false},
		{"a time that is not one", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, changed("created_at", "yesterday"), false},
		{"money with an exponent", "GET", "/api/v1/products/TEE-M", "", 200, jsonType, changed("price", "1e3"), false},
		{"a status not described", "GET", "/api/v1/products/TEE-M", "", 418, jsonType, string(good), false},
		{"a success the operation never gives", "GET", "/api/v1/products/TEE-M", "", 201, jsonType, string(good), false},
		{"another content type", "GET", "/api/v1/products/TEE-M", "", 200, http.Header{"Content-Type": {"text/html"}}, string(good), false},
		{"an error code another status has", "GET", "/api/v1/products/NOPE", "", 404, jsonType, `{"error":{"code":"bad_request","message":"x"}}`, false},
		{"an error without its message", "GET", "/api/v1/products/NOPE", "", 404, jsonType, `{"error":{"code":"not_found"}}`, false},
		{"a 401 without WWW-Authenticate", "GET", "/api/v1/products/TEE-M", "", 401, jsonType, `{"error":{"code":"unauthorized","message":"no"}}`, false},
		{"a path not described, served", "GET", "/api/v1/nothing", "", 200, jsonType, `{}`, false},
		{"a method not described, served", "DELETE", "/api/v1/products/TEE-M", "", 200, jsonType, string(good), false},
		{"a path not described, refused", "GET", "/api/v1/nothing", "", 404, jsonType, `{"error":{"code":"not_found","message":"no such page"}}`, true},
		{"a refusal that is not the error body", "GET", "/api/v1/nothing", "", 404, jsonType, `not found`, false},
		{"a refusal that is not JSON", "GET", "/api/v1/nothing", "", 404, http.Header{"Content-Type": {"text/plain"}}, `{"error":{"code":"not_found","message":"no"}}`, false},
		{"an accepted request with an undescribed field", "PUT", "/api/v1/products/TEE-M", `{"name":"Tee","price":"1.00","currency":"USD","colour":"red"}`, 200, jsonType, string(good), false},
		{"an accepted request as described", "PUT", "/api/v1/products/TEE-M", `{"name":"Tee","price":"1.00","currency":"USD"}`, 200, jsonType, string(good), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.reqBody))
			req.Header.Set("Authorization", "Bearer oms_test")
			req.Header.Set("Content-Type", "application/json")
			resp := &http.Response{StatusCode: tc.status, Header: tc.header, Request: req, Body: io.NopCloser(strings.NewReader(tc.body))}
			_, problems := c.check(req, resp, []byte(tc.body))
			if ok := len(problems) == 0; ok != tc.wantOK {
				t.Errorf("passed the check: %v, want %v; %s", ok, tc.wantOK, strings.Join(problems, "; "))
			}
		})
	}
}

// A test server flags a wrong answer to the test that got it, whoever made the request.
func TestOpenAPICheckFlagsTheTestServersAnswers(t *testing.T) {
	wrong := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"sku": 42}`)
	})
	rec := &errorRecorder{TB: t}
	srv := httptest.NewServer(checkedByOpenAPI(rec, wrong))
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/inventory/TEE-M", nil)
	req.Header.Set("Authorization", "Bearer oms_test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close() // waits for the handler, and so for the check
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "getInventory") || !strings.Contains(rec.errors[0], "got number, want string") {
		t.Errorf("the wrong answer was flagged as %q", rec.errors)
	}
}

// errorRecorder is a testing.TB that keeps the errors reported to it instead of failing.
type errorRecorder struct {
	testing.TB
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// openAPICoverage says which operations and statuses the run's answers exercised, for the
// line TestMain prints (the list of those never exercised only with -v).
func openAPICoverage() (covered, total int, missing []string) {
	c, err := loadOpenAPIChecker()
	if err != nil {
		return 0, 0, nil
	}
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			total++
			if _, ok := openAPISeen.Load(op.OperationId); ok {
				covered++
			} else {
				missing = append(missing, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(missing)
	return covered, total, missing
}
