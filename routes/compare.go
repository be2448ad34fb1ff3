package routes

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/views"
)

// compare shows both strategies' panels, the one named by ?strategy= first.
func (s *server) compare(w http.ResponseWriter, r *http.Request) error {
	front := r.URL.Query().Get("strategy")
	if front != "" && front != s.session.view.Key && front != s.jwt.view.Key {
		return web.BadRequest(`The strategy to bring to the front must be "session" or "jwt".`, nil)
	}
	id, _ := auth.IdentityFrom(r.Context())
	panels := []views.Panel{s.sessionPanel(id), s.jwtPanel(id)}
	if front == s.jwt.view.Key {
		panels[0], panels[1] = panels[1], panels[0]
	}
	for i := range panels {
		panels[i].Front = panels[i].Strategy.Key == front
	}
	v := views.CompareView{Page: s.Web.Page(r, "Compare"), Front: front, Panels: panels,
		Notice: logoutNotice(r.URL.Query().Get(loggedOutParam))}
	return s.Web.Render(w, r, http.StatusOK, views.Compare(v))
}

// loggedOutParam names, in the compare page's URL, the strategy a logout
// that redirected there ended.
const loggedOutParam = "loggedout"

// logoutNotice says what logging out of a strategy did; "" for anything
// else.
func logoutNotice(strategy string) string {
	switch strategy {
	case links.Session.Key:
		return "You logged out of the server session. Its record was deleted, so the cookie, and any copy of it, " +
			"names nothing now: a copy replayed is told revoked."
	case links.JWT.Key:
		return "You logged out of the JWT login. A signed token cannot be recalled, so its jti and its login's sid " +
			"went on the revocation list and the cookie was cleared: a copy replayed is refused as revoked, " +
			"until it would have expired anyway."
	}
	return ""
}

// reasonText explains a Reason in words, for the session strategy or the
// JWT one.
func reasonText(session bool, reason auth.Reason) string {
	switch reason {
	case auth.ReasonMissing:
		return "This browser sent no cookie for this strategy."
	case auth.ReasonMalformed:
		if session {
			return "The cookie is not a token this server would issue."
		}
		return "The cookie is not a well-formed authlab token: its structure is broken, or a required claim is missing or wrong."
	case auth.ReasonBadSignature:
		return "The token's signature does not match this server's key, or it names an algorithm other than HS256."
	case auth.ReasonExpired:
		if session {
			return "The server has no live record for this token: it sat idle too long, passed its lifetime, or was logged out. The server cannot tell which, because the record is gone."
		}
		return "The token's exp has passed. The browser still sends it, but it no longer proves anything."
	case auth.ReasonNotYetValid:
		return "The token claims to be valid only from a moment that has not come yet (nbf or iat in the future)."
	case auth.ReasonRevoked:
		return "The token, or the login it was renewed from, is on the revocation list: it was logged out before it expired."
	case auth.ReasonUnknownUser:
		return "The credentials name a user this server no longer has."
	}
	return ""
}

// when is a moment for people: the time in UTC, and how far it is from
// now in words ("in 29 min", "3 s ago"). It builds the string in one
// buffer: the compare page and the dashboards show two or three a request.
func when(t, now time.Time) string {
	var buf [64]byte
	b := t.UTC().AppendFormat(buf[:0], "2006-01-02 15:04:05 UTC (")
	switch d := t.Sub(now).Round(time.Second); {
	case d == 0:
		b = append(b, "now"...)
	case d < 0:
		b = append(append(b, views.Roughly(-d)...), " ago"...)
	default:
		b = append(append(b, "in "...), views.Roughly(d)...)
	}
	return string(append(b, ')'))
}

// sessionPanel is what the session cookie of id proves, and how.
func (s *server) sessionPanel(id auth.Identity) views.Panel {
	st := id.Session
	p := views.Panel{Strategy: s.session.view, Cookie: s.Auth.Settings().SessionCookie}
	p.HasCookie = !errors.Is(st.Err, auth.ErrNoCredentials)
	if !st.SignedIn() {
		reason := auth.ReasonFor(st.Err)
		p.Reason, p.ReasonText = string(reason), reasonText(true, reason)
		p.Facts = []views.Fact{{Label: "Server-side record", Value: "none for this browser"}}
		return p
	}
	p.SignedIn, p.Username = true, st.User.Username
	rec, now := st.Record, id.At
	p.Facts = []views.Fact{
		{Label: "Cookie value", Value: "43 random characters, meaningless without the server's record"},
		{Label: "Server-side record", Value: "user id " + strconv.FormatInt(rec.UserID, 10) + ", " +
			strconv.Itoa(s.sessions.RecordSize(rec)) + " bytes, in the " + s.SessionStore + " store"},
		{Label: "Idle deadline", Value: when(rec.IdleDeadline, now), Note: "Requests move it forward, writing the record back at most once every " +
			views.Human(s.Auth.Settings().IdleStep) + ", so it can come up to that much early."},
		{Label: "Absolute deadline", Value: when(rec.Deadline, now), Note: "No activity extends it; then you log in again."},
		{Label: "Ending it from another device", Value: "delete its record",
			Note: "Nothing new is needed: every request reads the record, so the next one finds it gone. Your logins are listed under Account."},
	}
	return p
}

