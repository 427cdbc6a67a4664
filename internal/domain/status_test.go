package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oms/oms/internal/domain"
)

// allStatuses is written out here, independently of domain.Statuses, so a status
// dropped from the code's list is noticed.
var allStatuses = []domain.Status{
	"created", "pending", "paid", "processing", "shipped",
	"delivered", "returned", "refunded", "cancelled",
}

// contractNext is the status workflow of API.md section 2, copied by hand (not derived
// from the code's table), the natural next step first.
var contractNext = map[domain.Status][]domain.Status{
	"created":    {"pending", "cancelled"},
	"pending":    {"paid", "cancelled"},
	"paid":       {"processing", "cancelled"},
	"processing": {"shipped", "cancelled"},
	"shipped":    {"delivered"},
	"delivered":  {"returned"},
	"returned":   {"refunded"},
	"cancelled":  nil,
	"refunded":   nil,
}

func TestStatusesListsEveryStatusOnce(t *testing.T) {
	if len(domain.Statuses) != len(allStatuses) {
		t.Fatalf("domain.Statuses has %d entries, want %d: %v", len(domain.Statuses), len(allStatuses), domain.Statuses)
	}
	for _, s := range allStatuses {
		if n := countOf(domain.Statuses, s); n != 1 {
			t.Errorf("domain.Statuses contains %q %d times, want once", s, n)
		}
		if !s.Valid() {
			t.Errorf("%q.Valid() = false, want true", s)
		}
	}
	for _, s := range []domain.Status{"", "Created", "PAID", "shipping", "canceled", "unknown"} {
		if s.Valid() {
			t.Errorf("%q.Valid() = true, want false", s)
		}
	}
}

func countOf(ss []domain.Status, s domain.Status) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// TestTransitionsAllowExactlyTheContractTable checks all 9 x 9 = 81 (from, to) pairs.
func TestTransitionsAllowExactlyTheContractTable(t *testing.T) {
	pairs := 0
	for _, from := range allStatuses {
		for _, to := range allStatuses {
			pairs++
			want := slices.Contains(contractNext[from], to)
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				if got := domain.CanTransition(from, to); got != want {
					t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
				}
				err := domain.CheckTransition(from, to)
				if want {
					if err != nil {
						t.Errorf("CheckTransition(%s, %s) = %v, want nil", from, to, err)
					}
					return
				}
				de := requireDomainError(t, err)
				if de.Code != domain.CodeInvalidTransition {
					t.Errorf("CheckTransition(%s, %s) code = %q, want %q", from, to, de.Code, domain.CodeInvalidTransition)
				}
				if !strings.Contains(de.Message, string(from)) || !strings.Contains(de.Message, string(to)) {
					t.Errorf("message %q should name both %s and %s", de.Message, from, to)
				}
				if got := domain.ErrorCode(err); got != domain.CodeInvalidTransition {
					t.Errorf("ErrorCode = %q, want %q", got, domain.CodeInvalidTransition)
				}
			})
		}
	}
	if pairs != 81 {
		t.Fatalf("checked %d pairs, want 81", pairs)
	}
}

func TestRefusedTransitionNamesAllowedNextStates(t *testing.T) {
	tests := []struct {
		name        string
		from, to    domain.Status
		mustNameAll []string // each must appear after "allowed next"
		mustNot     []string
	}{
		{"created cannot skip to paid", "created", "paid", []string{"pending", "cancelled"}, []string{"processing"}},
		{"pending cannot go back to created", "pending", "created", []string{"paid", "cancelled"}, []string{"shipped"}},
		{"paid cannot skip to shipped", "paid", "shipped", []string{"processing", "cancelled"}, []string{"delivered"}},
		{"processing cannot skip to delivered", "processing", "delivered", []string{"shipped", "cancelled"}, []string{"returned"}},
		{"shipped cannot be cancelled", "shipped", "cancelled", []string{"delivered"}, []string{"returned", "refunded"}},
		{"delivered cannot be refunded directly", "delivered", "refunded", []string{"returned"}, []string{"cancelled"}},
		{"returned cannot go back to delivered", "returned", "delivered", []string{"refunded"}, []string{"cancelled"}},
		{"cancelled is final", "cancelled", "pending", []string{"final"}, []string{"paid", "processing"}},
		{"refunded is final", "refunded", "returned", []string{"final"}, []string{"delivered", "cancelled"}},
		{"same status is not a transition", "paid", "paid", []string{"processing", "cancelled"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			de := requireDomainError(t, domain.CheckTransition(tt.from, tt.to))
			if de.Code != domain.CodeInvalidTransition {
				t.Fatalf("code = %q, want %q (message %q)", de.Code, domain.CodeInvalidTransition, de.Message)
			}
			i := strings.Index(de.Message, "allowed next")
			if i < 0 {
				t.Fatalf("message %q does not say what is allowed next", de.Message)
			}
			allowed := de.Message[i:]
			for _, s := range tt.mustNameAll {
				if !strings.Contains(allowed, s) {
					t.Errorf("allowed part %q should name %q", allowed, s)
				}
			}
			for _, s := range tt.mustNot {
				if strings.Contains(allowed, s) {
					t.Errorf("allowed part %q should not name %q", allowed, s)
				}
			}
		})
	}
}

