package dburl

import "testing"

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u@h:5432/old?sslmode=disable", "postgres://u@h:5432/new?sslmode=disable"},
		{"postgresql://u@h/", "postgresql://u@h/new"},
		{"host=h user=u dbname=old sslmode=disable", "host=h user=u sslmode=disable dbname=new"},
		{"host=h", "host=h dbname=new"},
	} {
		got, err := WithDatabase(tc.in, "new")
		if err != nil || got != tc.want {
			t.Errorf("WithDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
