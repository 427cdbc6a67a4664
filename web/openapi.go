package web

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is the API's description, openapi.json beside this file: written by
// hand, so that it reads as documentation, and kept true by the tests, which check every
// answer they receive against it (openapi_check_test.go).
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI is GET /api/v1/openapi.json: the document as is, to anyone, since tools read it
// before they have a token.
func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
