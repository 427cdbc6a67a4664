package web

// The order list's query string: one view, one URL.

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oms/oms/internal/domain"
)

func pageSizeOf(q url.Values) int {
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		return n
	}
	return domain.DefaultPageSize
}

func splitCursors(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ".") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// canonicalQuery drops empty values (the untouched fields of a submitted filter form)
// and joins repeated filters with commas, so one view has one URL.
func canonicalQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		if k == "_csrf" {
			continue
		}
		if slices.Contains([]string{"status", "payment_status", "fulfillment_status", "ids", "columns"}, k) {
			if m := multi(q, k); len(m) > 0 {
				out.Set(k, strings.Join(m, ","))
			}
			continue
		}
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				out.Set(k, v)
				break
			}
		}
	}
	return out
}

func sameQuery(a, b url.Values) bool { return a.Encode() == b.Encode() }

func queryString(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func withoutKeys(q url.Values, keys ...string) url.Values {
	out := cloneValues(q)
	for _, k := range keys {
		out.Del(k)
	}
	return out
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, vs := range q {
		out[k] = slices.Clone(vs)
	}
	return out
}

func valueSet(q url.Values, key string) map[string]bool {
	m := map[string]bool{}
	for _, v := range multi(q, key) {
		m[v] = true
	}
	return m
}