// jwtPanel is what the JWT cookie of id proves, and how.
func (s *server) jwtPanel(id auth.Identity) views.Panel {
	st := id.JWT
	p := views.Panel{Strategy: s.jwt.view, Cookie: s.Auth.Settings().TokenCookie}
	p.HasCookie = st.Raw != ""
	var payload []byte
	if p.HasCookie {
		p.Token, payload = decodedTokens.get(st.Raw, st.SignedIn())
	}
	if !st.SignedIn() {
		reason := auth.ReasonFor(st.Err)
		p.Reason, p.ReasonText = string(reason), reasonText(false, reason)
		p.Facts = []views.Fact{{Label: "Server-side record", Value: "none read to check a token; revocation entries after logout"}}
		if reason == auth.ReasonExpired {
			if _, err := s.tokens.Genuine(st.Raw); err == nil {
				p.CanEnd = true
				p.Facts = append(p.Facts, views.Fact{Label: "Its login", Value: "still open until logged out",
					Note: "This token has expired, but a copy of it renewed in time would still be good: ending the login revokes every token of it."})
			}
		}
		if jti, sid := tokenIDs(payload); jti != "" || sid != "" {
			p.Facts = append(p.Facts, s.revokedFact(jti, sid))
		}
		return p
	}
	claims, now := st.Claims, id.At
	p.SignedIn, p.Username = true, st.User.Username
	p.Facts = []views.Fact{
		{Label: "Cookie value", Value: "a " + strconv.Itoa(len(st.Raw)) + "-byte signed token; its claims are below"},
		{Label: "Server-side record", Value: "none read to check it: the signature is the proof",
			Note: "The login is listed in the index of logins, which only your list of logins reads."},
		{Label: "Expires (exp)", Value: when(claims.ExpiresAt.Time, now) + " · exp " + strconv.FormatInt(claims.ExpiresAt.Unix(), 10),
			Note: "With less than half its life left, a request swaps it for a fresh token."},
		{Label: "Renewal horizon", Value: when(claims.AuthTime.Add(s.Auth.Settings().Lifetime), now),
			Note: "Login time plus the session lifetime: no renewal goes past it."},
		s.revokedFact(claims.ID, claims.SessionID),
		{Label: "Ending it from another device", Value: "revoke its login's sid",
			Note: "That needs the table of JWT logins, to find the sid, and the revocation list every check reads: a session by another name."},
	}
	return p
}

// revokedFact says whether a token or its login is on the revocation list.
func (s *server) revokedFact(jti, sid string) views.Fact {
	f := views.Fact{Label: "Revoked", Value: "no", Note: "Neither this token's jti nor its login's sid is on the revocation list."}
	switch {
	case jti != "" && s.tokens.IsRevoked(jti):
		f.Value, f.Note = "yes", "This token's jti is on the revocation list: it was logged out."
	case sid != "" && s.tokens.IsRevoked(sid):
		f.Value, f.Note = "yes", "Its login's sid is on the revocation list: a token renewed from the same login was logged out."
	}
	return f
}

// decodeJWT returns a token's header and claims as indented JSON, in the
// token's own order, and the decoded claims, without verifying anything:
// the page shows them so a learner can see what a token carries and why
// it was refused. Each is empty if it does not decode to a JSON object.
func decodeJWT(raw string) (header, claims string, payload []byte) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", "", nil
	}
	header, _ = decodeSegment(parts[0])
	claims, payload = decodeSegment(parts[1])
	return header, claims, payload
}

// decodedTokens remembers, for each JWT a page has shown, its decoded
// claims and its views.DecodedToken, rendered. A browser sends the same
// token with every request until it is renewed, so decoding, indenting and
// escaping it again for each page is wasted work. It memoizes a pure
// function of the token, so one cache serves every server in the process.
var decodedTokens = tokenCache{m: make(map[tokenKey]decodedToken)}

// maxCachedTokens bounds the cache at about a megabyte. When it is full it
// starts over: tokens sent by anyone can fill it, and they should cost no
// more than a decode each, never memory.
const maxCachedTokens = 512

type tokenCache struct {
	mu sync.Mutex
	m  map[tokenKey]decodedToken
}

type tokenKey struct {
	raw      string
	verified bool
}

type decodedToken struct {
	view    templ.Component
	payload []byte
}

// get returns views.DecodedToken for raw, or nil when its claims do not
// decode, and the decoded claims, which are shared: callers read them and
// never change them. Only tokens whose claims decode are remembered.
func (c *tokenCache) get(raw string, verified bool) (templ.Component, []byte) {
	k := tokenKey{raw, verified}
	c.mu.Lock()
	d, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return d.view, d.payload
	}
	header, claims, payload := decodeJWT(raw)
	if payload == nil {
		return nil, nil
	}
	view, ok := views.Prerender(views.DecodedToken(header, claims, verified))
	if !ok {
		return view, payload
	}
	d = decodedToken{view, payload}
	c.mu.Lock()
	if len(c.m) >= maxCachedTokens {
		clear(c.m)
	}
	c.m[k] = d
	c.mu.Unlock()
	return d.view, d.payload
}

// tokenIDs reads the jti and sid of a token that did not verify, for the
// page to say whether either is on the revocation list; "" where a claim
// is missing or not a string.
func tokenIDs(payload []byte) (jti, sid string) {
	var ids struct {
		JTI any `json:"jti"`
		SID any `json:"sid"`
	}
	if len(payload) == 0 || json.Unmarshal(payload, &ids) != nil {
		return "", ""
	}
	jti, _ = ids.JTI.(string)
	sid, _ = ids.SID.(string)
	return jti, sid
}

// decodeSegment decodes one base64url part of a token and indents it, if
// it is a JSON object.
func decodeSegment(seg string) (string, []byte) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", nil
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil || out.Len() == 0 || out.Bytes()[0] != '{' {
		return "", nil
	}
	return out.String(), b
}
