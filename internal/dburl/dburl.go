// Package dburl rewrites PostgreSQL connection strings, in either of their forms
// (postgres:// URLs and key=value lists).
package dburl

import (
	"fmt"
	"net/url"
	"strings"
)

// WithDatabase swaps the database name in a connection string.
func WithDatabase(connString, db string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse database url: %w", err)
		}
		u.Path = "/" + db
		return u.String(), nil
	}
	var kept []string
	for _, f := range strings.Fields(connString) {
		if !strings.HasPrefix(f, "dbname=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(append(kept, "dbname="+db), " "), nil
}
