package linkback_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

func ExampleFindPingback() {
	page := []byte(`<html><head>
<!-- <link rel="pingback" href="https://old.example/xmlrpc.php"> -->
<LINK HREF='../xmlrpc.php?a=1&amp;b=2' REL='pingback'>
</head></html>`)
	base, _ := url.Parse("https://blog.example/2024/post/")
	endpoint, ok := linkback.FindPingback(page, base)
	fmt.Println(endpoint, ok)
	// Output: https://blog.example/2024/xmlrpc.php?a=1&b=2 true
}

func ExampleClassify() {
	for _, err := range []error{
		nil,
		&linkback.FaultError{Code: 48, Message: "The pingback has already been registered."},
		&linkback.FaultError{Code: 17},
		&linkback.FaultError{Code: 0},
		&linkback.HTTPError{URL: "https://t.example/xmlrpc.php", StatusCode: 429},
		&linkback.HTTPError{URL: "https://t.example/xmlrpc.php", StatusCode: 502},
	} {
		fmt.Printf("%-9s %s\n", linkback.Classify(err), linkback.Explain(err))
	}
	// Output:
	// done      done
	// done      already registered (fault 48)
	// permanent receiver says the source has no link to the target (fault 17)
	// retry-few receiver refused without giving a reason (fault 0; WordPress answers 0 for every failure)
	// backoff   https://t.example/xmlrpc.php answered HTTP 429 Too Many Requests
	// retry     https://t.example/xmlrpc.php answered HTTP 502 Bad Gateway
}

// A whole pingback: discover the target's server, notify it, classify the
// answer. The receiver here is a stand-in on loopback, hence AllowPrivate.
func ExampleClient_Pingback() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet { // the target page
			w.Header().Set("X-Pingback", "http://"+r.Host+"/xmlrpc.php")
			return
		}
		call, _ := io.ReadAll(r.Body)
		if strings.Contains(string(call), "/already/") {
			io.WriteString(w, `<methodResponse><fault><value><struct>
<member><name>faultCode</name><value><int>48</int></value></member>
<member><name>faultString</name><value>already registered</value></member>
</struct></value></fault></methodResponse>`)
			return
		}
		io.WriteString(w, `<methodResponse><params><param><value>Thanks!</value></param></params></methodResponse>`)
	}))
	defer receiver.Close()

	c := linkback.NewClient(linkback.ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	ctx := context.Background()
	target := receiver.URL + "/2024/post/"
	ep, err := c.Discover(ctx, target, []string{"webmention", "pingback"})
	if err != nil {
		fmt.Println(linkback.Explain(err))
		return
	}
	protocol, endpoint, err := ep.Choose([]string{"webmention", "pingback"})
	if errors.Is(err, linkback.ErrNoEndpoint) {
		fmt.Println(linkback.Explain(err))
		return
	}
	fmt.Println(protocol, strings.TrimPrefix(endpoint, receiver.URL))
	for _, source := range []string{"https://me.example/new/", "https://me.example/already/"} {
		res, err := c.Pingback(ctx, endpoint, source, target)
		fmt.Printf("%s: %s (%q)\n", linkback.Classify(err), linkback.Explain(err), res.Answer)
	}
	// Output:
	// pingback /xmlrpc.php
	// done: done ("Thanks!")
	// done: already registered (fault 48) ("already registered")
}
