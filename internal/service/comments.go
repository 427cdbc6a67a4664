package service

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/oms/oms/internal/domain"
	"github.com/oms/oms/queries"
)

// MaxComment is the length limit of a staff comment.
const MaxComment = 2000

// AddComment records a staff comment in an order's history (kind "comment"), with the
// order row locked so that it takes its place among concurrent changes.
func (s *Service) AddComment(ctx context.Context, actor domain.Actor, idOrNumber, text string) (domain.HistoryEntry, error) {
	text = strings.TrimSpace(text)
	fe := domain.FieldErrors{}
	switch {
	case text == "":
		fe.Add("comment", "is empty: write something first")
	case len([]rune(text)) > MaxComment:
		fe.Add("comment", "must be at most 2000 characters")
	default:
		domain.ValidateNote(fe, "comment", text)
	}
	if err := fe.Err(); err != nil {
		return domain.HistoryEntry{}, err
	}
	err := s.inTx(ctx, func(_ pgx.Tx, q *queries.Queries) error {
		row, err := lockOrder(ctx, q, idOrNumber)
		if err != nil {
			return err
		}
		return addHistory(ctx, q, row, domain.HistoryComment, "", text, actor)
	})
	if err != nil {
		return domain.HistoryEntry{}, err
	}
	return domain.HistoryEntry{Kind: domain.HistoryComment, Note: text, Actor: actor.Name, ActorType: actor.Type, At: s.now()}, nil
}
