package learn

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/views"
)

// The lab's limits. Copies of a browser's cookies are kept in this
// process's memory only, for at most labTTL, in at most labEntries
// entries: the lab is a teaching aid, not a store, and a restart or a
// second instance simply finds nothing.
const (
	labTTL     = 10 * time.Minute
	labEntries = 1000
	// labBurst is how many wrong passwords one press of the guess form
	// tries: enough to pass auth.FreeFailures and meet the delay.
	labBurst = 8
	// labBody bounds a lab form's body, and labField each JSON text area
	// of the tamper form; a token's parts are a few hundred bytes.
	labBody  = 16 << 10
	labField = 4 << 10
	// labCookie is the base name of the cookie holding the lab id.
	labCookie = "authlab_lab"
)

// labGuesses are the wrong passwords a burst tries, the kind a list of
// leaked passwords starts with. The lab account's own password is random,
// so none of them is right.
var labGuesses = [labBurst]string{"123456", "password", "qwerty123", "letmein", "iloveyou", "admin123", "welcome1", "monkey12"}

// labStore is the lab's memory: entries by lab id, each the browser's own,
// since only that browser holds the id.
type labStore struct {
	mu      sync.Mutex
	entries map[string]*labEntry
}

// labEntry is what the lab remembers for one browser.
type labEntry struct {
	expires time.Time
	copies  labCopies

	// account is the throwaway account the lab made; "" until then. It
	// is read and written under the store's lock.
	account string
	// guessMu serialises the browser's guess bursts, so that concurrent
	// presses make one lab account, not two.
	guessMu sync.Mutex
}

// labCopies are the cookie values kept by "Keep a copy of my cookies".
// They are never logged or shown, only replayed.
type labCopies struct {
	kept     time.Time
	username string
	session  string // "" when the browser had no live session
	token    string // "" when it had no valid JWT
}

// entry returns the live entry with id.
func (ls *labStore) entry(id string, now time.Time) (*labEntry, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	e, ok := ls.entries[id]
	if ok && !now.Before(e.expires) {
		delete(ls.entries, id)
		return nil, false
	}
	return e, ok
}

// create makes an entry under a new random id. When the store is full, the
// expired entries go first, then the one closest to expiring.
func (ls *labStore) create(now time.Time) (string, *labEntry) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.entries == nil {
		ls.entries = make(map[string]*labEntry)
	}
	if len(ls.entries) >= labEntries {
		var oldest string
		for id, e := range ls.entries {
			if !now.Before(e.expires) {
				delete(ls.entries, id)
			} else if oldest == "" || e.expires.Before(ls.entries[oldest].expires) {
				oldest = id
			}
		}
		if len(ls.entries) >= labEntries {
			delete(ls.entries, oldest)
		}
	}
	id := rand.Text()
	e := &labEntry{expires: now.Add(labTTL)}
	ls.entries[id] = e
	return id, e
}

// keep stores copies in e and restarts its time.
func (ls *labStore) keep(e *labEntry, c labCopies) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	e.copies = c
	e.expires = c.kept.Add(labTTL)
}

func (ls *labStore) read(e *labEntry) (labCopies, time.Time) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return e.copies, e.expires
}

func (ls *labStore) account(e *labEntry) string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return e.account
}

func (ls *labStore) setAccount(e *labEntry, name string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	e.account = name
}

// labCookieName is the lab cookie's name: like the session and JWT
// cookies, it carries the __Host- prefix behind https.
func (s *server) labCookieName() string {
	if s.secure() {
		return "__Host-" + labCookie
	}
	return labCookie
}

func (s *server) secure() bool { return strings.HasPrefix(s.BaseURL, "https://") }

// labEntry returns the entry this browser's lab cookie names. A cookie
// that names nothing (another browser's id, an expired one, one from
// before a restart) is reported as present but unknown.
func (s *server) labEntry(r *http.Request, now time.Time) (e *labEntry, hasCookie bool) {
	c, err := r.Cookie(s.labCookieName())
	if err != nil || c.Value == "" {
		return nil, false
	}
	e, _ = s.lab.entry(c.Value, now)
	return e, true
}

