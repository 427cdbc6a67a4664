package main

import (
	"context"
	"io"

	"github.com/oms/oms/internal/service"
)

func demo(ctx context.Context, svc *service.Service, out io.Writer) error {
	return svc.LoadDemo(ctx, out)
}

func check(ctx context.Context, svc *service.Service, out io.Writer) error {
	return svc.Check(ctx, out)
}
