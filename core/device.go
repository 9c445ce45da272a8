package core

import "strings"

// DeviceLabel derives a short, human label such as "Chrome on macOS" from a User-Agent, for
// "your devices" pages. It is a display hint, never a security signal: clients choose their
// User-Agent freely.
func DeviceLabel(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	browser := firstMatch(ua, []labelRule{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
		{"curl/", "curl"}, {"Go-http-client/", "Go HTTP client"}, {"okhttp/", "OkHttp"},
		{"python-requests/", "Python requests"}, {"PostmanRuntime/", "Postman"}, {"node", "Node.js"},
	})
	os := firstMatch(ua, []labelRule{
		{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	})
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return "Browser on " + os
	}
	return "Unknown device"
}

type labelRule struct{ token, label string }

func firstMatch(ua string, rules []labelRule) string {
	for _, r := range rules {
		if strings.Contains(ua, r.token) {
			return r.label
		}
	}
	return ""
}
