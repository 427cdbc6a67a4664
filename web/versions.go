package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// Order versions (domain/versions.go) as HTTP says them: every answer about one order
// carries its version as ETag: "<version>"; a write to one order may send it back in
// If-Match, and is then made only if the order is still at that version (412
// precondition_failed with the order as it is, otherwise). Back-office forms carry the
// version they were drawn from in a hidden input to the same end (page_versions.go).

// setETag says which version of the order an answer is about.
func setETag(c echo.Context, version int64) {
	c.Response().Header().Set("ETag", strconv.Quote(strconv.FormatInt(version, 10)))
}

// writeOrder is the one place an answer carrying one order is written.
func writeOrder(c echo.Context, status int, o domain.Order) error {
	setETag(c, o.Version)
	return c.JSON(status, toOrderJSON(o))
}

// staleBody is the answer to a write refused by its precondition: the error and the
// order as it is now.
type staleBody struct {
	Error errorDetail `json:"error"`
	Order orderJSON   `json:"order"`
}

// writesOneOrder tells the API's writes to one order: the order's own routes and those of
// its fulfillments and returns. (Other writes, bulk ones among them, ignore If-Match.)
func writesOneOrder(c echo.Context) bool {
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead:
		return false
	}
	for _, prefix := range []string{"/api/v1/orders/:id", "/api/v1/fulfillments/:id", "/api/v1/returns/:id"} {
		if strings.HasPrefix(c.Path(), prefix) {
			return true
		}
	}
	return false
}

// ifMatch makes a write to one order that carries If-Match conditional on the order's
// version; the service checks it under the order's lock.
func ifMatch(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		values, ok := c.Request().Header["If-Match"]
		if !ok || !writesOneOrder(c) {
			return next(c)
		}
		p, anyVersion, err := parseIfMatch(strings.Join(values, ","))
		if err != nil {
			return err
		}
		if !anyVersion {
			c.SetRequest(c.Request().WithContext(service.IfMatch(c.Request().Context(), p)))
		}
		return next(c)
	}
}

// parseIfMatch reads an If-Match header: "*" (any version), or a list of entity tags
// such as "3" or W/"3" (weak: never matches, the version of an order is exact). Anything
// else is bad_request.
func parseIfMatch(h string) (p domain.Precondition, anyVersion bool, err error) {
	if strings.TrimSpace(h) == "*" {
		return p, true, nil
	}
	bad := domain.Errorf(domain.CodeBadRequest, `If-Match must be the order's ETag, such as "3"`)
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		weak := strings.HasPrefix(tag, "W/")
		v, ok := versionTag(strings.TrimPrefix(tag, "W/"))
		if !ok {
			return p, false, bad
		}
		if !weak {
			p.Versions = append(p.Versions, v)
		}
	}
	return p, false, nil
}

// versionTag reads a quoted version: "3".
func versionTag(tag string) (int64, bool) {
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	return versionNumber(tag[1 : len(tag)-1])
}

// versionNumber reads a version: digits only.
func versionNumber(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