// newLabEntry makes an entry and gives the browser its id, for as long as
// the entry lives.
func (s *server) newLabEntry(w http.ResponseWriter, now time.Time) *labEntry {
	id, e := s.lab.create(now)
	s.setLabCookie(w, id)
	return e
}

func (s *server) setLabCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.labCookieName(),
		Value:    id,
		Path:     "/",
		MaxAge:   int(labTTL / time.Second),
		HttpOnly: true,
		Secure:   s.secure(),
		SameSite: http.SameSiteLaxMode,
	})
}

// labForm reads a lab form's body, answering one over labBody with a 413
// of the lab's own words.
func labForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, labBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			// Not wrapping tooBig: Responder.Fail would answer it with the
			// site-wide limit, 1 MiB, not the lab's.
			return &web.Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("The lab's forms take at most %d KiB.", labBody>>10)}
		}
		return web.BadRequest("The form could not be read.", err)
	}
	return nil
}

// labPage is GET /learn/lab.
func (s *server) labPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.labView(r)
	if err != nil {
		return err
	}
	return s.Web.Render(w, r, http.StatusOK, views.LearnLab(v))
}

// labView is the lab page for this browser, before any experiment ran.
func (s *server) labView(r *http.Request) (views.LabView, error) {
	id, _ := auth.IdentityFrom(r.Context())
	v := views.LabView{
		Page:      s.page(r, "Lab: attack this server"),
		Steps:     learnSteps(),
		SessionIn: id.Session.SignedIn(),
		JWTIn:     id.JWT.SignedIn(),
		Guess: views.LabGuess{Burst: labBurst, Free: auth.FreeFailures, Cap: auth.AddressFailures,
			Window: views.Roughly(auth.AddressWindow)},
	}
	if e, _ := s.labEntry(r, id.At); e != nil {
		c, expires := s.lab.read(e)
		if !c.kept.IsZero() {
			v.Kept = &views.LabKept{Username: c.username, Session: c.session != "", JWT: c.token != "",
				Kept: views.Roughly(id.At.Sub(c.kept)) + " ago", Expires: "in " + views.Roughly(expires.Sub(id.At))}
		}
		v.Guess.Account = s.lab.account(e)
	}
	if id.JWT.SignedIn() {
		h, c, ok := tokenParts(id.JWT.Raw)
		if ok {
			v.Tamper = views.LabTamper{Available: true, Header: indent(h), Claims: indent(c)}
		}
	}
	var err error
	if v.Leak, err = s.labLeak(r, id); err != nil {
		return v, err
	}
	if v.Guess.Code, err = s.code(1, "loginWait", "delayAfter(f.Account)"); err != nil {
		return v, err
	}
	return v, nil
}

// labKeep is POST /learn/lab/keep: it keeps copies of this browser's live
// credentials. A browser signed in under neither strategy has nothing to
// keep, and nothing is stored for it.
func (s *server) labKeep(w http.ResponseWriter, r *http.Request) error {
	if err := labForm(w, r); err != nil {
		return err
	}
	id, _ := auth.IdentityFrom(r.Context())
	u, ok := id.User()
	if !ok {
		return web.Status(http.StatusForbidden, "Sign in first, under one strategy or both: the lab keeps copies only of credentials that work.")
	}
	c := labCopies{kept: id.At, username: u.Username}
	if id.Session.SignedIn() {
		if ck, err := r.Cookie(s.Auth.Settings().SessionCookie); err == nil {
			c.session = ck.Value
		}
	}
	if id.JWT.SignedIn() {
		c.token = id.JWT.Raw
	}
	e, _ := s.labEntry(r, id.At)
	if e == nil {
		e = s.newLabEntry(w, id.At)
	} else if ck, err := r.Cookie(s.labCookieName()); err == nil {
		s.setLabCookie(w, ck.Value) // the cookie lives as long as the copies
	}
	s.lab.keep(e, c)
	http.Redirect(w, r, "/learn/lab#steal", http.StatusSeeOther)
	return nil
}

