package service

import (
	"context"
	"errors"
	"io"
)

// LoadDemo loads demo data. (Being written.)
func (s *Service) LoadDemo(ctx context.Context, out io.Writer) error {
	return errors.New("demo: not written yet")
}
