// Package domain holds the OMS's rules: statuses and the transition table, money and
// totals, validation, and the error codes every layer speaks. It imports no DB and no HTTP.
package domain

import (
	"errors"
	"fmt"
)

// Error codes: the stable, snake_case values of the API's error.code.
const (
	CodeBadRequest                 = "bad_request"
	CodeUnauthorized               = "unauthorized"
	CodeForbidden                  = "forbidden"
	CodeNotFound                   = "not_found"
	CodeInvalidTransition          = "invalid_transition"
	CodeOutOfStock                 = "out_of_stock"
	CodeIdempotencyKeyReused       = "idempotency_key_reused"
	CodeIdempotencyKeyInUse        = "idempotency_key_in_use"
	CodeIdempotencyKeyAnswerLost   = "idempotency_key_answer_lost"
	CodeAlreadyProcessed           = "already_processed"
	CodeConflict                   = "conflict"
	CodeInventoryBelowReserved     = "inventory_below_reserved"
	CodeTooLarge                   = "too_large"
	CodeValidationFailed           = "validation_failed"
	CodeRefundExceedsPaid          = "refund_exceeds_paid"
	CodePaymentExceedsOutstanding  = "payment_exceeds_outstanding"
	CodeQuantityExceedsFulfillable = "quantity_exceeds_fulfillable"
	CodeQuantityExceedsReturnable  = "quantity_exceeds_returnable"
	CodeReturnNotAllowed           = "return_not_allowed"
	CodeProductUnavailable         = "product_unavailable"
	CodeCouponInvalid              = "coupon_invalid"
	CodeOnHold                     = "on_hold"
	CodePreconditionFailed         = "precondition_failed"
	CodeRateLimited                = "rate_limited"
	CodeUnavailable                = "unavailable"
	CodeInternal                   = "internal"
)

// Error is a failure the caller can act on. Fields names the offending inputs
// (JSON paths such as "items[0].quantity") with a message for each; Lines repeats the
// messages about an order's lines under each line's id, for forms that show one input
// per line and know nothing of the request's indexes.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	Lines   map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's domain error, or CodeInternal when it has none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// NotFound is the error for an unknown id; what names the kind of thing ("order").
func NotFound(what string) *Error {
	return Errorf(CodeNotFound, "%s not found", what)
}

// FieldErrors collects per-field validation messages; the first message for a field wins.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns a validation_failed error carrying the fields, or nil when there are none.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeValidationFailed, Message: "the request has invalid fields", Fields: f}
}

// LineErrors collects messages about the lines of a request under both names: the JSON
// path of the request's line ("items[2].quantity") and the order line's id.
type LineErrors struct {
	Fields FieldErrors
	Lines  map[string]string
}

// Add records msg for field of the request's line i, which is order line lineID ("" when
// the request names no valid line).
func (l *LineErrors) Add(i int, lineID, field, msg string) {
	if l.Fields == nil {
		l.Fields = FieldErrors{}
	}
	if l.Lines == nil {
		l.Lines = map[string]string{}
	}
	l.Fields.Add(fmt.Sprintf("items[%d].%s", i, field), msg)
	if _, ok := l.Lines[lineID]; lineID != "" && !ok {
		l.Lines[lineID] = msg
	}
}

// Err returns an error with code and message carrying the lines, or nil when there are none.
func (l LineErrors) Err(code, message string) error {
	if len(l.Fields) == 0 {
		return nil
	}
	return &Error{Code: code, Message: message, Fields: l.Fields, Lines: l.Lines}
}