// labReplay is POST /learn/lab/replay: the kept copies, checked exactly
// as a request carrying them would be.
func (s *server) labReplay(w http.ResponseWriter, r *http.Request) error {
	if err := labForm(w, r); err != nil {
		return err
	}
	v, err := s.labView(r)
	if err != nil {
		return err
	}
	id, _ := auth.IdentityFrom(r.Context())
	e, hasCookie := s.labEntry(r, id.At)
	var c labCopies
	if e != nil {
		c, _ = s.lab.read(e)
	}
	if c.kept.IsZero() {
		msg := "This browser has kept no copies. Press \"Keep a copy of my cookies\" while signed in first."
		if hasCookie {
			msg = "The lab knows no copies under this browser's lab id: they are kept for " + views.Roughly(labTTL) +
				" in this server's memory, and only for the browser that made them."
		}
		return &web.Error{Status: http.StatusNotFound, Heading: "No copies to replay", Message: msg}
	}
	settings := s.Auth.Settings()
	var cookies []*http.Cookie
	if c.session != "" {
		cookies = append(cookies, &http.Cookie{Name: settings.SessionCookie, Value: c.session})
	}
	if c.token != "" {
		cookies = append(cookies, &http.Cookie{Name: settings.TokenCookie, Value: c.token})
	}
	got, err := s.identify(r.Context(), cookies...)
	if err != nil {
		return err
	}
	v.Replay = &views.LabReplay{}
	if c.session != "" {
		a, err := s.sessionAnswer(got.Session)
		if err != nil {
			return err
		}
		v.Replay.Session = &a
	}
	if c.token != "" {
		a, err := s.tokenAnswer(got.JWT)
		if err != nil {
			return err
		}
		v.Replay.JWT = &a
	}
	return s.Web.Render(w, r, http.StatusOK, views.LearnLab(v))
}

