package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/internal/service"
)

// statusOf is the one mapping from domain error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case domain.CodeBadRequest:
		return http.StatusBadRequest
	case domain.CodeUnauthorized:
		return http.StatusUnauthorized
	case domain.CodeForbidden:
		return http.StatusForbidden
	case domain.CodeNotFound:
		return http.StatusNotFound
	case domain.CodeInvalidTransition, domain.CodeOutOfStock, domain.CodeIdempotencyKeyReused, domain.CodeIdempotencyKeyInUse, domain.CodeIdempotencyKeyAnswerLost,
		domain.CodeAlreadyProcessed, domain.CodeConflict, domain.CodeInventoryBelowReserved, domain.CodeOnHold:
		return http.StatusConflict
	case domain.CodePreconditionFailed:
		return http.StatusPreconditionFailed
	case domain.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case domain.CodeRateLimited:
		return http.StatusTooManyRequests
	case domain.CodeUnavailable:
		return http.StatusServiceUnavailable
	case domain.CodeInternal:
		return http.StatusInternalServerError
	default: // validation_failed and the other rule violations
		return http.StatusUnprocessableEntity
	}
}

// errorBody is the API's error shape: {"error": {"code", "message", "fields"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// toDomainError turns any error into a domain error; anything unexpected becomes internal
// and is logged with the request id, never shown.
func (s *Server) toDomainError(c echo.Context, err error) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return domain.Errorf(domain.CodeNotFound, "no such page or endpoint")
		case http.StatusMethodNotAllowed:
			return domain.Errorf(domain.CodeNotFound, "method not allowed here")
		case http.StatusRequestEntityTooLarge:
			return domain.Errorf(domain.CodeTooLarge, "request body is larger than 1 MiB")
		case http.StatusTooManyRequests:
			return domain.Errorf(domain.CodeRateLimited, "too many requests, slow down")
		case http.StatusForbidden:
			return domain.Errorf(domain.CodeForbidden, "forbidden")
		case http.StatusBadRequest:
			return domain.Errorf(domain.CodeBadRequest, "bad request")
		case http.StatusUnauthorized:
			return domain.Errorf(domain.CodeUnauthorized, "unauthorized")
		}
	}
	if service.DatabaseDown(err) {
		return domain.Errorf(domain.CodeUnavailable, "the database is unavailable; try again in a moment")
	}
	s.log.Error("internal error", slog.String("request_id", requestID(c)), slog.String("path", c.Path()), slog.Any("err", err))
	return domain.Errorf(domain.CodeInternal, "internal error (request %s)", requestID(c))
}

// handleError is echo's error handler: JSON for the API, an error page for browsers.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	de := s.toDomainError(c, err)
	status := statusOf(de.Code)
	if isAPI(c) {
		detail := errorDetail{Code: de.Code, Message: de.Message, Fields: de.Fields}
		var stale *domain.StaleError
		if errors.As(err, &stale) {
			setETag(c, stale.Order.Version)
			_ = c.JSON(status, staleBody{Error: detail, Order: toOrderJSON(stale.Order)})
			return
		}
		_ = c.JSON(status, errorBody{Error: detail})
		return
	}
	if s.renderErrorPage != nil {
		s.renderErrorPage(c, status, de)
		return
	}
	_ = c.String(status, de.Message)
}

// isAPI tells JSON clients from browsers by path.
func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/webhooks/")
}
