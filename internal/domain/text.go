package domain

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validateText checks a free-text field: valid UTF-8, no control characters other than
// newlines and tabs, at most max characters, and present when required.
func validateText(fe FieldErrors, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		fe.Add(field, "is required")
	case !utf8.ValidString(s):
		fe.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		fe.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }):
		fe.Add(field, "must not contain control characters")
	}
}

// MaxNote is the length limit of notes, reasons and comments.
const MaxNote = 5000

// ValidateNote checks an optional free-text note, reason or comment.
func ValidateNote(fe FieldErrors, field, s string) { validateText(fe, field, s, MaxNote, false) }

// CheckNote is ValidateNote for a use case whose only input to check is the note.
func CheckNote(field, s string) error {
	fe := FieldErrors{}
	ValidateNote(fe, field, s)
	return fe.Err()
}

// MaxName is the length limit of names, address lines and other short text.
const MaxName = 255

// ValidateName checks a required short text such as a name.
func ValidateName(fe FieldErrors, field, s string) { validateText(fe, field, s, MaxName, true) }
