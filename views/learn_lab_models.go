package views

// LabView is /learn/lab: four experiments against this server, each with
// its form and, after the form was sent, the server's real answers.
type LabView struct {
	Page
	Steps []LearnStep
	// SessionIn and JWTIn say whether this browser is signed in under each
	// strategy; most experiments need one of them.
	SessionIn bool
	JWTIn     bool
	// Kept describes the copies this browser asked the server to keep;
	// nil when there are none.
	Kept   *LabKept
	Replay *LabReplay

	Tamper LabTamper
	Flip   *LabFlip
	Leak   LabLeak
	Guess  LabGuess
}

// SignedIn reports whether the browser is signed in under either strategy.
func (v LabView) SignedIn() bool { return v.SessionIn || v.JWTIn }

// LabKept is what the lab remembers for this browser.
type LabKept struct {
	Username string
	Session  bool // a copy of the session cookie is kept
	JWT      bool // a copy of the JWT cookie is kept
	Kept     string
	Expires  string // when the copies are forgotten, in words
}

// LabReplay is the answer to replaying the kept copies.
type LabReplay struct {
	Session *LabAnswer // nil when no session cookie was kept
	JWT     *LabAnswer
}

// LabAnswer is one strategy's answer to a credential the lab presented,
// and the line of authlab's code that gave it.
type LabAnswer struct {
	Strategy string // "session" or "jwt"
	Name     string // the strategy's name
	SignedIn bool
	Username string
	Reason   string // the API's reason code when not signed in
	Check    string // which check decided, in words
	Code     LabCode
}

// LabCode is one line of authlab's source and the walkthrough's code panel
// that quotes it.
type LabCode struct {
	Href string // the code panel, e.g. /learn/4#code-Tokens-Verify
	Name string // the declaration, e.g. Tokens.Verify
	File string
	Line int    // 0 when the line could not be found in the quoted source
	Text string // the line itself, trimmed
}

// LabTamper is the tamper form and, once sent, what the verifier said.
type LabTamper struct {
	Available bool // the browser holds a valid JWT to start from
	Header    string
	Claims    string
	Result    *LabTamperResult
}

// LabTamperResult is the verifier's answer to an edited token.
type LabTamperResult struct {
	Sent      string // header.payload as sent, base64url
	Signature string // which signature went with it, in words
	Changed   []string
	Answer    LabAnswer
	Why       string
}

// LabFlip is the answer to a session cookie with one character changed.
type LabFlip struct {
	Position int // 1-based
	From, To string
	Answer   LabAnswer
	Why      string
}

// LabLeak is what a copy of the database holds for this browser.
type LabLeak struct {
	// SessionKey is the SHA-256 (hex) of this browser's session token, the
	// key of its row; "" when not signed in with a session.
	SessionKey string
	// HashAnswer is the session check's answer to the hash presented as
	// a cookie.
	HashAnswer *LabAnswer
	KeyID      string // the kid of this browser's JWT, "" without one
	RowCode    LabCode
	HashCode   LabCode
	KeyCode    LabCode
}

// LabGuess is the password-guessing experiment.
type LabGuess struct {
	Burst    int    // attempts per burst
	Free     int    // failures before the delays start
	Cap      int    // failures per address in the window
	Window   string // the address window, in words
	Account  string // the throwaway account, once made
	Attempts []LabAttempt
	Code     LabCode
}

// LabAttempt is one wrong password and the server's answer to it.
type LabAttempt struct {
	N        int
	Password string
	Status   int    // 401, 429, or 200 if the guess was right
	Answer   string // the answer in words
	Wait     string // Retry-After, for a 429
}