func TestTransitionToUnknownStatusIsValidationFailed(t *testing.T) {
	for _, to := range []domain.Status{"", "shipping", "canceled", "PAID", "archived"} {
		t.Run("to "+string(to), func(t *testing.T) {
			if domain.CanTransition("created", to) {
				t.Errorf("CanTransition(created, %q) = true", to)
			}
			de := requireDomainError(t, domain.CheckTransition("created", to))
			if de.Code != domain.CodeValidationFailed {
				t.Errorf("code = %q, want %q", de.Code, domain.CodeValidationFailed)
			}
			if _, ok := de.Fields["status"]; !ok {
				t.Errorf("fields %v should name \"status\"", de.Fields)
			}
		})
	}
}

func TestNextListsContractStatesNaturalStepFirst(t *testing.T) {
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			got := s.Next()
			if !slices.Equal(got, contractNext[s]) {
				t.Errorf("%s.Next() = %v, want %v", s, got, contractNext[s])
			}
		})
	}
	t.Run("returns a copy", func(t *testing.T) {
		next := domain.StatusCreated.Next()
		next[0] = "refunded"
		if got := domain.StatusCreated.Next(); got[0] != domain.StatusPending {
			t.Errorf("mutating Next()'s result changed the table: created.Next() = %v", got)
		}
	})
	t.Run("unknown status has no next", func(t *testing.T) {
		if got := domain.Status("bogus").Next(); len(got) != 0 {
			t.Errorf("bogus.Next() = %v, want empty", got)
		}
	})
}

func TestFinalOnlyForCancelledAndRefunded(t *testing.T) {
	tests := []struct {
		status domain.Status
		final  bool
	}{
		{"created", false}, {"pending", false}, {"paid", false}, {"processing", false},
		{"shipped", false}, {"delivered", false}, {"returned", false},
		{"cancelled", true}, {"refunded", true},
		{"bogus", false}, {"", false},
	}
	for _, tt := range tests {
		if got := tt.status.Final(); got != tt.final {
			t.Errorf("%q.Final() = %v, want %v", tt.status, got, tt.final)
		}
	}
}

func TestPathToFollowsForwardPathOnly(t *testing.T) {
	tests := []struct {
		name     string
		from, to domain.Status
		want     []domain.Status // nil: unreachable along the forward path
	}{
		{"created to paid passes pending", "created", "paid", []domain.Status{"pending", "paid"}},
		{"paid to shipped passes processing", "paid", "shipped", []domain.Status{"processing", "shipped"}},
		{"one step", "pending", "paid", []domain.Status{"paid"}},
		{"created to refunded", "created", "refunded", []domain.Status{"pending", "paid", "processing", "shipped", "delivered", "returned", "refunded"}},
		{"shipped back to paid is unreachable", "shipped", "paid", nil},
		{"delivered back to created is unreachable", "delivered", "created", nil},
		{"from final cancelled", "cancelled", "pending", nil},
		{"from final refunded", "refunded", "created", nil},
		{"unknown target", "created", "bogus", nil},
		{"unknown source", "bogus", "paid", nil},
	}
	for _, from := range allStatuses {
		tests = append(tests, struct {
			name     string
			from, to domain.Status
			want     []domain.Status
		}{string(from) + " to cancelled is never a path", from, "cancelled", nil})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.PathTo(tt.from, tt.to)
			if tt.want == nil {
				if got != nil {
					t.Errorf("PathTo(%s, %s) = %v, want nil", tt.from, tt.to, got)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("PathTo(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
			// every step along the path must itself be an allowed transition
			cur := tt.from
			for _, s := range got {
				if !slices.Contains(contractNext[cur], s) {
					t.Errorf("path step %s -> %s is not in the contract table", cur, s)
				}
				cur = s
			}
		})
	}
	t.Run("same status is an empty path", func(t *testing.T) {
		if got := domain.PathTo("paid", "paid"); len(got) != 0 {
			t.Errorf("PathTo(paid, paid) = %v, want empty", got)
		}
	})
}

func requireDomainError(t *testing.T, err error) *domain.Error {
	t.Helper()
	if err == nil {
		t.Fatal("got nil error, want a *domain.Error")
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *domain.Error", err, err)
	}
	return de
}
