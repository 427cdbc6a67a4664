package domain

import "testing"

func TestLineErrorsNameLinesByPathAndByID(t *testing.T) {
	var le LineErrors
	if le.Err(CodeValidationFailed, "x") != nil {
		t.Fatal("no lines: want no error")
	}
	le.Add(2, "line-b", "quantity", "must be at least 1")
	le.Add(2, "line-b", "order_item_id", "appears more than once")
	le.Add(0, "", "order_item_id", "is required")
	err := le.Err(CodeQuantityExceedsFulfillable, "too many")
	de, ok := err.(*Error)
	if !ok || de.Code != CodeQuantityExceedsFulfillable || de.Message != "too many" {
		t.Fatalf("err = %v", err)
	}
	want := map[string]string{"items[2].quantity": "must be at least 1", "items[2].order_item_id": "appears more than once",
		"items[0].order_item_id": "is required"}
	for k, v := range want {
		if de.Fields[k] != v {
			t.Errorf("Fields[%q] = %q, want %q", k, de.Fields[k], v)
		}
	}
	if len(de.Lines) != 1 || de.Lines["line-b"] != "must be at least 1" {
		t.Errorf("Lines = %v: want the first message of line-b only", de.Lines)
	}
}
