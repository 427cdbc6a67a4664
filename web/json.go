package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// readBody reads the request body, refusing more than maxBody bytes (413).
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, domain.Errorf(domain.CodeTooLarge, "request body is larger than 1 MiB")
		}
		return nil, domain.Errorf(domain.CodeBadRequest, "could not read the request body")
	}
	return body, nil
}

// decodeJSON strictly decodes body into v: one JSON value, no unknown fields, right
// types. Its errors name the offending field (400 bad_request).
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return domain.Errorf(domain.CodeBadRequest, "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return domain.Errorf(domain.CodeBadRequest, "the request body must hold a single JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.Errorf(domain.CodeBadRequest, "unexpected data after the JSON object")
	}
	return badValue(v)
}

// bind reads and strictly decodes the request body into v.
func bind(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return domain.Errorf(domain.CodeBadRequest, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		field := apiFieldPath(typ.Field)
		if field == "" {
			return domain.Errorf(domain.CodeBadRequest, "the request body must be a JSON object")
		}
		want := jsonKind(typ.Type.Kind().String())
		return &domain.Error{Code: domain.CodeBadRequest, Message: fmt.Sprintf("%s must be %s", field, want),
			Fields: map[string]string{field: "must be " + want}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.CodeBadRequest, "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &domain.Error{Code: domain.CodeBadRequest, Message: "unknown field " + field,
			Fields: map[string]string{field: "is not a known field"}}
	default:
		var de *domain.Error
		if errors.As(err, &de) {
			return de
		}
		return domain.Errorf(domain.CodeBadRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// apiFieldPath writes encoding/json's field path (items.0.quantity) as the API names
// fields (items[0].quantity).
func apiFieldPath(field string) string {
	parts := strings.Split(field, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	default:
		return "of another type"
	}
}

// jsonSerializer writes a JSON answer in one piece with its Content-Length, encoded into
// a reused buffer: a page of 50 orders is a few hundred kilobytes, which echo's default
// would write in 4 KiB chunks as it encodes.
type jsonSerializer struct{ echo.DefaultJSONSerializer }

var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON: larger buffers (an unusual answer) are left to the collector.
const maxPooledJSON = 4 << 20

func (jsonSerializer) Serialize(c echo.Context, v any, indent string) error {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledJSON {
			jsonBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	_, err := c.Response().Write(buf.Bytes())
	return err
}

// notifyCtx is the request's context, made quiet (service.Quietly: no customer email)
// when the body says "notify_customer": false; absent, the customer is told.
func notifyCtx(c echo.Context, notify *bool) context.Context {
	if notify != nil && !*notify {
		return service.Quietly(c.Request().Context())
	}
	return c.Request().Context()
}
