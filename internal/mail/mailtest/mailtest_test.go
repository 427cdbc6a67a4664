package mailtest

import (
	"net/smtp"
	"strings"
	"testing"
	"time"
)

// A message as another mailer would write it: base64 and quoted-printable parts inside
// multipart/mixed, an attachment, an encoded subject.
const handWritten = "From: =?utf-8?q?Boutique_Zo=C3=AB?= <zoe@example.com>\r\n" +
	"To: bob@example.com\r\n" +
	"Subject: =?utf-8?b?R3LDvMOfZSDinJM=?=\r\n" +
	"Message-ID: <hand-1@example.com>\r\n" +
	"X-OMS-Order: 7\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"R3LDvMOfZSwKemVpbGUgendlaQo=\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"<p>Gr=C3=BC=C3=9Fe a=3Db, a long line broken by a soft=\r\n" +
	" break</p>\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Disposition: attachment; filename=x.txt\r\n" +
	"\r\n" +
	"not the text\r\n" +
	"--outer--\r\n"

func TestParse(t *testing.T) {
	srv := Start(t)
	if err := smtp.SendMail(srv.Addr(), nil, "zoe@example.com", []string{"bob@example.com", "ann@example.com"}, []byte(handWritten)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	got := srv.WaitFor(t, 1, 5*time.Second)[0]
	if got.ParseErr != nil {
		t.Fatalf("ParseErr: %v", got.ParseErr)
	}
	for what, pair := range map[string][2]string{
		"From":        {got.From, "zoe@example.com"},
		"To":          {strings.Join(got.To, ","), "bob@example.com,ann@example.com"},
		"Subject":     {got.Subject, "Grüße ✓"},
		"MessageID":   {got.MessageID, "<hand-1@example.com>"},
		"From header": {got.Headers.Get("From"), "Boutique Zoë <zoe@example.com>"},
		"X-OMS-Order": {got.Headers.Get("X-Oms-Order"), "7"},
		"Text":        {got.Text, "Grüße,\nzeile zwei\n"},
		"HTML":        {got.HTML, "<p>Grüße a=b, a long line broken by a soft break</p>"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %q, want %q", what, pair[0], pair[1])
		}
	}
}

func TestFailNextStopRestart(t *testing.T) {
	srv := Start(t)
	url := srv.URL()
	msg := []byte("Subject: hi\r\n\r\nhello\r\n")
	sendMail := func() error {
		return smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, msg)
	}

	srv.FailNext(2, 451)
	for i := 0; i < 2; i++ {
		if err := sendMail(); err == nil || !strings.HasPrefix(err.Error(), "451") {
			t.Fatalf("attempt %d: %v, want 451", i, err)
		}
	}
	if err := sendMail(); err != nil {
		t.Fatalf("third attempt: %v", err)
	}

	srv.Stop()
	srv.Stop() // twice: nothing
	if err := sendMail(); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("while stopped: %v, want connection refused", err)
	}
	srv.Restart()
	if srv.URL() != url {
		t.Fatalf("URL %q after Restart, was %q", srv.URL(), url)
	}
	if err := sendMail(); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
	got := srv.WaitFor(t, 2, 5*time.Second)
	if len(got) != 2 || got[0].Text != "hello\n" || got[1].Subject != "hi" {
		t.Fatalf("messages: %+v", got)
	}
}

func TestURL(t *testing.T) {
	srv := Start(t, WithAuth("shop@example.com", "p@ss word"), WithImplicitTLS())
	want := "smtps://shop%40example.com:p%40ss%20word@" + srv.Addr()
	if srv.URL() != want {
		t.Errorf("URL = %q, want %q", srv.URL(), want)
	}
	if srv.ClientTLSConfig() == nil || Start(t).ClientTLSConfig() != nil {
		t.Error("ClientTLSConfig: want one with TLS only")
	}
}
