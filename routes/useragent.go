package routes

import "strings"

// clientSummary is a short name for the browser and system a User-Agent
// names, such as "Firefox on Linux", for the list of logins. It looks for
// a few well-known tokens in the order that tells them apart (Edge and
// Chrome both say Safari; Chrome says Safari too), and falls back to the
// first product token, so a script shows as "curl" or "Go-http-client".
func clientSummary(ua string) string {
	if ua == "" {
		return "Unknown client"
	}
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chromium/", "Chromium"}, {"Chrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	}
	product, _, _ := strings.Cut(ua, "/")
	product, _, _ = strings.Cut(product, " ")
	if product == "" || len(product) > 40 {
		return "Unknown client"
	}
	if system != "" {
		return product + " on " + system
	}
	return product
}
