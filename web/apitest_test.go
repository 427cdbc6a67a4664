package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
	"github.com/oms/oms/internal/testdb"
)

// apiEnv is a running OMS over a fresh database with an API token, for contract tests.
type apiEnv struct {
	t     testing.TB
	srv   *httptest.Server
	svc   *service.Service
	pool  *pgxpool.Pool
	token string
}

func newAPIEnv(t testing.TB) *apiEnv {
	t.Helper()
	pool := testdb.New(t)
	svc := service.New(pool, service.Config{})
	s := New(Config{ShopName: "Test Shop"}, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := newTestServer(t, s.Handler())
	_, token, err := svc.CreateToken(context.Background(), "test")
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return &apiEnv{t: t, srv: srv, svc: svc, pool: pool, token: token}
}

// apiResponse is a decoded answer; Body is the raw bytes.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r apiResponse) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns error.code of an error body ("" when there is none).
func (r apiResponse) ErrorCode() string {
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// do sends a request with the env's token; body is marshalled unless it is a string or []byte.
func (e *apiEnv) do(method, path string, body any, headers ...string) apiResponse {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// must sends a request and fails the test unless the status is want.
func (e *apiEnv) must(want int, method, path string, body any, headers ...string) apiResponse {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %.500s", method, path, r.Status, want, r.Body)
	}
	return r
}

// product creates a USD product with stock.
func (e *apiEnv) product(sku, price string, onHand int) {
	e.t.Helper()
	e.must(http.StatusCreated, "PUT", "/api/v1/products/"+sku, map[string]any{"name": "Product " + sku, "price": price, "currency": "USD", "active": true})
	e.must(http.StatusOK, "PUT", "/api/v1/inventory/"+sku, map[string]any{"on_hand": onHand})
}

// inventory reads a SKU's stock.
func (e *apiEnv) inventory(sku string) domain.Inventory {
	e.t.Helper()
	inv, err := e.svc.GetInventory(context.Background(), sku)
	if err != nil {
		e.t.Fatalf("inventory %s: %v", sku, err)
	}
	return inv
}

// orderBody is a valid order request for the given SKU quantities (sku, qty, sku, qty...).
func orderBody(email string, skuQty ...any) map[string]any {
	items := []map[string]any{}
	for i := 0; i+1 < len(skuQty); i += 2 {
		items = append(items, map[string]any{"sku": skuQty[i], "quantity": skuQty[i+1]})
	}
	return map[string]any{
		"customer": map[string]any{"email": email, "name": "Ann Lee", "phone": "+15550100"},
		"shipping_address": map[string]any{"first_name": "Ann", "last_name": "Lee", "address1": "1 Main St",
			"city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
		"items": items,
	}
}

// createOrder creates an order and returns it decoded.
func (e *apiEnv) createOrder(body any, headers ...string) orderJSON {
	e.t.Helper()
	var o orderJSON
	e.must(http.StatusCreated, "POST", "/api/v1/orders", body, headers...).JSON(e.t, &o)
	return o
}

// count returns SELECT count(*) FROM table.
func (e *apiEnv) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	return n
}
