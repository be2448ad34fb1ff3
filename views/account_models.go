package views

import "strconv"

// LoginRow is one login in the lists of the account pages, its times
// already in words.
type LoginRow struct {
	ID       string // opaque; what the End button sends
	Strategy Strategy
	Started  string
	Seen     string
	Expires  string
	Client   string // "Firefox on Linux"
	Address  string
	Current  bool // this browser's
}

// DevicesView is the list of the user's logins.
type DevicesView struct {
	Page
	Username string
	Notice   string
	Logins   []LoginRow
	// IdleStep is how far behind a session's last-seen time may lag, in
	// words.
	IdleStep string
}

// EverywhereView answers "Log out everywhere".
type EverywhereView struct {
	Page
	Ended []LoginRow
}

// PasswordView is the password change form, and its outcome.
type PasswordView struct {
	Page
	Username                 string
	MinPassword, MaxPassword int
	Error                    string // the whole attempt was refused (throttled)
	CurrentError             string
	PasswordError            string
	Changed                  bool
	Renewed                  string     // what this browser goes on with: "a new session token and a new JWT"
	Ended                    []LoginRow // the other logins the change ended
}

// count is n with the noun that fits it: "1 login", "2 logins".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