// identify runs cookies through the middleware every page runs, loading
// the session and identifying the request, and returns what it found. The
// request gets a context of its own, cancelled with ctx: scs reuses a
// session already loaded into a context, so checking inside the learner's
// request would find the learner's session instead of the copy.
func (s *server) identify(ctx context.Context, cookies ...*http.Cookie) (auth.Identity, error) {
	own, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	req := httptest.NewRequestWithContext(own, http.MethodGet, "/learn/lab", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	var (
		got  auth.Identity
		seen bool
	)
	h := s.Auth.Sessions.LoadAndSave(s.Auth.Identify(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got, seen = auth.IdentityFrom(r.Context())
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !seen {
		return got, fmt.Errorf("lab: the check answered %d without identifying the request", rec.Code)
	}
	return got, nil
}

// sessionAnswer says what the session check made of a cookie, and which
// line of Sessions.current decided.
func (s *server) sessionAnswer(st auth.SessionState) (views.LabAnswer, error) {
	a := views.LabAnswer{Strategy: "session", Name: "Server session", SignedIn: st.SignedIn(), Username: st.User.Username}
	needle := "return SessionState{User: u, Record: rec"
	switch {
	case st.SignedIn():
		a.Check = "The record this token names is still in the store: the copy works exactly as the original does."
	case errors.Is(st.Err, auth.ErrLoginEnded):
		a.Check = "Record gone: the store has no record under the SHA-256 of this token, and the index of logins says the server ended the login (logout, End, or a password change)."
		needle = "return SessionState{Err: ErrLoginEnded}"
	case errors.Is(st.Err, auth.ErrSessionEnded):
		a.Check = "Record gone: the store has no live record under the SHA-256 of this token, and no ended login either; to the server it simply timed out or never was."
		needle = "return SessionState{Err: ErrSessionEnded}"
	case errors.Is(st.Err, auth.ErrMalformed):
		a.Check = "Not a token this server makes (43 base64url characters), so no record was even looked up."
		needle = "if !scsToken.MatchString(c.Value)"
	case errors.Is(st.Err, auth.ErrUnknownUser):
		a.Check = "The record names a user who no longer exists."
		needle = "u, err := byID(ctx, id)"
	default:
		a.Check = "The session check refused it."
	}
	if !st.SignedIn() {
		a.Reason = string(auth.ReasonFor(st.Err))
	}
	var err error
	a.Code, err = s.code(4, "Sessions.current", needle)
	return a, err
}

// tokenAnswer says what the JWT check made of a token. For one refused as
// revoked, the revocation list says which of its ids is on it: logout
// revokes both, ending a login from the devices page or a password change
// its sid only.
func (s *server) tokenAnswer(st auth.TokenState) (views.LabAnswer, error) {
	a := views.LabAnswer{Strategy: "jwt", Name: "JWT cookie", SignedIn: st.SignedIn(), Username: st.User.Username}
	needle := "if v, err = t.decode(raw, t.parser); err != nil"
	switch {
	case st.SignedIn():
		a.Check = "The signature is good, exp has not passed, and neither its jti nor its sid is revoked: the copy works exactly as the original does, until its exp."
		needle = "return c, nil"
	case errors.Is(st.Err, auth.ErrTokenRevoked):
		needle = "t.revoked.isRevoked(c.ID) || t.revoked.isRevoked(c.SessionID)"
		a.Check = "Revoked: the signature is still good, but the revocation list holds "
		if c, err := s.Auth.Tokens.Genuine(st.Raw); err == nil {
			jti, sid := s.Auth.Tokens.IsRevoked(c.ID), s.Auth.Tokens.IsRevoked(c.SessionID)
			switch {
			case jti && sid:
				a.Check += "both its jti (this token) and its sid (its whole login): it was logged out."
			case jti:
				a.Check += "its jti: this very token was logged out."
			case sid:
				a.Check += "its sid but not its jti: its login was ended from elsewhere (the devices page, a password change, or a logout with a renewed token of the same login)."
			default:
				a.Check += "one of its ids."
			}
		} else {
			a.Check += "one of its ids."
		}
	case errors.Is(st.Err, auth.ErrExpired):
		a.Check = "Expired: the signature is good but exp has passed; no revocation list was needed."
	case errors.Is(st.Err, auth.ErrBadSignature):
		a.Check = "The HMAC does not match, or the algorithm or key id is not one this server accepts."
	case errors.Is(st.Err, auth.ErrUnknownUser):
		a.Check = "The token is genuine but names a user who no longer exists."
		needle = ""
	default:
		a.Check = "The token does not read as an authlab token."
	}
	if !st.SignedIn() {
		a.Reason = string(auth.ReasonFor(st.Err))
	}
	var err error
	a.Code, err = s.code(4, "Tokens.Verify", needle)
	return a, err
}

// labTamper is POST /learn/lab/tamper: the browser's own JWT with its
// header or claims edited, and its original signature (none for alg:
// none), through the real Tokens.Verify. Nothing is signed.
func (s *server) labTamper(w http.ResponseWriter, r *http.Request) error {
	if err := labForm(w, r); err != nil {
		return err
	}
	id, _ := auth.IdentityFrom(r.Context())
	if !id.JWT.SignedIn() {
		return &web.Error{Status: http.StatusConflict, Heading: "No JWT to tamper with",
			Message: "This browser holds no valid JWT. Log in with the JWT cookie first, then come back to the lab."}
	}
	origHeader, origClaims, _ := tokenParts(id.JWT.Raw)
	sig := id.JWT.Raw[strings.LastIndexByte(id.JWT.Raw, '.')+1:]
	header, claims := []byte(origHeader), []byte(origClaims)
	preset := r.PostForm.Get("preset")
	var err error
	switch preset {
	case "":
		if header, err = jsonField(r.PostForm.Get("header"), "header"); err != nil {
			return err
		}
		if claims, err = jsonField(r.PostForm.Get("claims"), "claims"); err != nil {
			return err
		}
	case "alg-none":
		header, err = setMember(header, "alg", "none")
	case "sub":
		sub, _ := strconv.ParseInt(id.JWT.Claims.Subject, 10, 64)
		claims, err = setMember(claims, "sub", strconv.FormatInt(sub+1, 10))
	case "exp":
		claims, err = setMember(claims, "exp", id.JWT.Claims.ExpiresAt.Add(24*time.Hour).Unix())
	case "kid":
		header, err = setMember(header, "kid", "0123456789abcdef")
	default:
		return web.BadRequest("That is not one of the lab's quick edits.", nil)
	}
	if err != nil {
		return err
	}

	var alg struct {
		Alg any `json:"alg"`
	}
	_ = json.Unmarshal(header, &alg)
	res := &views.LabTamperResult{Signature: "the original signature, unchanged"}
	if alg.Alg == "none" {
		sig = ""
		res.Signature = "none: the part after the last dot is empty, as alg: none asks"
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	res.Sent = signed + "."
	if !bytes.Equal(header, []byte(origHeader)) {
		res.Changed = append(res.Changed, "header")
	}
	if !bytes.Equal(claims, []byte(origClaims)) {
		res.Changed = append(res.Changed, "claims")
	}

	_, verr := s.Auth.Tokens.Verify(signed + "." + sig)
	st := auth.TokenState{Err: verr, Raw: signed + "." + sig, User: id.JWT.User}
	if res.Answer, err = s.tokenAnswer(st); err != nil {
		return err
	}
	switch {
	case verr == nil:
		res.Why = "Accepted: the header and claims you sent are, byte for byte, the ones the server signed. Change any of them and see."
	case alg.Alg != "HS256":
		res.Why = "The algorithm is pinned. The parser accepts HS256 and nothing else (jwt.WithValidMethods), whatever the header asks for, so alg: none, or an HS256 token relabelled RS256, is refused before any key is chosen."
		if res.Answer.Code, err = s.code(2, "newTokens", "jwt.WithValidMethods"); err != nil {
			return err
		}
	case errors.Is(verr, auth.ErrBadSignature) && kidChanged(header, []byte(origHeader)):
		res.Why = "No key this server holds has that kid, so there is nothing to check the signature with: refused before any HMAC. A kid only picks among the server's own keys; it cannot bring one."
	case errors.Is(verr, auth.ErrBadSignature):
		res.Why = "The signature is an HMAC-SHA256 over the exact bytes of header.payload, made with a key only the server has. Any change to either part changes what the signature must be, and without the key no one can compute the new one."
	case errors.Is(verr, auth.ErrMalformed):
		res.Why = "The token no longer reads as an authlab token: its JSON is not what the server writes (a name twice or in another case, a time that is not a number, typ other than JWT, a required claim missing), and it is refused before the signature matters."
	default:
		res.Why = "The verifier refused it."
	}
	v, err := s.labView(r)
	if err != nil {
		return err
	}
	v.Tamper.Header, v.Tamper.Claims, v.Tamper.Result = indent(string(header)), indent(string(claims)), res
	return s.Web.Render(w, r, http.StatusOK, views.LearnLab(v))
}

func kidChanged(header, orig []byte) bool {
	var a, b struct {
		Kid any `json:"kid"`
	}
	_ = json.Unmarshal(header, &a)
	_ = json.Unmarshal(orig, &b)
	return a.Kid != b.Kid
}

// jsonField reads one JSON text area of the tamper form: a JSON object of
// at most labField bytes, compacted, so that an unedited part is the
// token's own bytes again.
func jsonField(text, name string) ([]byte, error) {
	if len(text) > labField {
		return nil, &web.Error{Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("The %s is longer than %d KiB; a real token's is a few hundred bytes.", name, labField>>10)}
	}
	trimmed := strings.TrimSpace(text)
	if !json.Valid([]byte(trimmed)) || !strings.HasPrefix(trimmed, "{") {
		return nil, web.BadRequest(fmt.Sprintf("The %s is not a JSON object. Check for a missing quote, comma or brace, or start again from the lab page.", name), nil)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(trimmed)); err != nil {
		return nil, web.BadRequest(fmt.Sprintf("The %s is not a JSON object.", name), err)
	}
	return buf.Bytes(), nil
}

// setMember sets one member of the JSON object obj, keeping the others in
// their order, so that the edit is the only difference.
func setMember(obj []byte, name string, value any) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("lab: token part is not an object")
	}
	val, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("lab: read token part: %w", err)
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("lab: read token part: %w", err)
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		if key == name {
			raw, found = val, true
		}
		out.Write(raw)
	}
	if !found {
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		out.Write(k)
		out.WriteByte(':')
		out.Write(val)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// tokenParts decodes a compact JWT's header and claims, as the bytes the
// signature covers decode to.
func tokenParts(raw string) (header, claims string, ok bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", "", false
	}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	c, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	return string(h), string(c), true
}

// indent lays a JSON object out one member a line for the text areas.
func indent(s string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// labFlip is POST /learn/lab/flip: the browser's session token with one
// character changed, through the real session check.
func (s *server) labFlip(w http.ResponseWriter, r *http.Request) error {
	if err := labForm(w, r); err != nil {
		return err
	}
	id, _ := auth.IdentityFrom(r.Context())
	name := s.Auth.Settings().SessionCookie
	ck, err := r.Cookie(name)
	if !id.Session.SignedIn() || err != nil {
		return &web.Error{Status: http.StatusConflict, Heading: "No session to change",
			Message: "This browser holds no live server session. Log in with a server session first, then come back to the lab."}
	}
	token := []byte(ck.Value)
	pos := len(token) / 2
	from := token[pos]
	to := byte('A')
	if from == 'A' {
		to = 'B'
	}
	token[pos] = to
	got, err := s.identify(r.Context(), &http.Cookie{Name: name, Value: string(token)})
	if err != nil {
		return err
	}
	a, err := s.sessionAnswer(got.Session)
	if err != nil {
		return err
	}
	v, err := s.labView(r)
	if err != nil {
		return err
	}
	v.Flip = &views.LabFlip{Position: pos + 1, From: string(from), To: string(to), Answer: a,
		Why: "The cookie holds 32 random bytes and nothing else: no user id, no expiry, no signature to get past. The server looks up the SHA-256 of whatever it is sent; a token with one character changed is another token, whose hash names no record. The only way in is to guess a live token, one chance in 2^256 a try."}
	return s.Web.Render(w, r, http.StatusOK, views.LearnLab(v))
}

// labLeak describes what a copy of the database holds for this browser,
// showing nothing that could be presented: the hash of the session token
// (and the session check's answer to it presented as a cookie) and the
// public id of the JWT's key.
func (s *server) labLeak(r *http.Request, id auth.Identity) (views.LabLeak, error) {
	var (
		l   views.LabLeak
		err error
	)
	if l.RowCode, err = s.code(3, "sessionKey", "sha256.Sum256"); err != nil {
		return l, err
	}
	if l.HashCode, err = s.code(1, "Hasher.hash", "argon2.IDKey"); err != nil {
		return l, err
	}
	if l.KeyCode, err = s.code(2, "KeyFile.Rotate", ""); err != nil {
		return l, err
	}
	if id.Session.SignedIn() {
		l.SessionKey = id.Session.Key
		got, err := s.identify(r.Context(), &http.Cookie{Name: s.Auth.Settings().SessionCookie, Value: id.Session.Key})
		if err != nil {
			return l, err
		}
		a, err := s.sessionAnswer(got.Session)
		if err != nil {
			return l, err
		}
		l.HashAnswer = &a
	}
	if id.JWT.SignedIn() {
		if h, _, ok := tokenParts(id.JWT.Raw); ok {
			var hdr struct {
				Kid string `json:"kid"`
			}
			if json.Unmarshal([]byte(h), &hdr) == nil {
				l.KeyID = hdr.Kid
			}
		}
	}
	return l, nil
}

// labGuess is POST /learn/lab/guess: a burst of wrong passwords against
// the lab's own throwaway account, through the real, throttled
// Auth.Authenticate from this browser's address. It creates that account
// on first use, once per lab id, and never names any other.
func (s *server) labGuess(w http.ResponseWriter, r *http.Request) error {
	if err := labForm(w, r); err != nil {
		return err
	}
	id, _ := auth.IdentityFrom(r.Context())
	e, _ := s.labEntry(r, id.At)
	if e == nil {
		if _, ok := id.User(); !ok {
			return web.Status(http.StatusForbidden, "Sign in first: the lab makes its throwaway account only for a signed-in browser.")
		}
		e = s.newLabEntry(w, id.At)
	}
	account, attempts, err := s.guessBurst(w, r, e)
	if err != nil {
		return err
	}
	v, err := s.labView(r)
	if err != nil {
		return err
	}
	v.Guess.Account, v.Guess.Attempts = account, attempts
	return s.Web.Render(w, r, http.StatusOK, views.LearnLab(v))
}

// guessBurst makes e's throwaway account if it has none, and tries the
// burst of wrong passwords on it.
func (s *server) guessBurst(w http.ResponseWriter, r *http.Request, e *labEntry) (string, []views.LabAttempt, error) {
	e.guessMu.Lock()
	defer e.guessMu.Unlock()
	account := s.lab.account(e)
	if account == "" {
		name := "lab-" + strings.ToLower(rand.Text()[:12])
		_, err := s.Auth.SignUp(r, name, rand.Text())
		var throttled *auth.ThrottledError
		if errors.As(err, &throttled) {
			web.RetryAfter(w, throttled.RetryAfter)
			return "", nil, &web.Error{Status: http.StatusTooManyRequests, Heading: "Too many new accounts",
				Message: "This address has made " + strconv.Itoa(auth.AddressSignups) + " accounts in the last " + views.Roughly(auth.AddressWindow) +
					", the lab's throwaway ones included. Try again in " + views.Wait(throttled.RetryAfter) + "."}
		}
		if err != nil {
			return "", nil, fmt.Errorf("lab: make the throwaway account: %w", err)
		}
		account = name
		s.lab.setAccount(e, name)
	}
	attempts := make([]views.LabAttempt, 0, len(labGuesses))
	for i, guess := range labGuesses {
		at := views.LabAttempt{N: i + 1, Password: guess}
		_, err := s.Auth.Authenticate(r, account, guess)
		var throttled *auth.ThrottledError
		switch {
		case err == nil:
			at.Status, at.Answer = http.StatusOK, "Right password"
		case errors.Is(err, auth.ErrInvalidCredentials):
			at.Status, at.Answer = http.StatusUnauthorized, "Wrong password: hashed and compared"
		case errors.As(err, &throttled):
			at.Status, at.Answer = http.StatusTooManyRequests, "Too soon: refused before hashing, not counted"
			at.Wait = views.Roughly(throttled.RetryAfter)
		default:
			return "", nil, fmt.Errorf("lab: guess: %w", err)
		}
		attempts = append(attempts, at)
	}
	return account, attempts, nil
}

// code finds the line of the declaration name, quoted by step, that
// contains needle, and links its code panel. A needle that is no longer in
// the source (the code changed) links the panel without a line: the page
// still works, and TestLabLines fails.
func (s *server) code(step int, name, needle string) (views.LabCode, error) {
	src, err := s.source()
	if err != nil {
		return views.LabCode{}, err
	}
	c := views.LabCode{Href: "/learn/" + strconv.Itoa(step) + "#" + views.CodeID(name), Name: name}
	sn, ok := src[step][name]
	if !ok {
		return c, nil
	}
	c.File = sn.File
	if needle == "" {
		return c, nil
	}
	for i, line := range strings.Split(sn.Code, "\n") {
		if strings.Contains(line, needle) {
			c.Line, c.Text = sn.Line+i, strings.TrimSpace(line)
			break
		}
	}
	return c, nil
}
