package mention

import "github.com/hugo-pingback/hugo-pingback/linkback"

// loopbackClient is the project's guarded client with the guard lifted for
// loopback test servers.
func loopbackClient() *linkback.Client {
	return linkback.NewClient(linkback.ClientOptions{AllowPrivate: true})
}
