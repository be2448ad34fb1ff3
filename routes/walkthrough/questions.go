package walkthrough

// Quiz is the /learn/quiz questions, easiest first. Each choice says why
// it is right or wrong, and each question names the step that teaches it.
var Quiz = []Question{
	{
		ID:     "where-state",
		Level:  Easy,
		Step:   3,
		Prompt: "Right after login, where does each strategy keep the fact that you are user 1?",
		Answer: "b",
		Choices: []Choice{
			{"a", "Both write a row per signed-in user to the database.",
				"Only the session does. A JWT login writes nothing: `Tokens.Issue` signs the claims and hands them to the browser."},
			{"b", "The session keeps a record on the server under a random token, which is all its cookie holds; the JWT carries the id in its `sub` claim, inside the signed cookie value.",
				"`Sessions.Login` puts the user id into the scs record; `Tokens.Issue` writes it into `sub` and signs it. For the JWT the server keeps nothing per user."},
			{"c", "The session cookie holds the user id, encrypted; the JWT is kept in the sessions table.",
				"Reversed, and nothing here is encrypted. The session cookie is 43 random characters that mean nothing without the server's record; the JWT is stored by the browser alone."},
			{"d", "In the browser's localStorage, for both.",
				"authlab never uses localStorage: both values travel in HttpOnly cookies, which page scripts cannot read."},
		},
	},
	{
		ID:     "hash",
		Level:  Easy,
		Step:   1,
		Prompt: "Why does the users table hold an argon2id hash rather than the password?",
		Answer: "c",
		Choices: []Choice{
			{"a", "So the server can decrypt the password when a user forgets it.",
				"A hash cannot be decrypted; that is the point. A forgotten password is replaced, never recovered."},
			{"b", "Because SQLite cannot index a text column.",
				"It can: `username` is a TEXT column with a UNIQUE index. The reason is what a copy of the table gives away."},
			{"c", "So a copy of the table does not give the passwords away: every guess costs 19 MiB and two passes, and the salt makes each guess good for one user only.",
				"`Hasher.Verify` recomputes the hash from the typed password and compares the two in constant time; nothing turns a stored hash back into a password."},
			{"d", "Because argon2id makes login faster.",
				"The opposite: it is slow and memory-hungry on purpose. Tens of milliseconds are nothing for one login and ruinous for billions of guesses."},
		},
	},
	{
		ID:     "create-calls",
		Level:  Easy,
		Step:   3,
		Prompt: "Which calls create the server session, and which create the token?",
		Answer: "a",
		Choices: []Choice{
			{"a", "`s.mgr.RenewToken(ctx)` and then `s.mgr.Put(ctx, sessionUserKey, u.ID)` in `Sessions.Login`; `jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)` in `Tokens.Issue`.",
				"scs writes the record to the store as the response goes out; the token exists once it is signed, and nothing is stored."},
			{"b", "`http.SetCookie`, for both.",
				"`http.SetCookie` only adds a header. scs's `LoadAndSave` writes the session cookie after the handler, and `Tokens.setCookie` writes the JWT cookie; neither creates what the cookie carries."},
			{"c", "`Auth.Identify` and `Tokens.Verify`.",
				"Those read: they recognise a later request, which is step 4."},
			{"d", "`argon2.IDKey`, for both.",
				"`argon2.IDKey` checks the password, before either strategy starts."},
		},
	},
	{
		ID:     "expired-bearer",
		Level:  Medium,
		Step:   4,
		Prompt: "A script sends `GET /api/auth` with no cookies and `Authorization: Bearer <token>`, where the token's `exp` passed five minutes ago. What comes back?",
		Answer: "b",
		Choices: []Choice{
			{"a", "`401` with `{\"error\":\"token expired\"}`.",
				"`GET /api/auth` reports state; it does not fail over credentials. A 401 is what `POST /api/auth` answers to a wrong password."},
			{"b", "`200` with `\"authenticated\":false` and `strategies.jwt.reason` set to `expired`.",
				"`Tokens.Verify` turns golang-jwt's `ErrTokenExpired` into `auth.ErrExpired`, which `auth.ReasonFor` reports as `expired`. The leeway is 30 s at most, far short of five minutes."},
			{"c", "`200` with `\"authenticated\":true`, because the signature is still valid.",
				"The signature covers `exp`, and the parser requires and checks it (`jwt.WithExpirationRequired()`). A valid signature over expired claims is still refused."},
			{"d", "`500`, because the parser returns an error.",
				"That error is expected: it is classified and reported as a reason. A 500 is for the server's own failures."},
		},
	},
	{
		ID:     "revoked-bearer",
		Level:  Medium,
		Step:   4,
		Prompt: "The script then sends `DELETE /api/auth` with the same (still unexpired) Bearer header, and a second later repeats `GET /api/auth` with it. What does `strategies.jwt.reason` say?",
		Answer: "d",
		Choices: []Choice{
			{"a", "`missing`",
				"The header is still sent; `missing` means no token was presented at all."},
			{"b", "`expired`",
				"The token's `exp` is still ahead. Logout does not change the token; it cannot."},
			{"c", "`bad_signature`",
				"The token is byte for byte what the server signed, so its signature still checks out."},
			{"d", "`revoked`",
				"`apiLogout` put the token's `jti` on the revocation list until its `exp`, and `Tokens.Verify` consults that list once the signature and claims pass."},
		},
	},
	{
		ID:     "session-replay",
		Level:  Medium,
		Step:   4,
		Prompt: "Someone copied your session cookie, then you logged out. When they replay the copy, what reason does the API give for the session, and why that one?",
		Answer: "a",
		Choices: []Choice{
			{"a", "`expired`: the record is gone, and a missing record looks the same whether it timed out or was deleted.",
				"`Sessions.Logout` calls scs's `Destroy`, which deletes the row. `Sessions.current` then sees a well-formed token with no record, returns `ErrSessionEnded`, and that is reported as `expired`."},
			{"b", "`revoked`: the token is on the revocation list.",
				"Sessions have no revocation list and need none: deleting the record is the revocation."},
			{"c", "None: the copy still works until the idle timeout.",
				"That is a JWT's weakness, not a session's. The server looks the record up on every request, so deleting it ends every copy at once."},
			{"d", "`malformed`",
				"The copy is a well-formed scs token, 43 base64url characters; it just names nothing any more."},
		},
	},
	{
		ID:     "dummy-hash",
		Level:  Medium,
		Step:   3,
		Prompt: "`Users.Authenticate` runs a full argon2id verification even when no user has the name typed. Why spend that work?",
		Answer: "d",
		Choices: []Choice{
			{"a", "To warm the hasher up for the next login.",
				"There is nothing to warm: each argon2id call allocates its memory afresh."},
			{"b", "Because `UserByName` needs a hash to find the row.",
				"The row is found by username alone; the dummy verification runs only when no row was found."},
			{"c", "To slow every login down equally, which keeps the server's load predictable.",
				"Load is not the aim. The hasher's slots limit how much memory hashing can take at once; the dummy hash is about what an attacker can learn."},
			{"d", "So that an unknown name takes as long to refuse as a wrong password, and the timing does not reveal which usernames exist.",
				"Both get the same message, and `VerifyDummy` makes them take the same time too."},
		},
	},
	{
		ID:     "fixation-bug",
		Level:  Hard,
		Step:   3,
		Prompt: "This session login handler passes every functional test, yet has a security hole. Which?",
		Code: `func (s *server) login(w http.ResponseWriter, r *http.Request) {
	u, err := s.Users.Authenticate(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"))
	if errors.Is(err, auth.ErrInvalidCredentials) {
		http.Error(w, "Invalid username or password.", http.StatusUnauthorized)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.mgr.Put(r.Context(), "userID", u.ID)
	http.Redirect(w, r, "/session/dashboard", http.StatusSeeOther)
}`,
		Answer: "b",
		Choices: []Choice{
			{"a", "It calls `PostFormValue` without calling `ParseForm` first.",
				"`PostFormValue` parses the form itself if nobody has. authlab calls `ParseForm` first only so that a broken body gets a 400."},
			{"b", "It keeps the session token the browser arrived with: with no `RenewToken` before `Put`, a token an attacker planted in your browser becomes a signed-in one (session fixation).",
				"`Sessions.Login` calls `s.mgr.RenewToken(ctx)` first, so a planted token never names a signed-in session."},
			{"c", "A wrong password should get `403`, not `401`.",
				"`401` is the usual answer to failed credentials, and the status code is no security hole either way."},
			{"d", "The redirect after a POST should be `302`.",
				"`303 See Other` is the right answer to a POST: it tells the browser to follow with a GET."},
		},
	},
	{
		ID:     "unpinned-alg",
		Level:  Hard,
		Step:   2,
		Prompt: "Which option, present in `newTokens` and missing here, stops the token itself from choosing how it is checked?",
		Code: `parser := jwt.NewParser(
	jwt.WithIssuer("authlab"),
	jwt.WithAudience("authlab"),
	jwt.WithExpirationRequired(),
)
_, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
	return key, nil
})`,
		Answer: "c",
		Choices: []Choice{
			{"a", "`jwt.WithLeeway(30 * time.Second)`",
				"Leeway tolerates clock skew on `exp`, `nbf` and `iat`; it says nothing about the algorithm."},
			{"b", "`jwt.WithIssuedAt()`",
				"That refuses an `iat` in the future. Worth having, but the algorithm is still the token's choice."},
			{"c", "`jwt.WithValidMethods([]string{\"HS256\"})`",
				"Without it the key is used with whatever algorithm the token's header names. golang-jwt refuses `none` unless told otherwise, but a key function that ever returns an RSA public key lets an attacker sign HS256 with that public key: the algorithm-confusion attack. Pinning the algorithm rules it out whatever the key function returns."},
			{"d", "`jwt.WithJSONNumber()`",
				"That changes how numbers in the claims are decoded, nothing more."},
		},
	},
	{
		ID:     "scale-out",
		Level:  Hard,
		Step:   4,
		Prompt: "You run three authlab instances behind a load balancer, and people sign in from a phone and a laptop each. Which setup works, and what does it cost?",
		Answer: "d",
		Choices: []Choice{
			{"a", "Sessions, each instance with its own SQLite file.",
				"A request that lands on another instance finds no record there and is signed out. Sessions need one store that every instance reads on every request and, with an idle timeout, writes."},
			{"b", "JWTs, each instance generating its own key at start.",
				"Then a token signed by one instance fails the signature check on the other two: the generated key lives in each instance's own data folder."},
			{"c", "Either, unchanged: the browser sends its cookies to every instance.",
				"The cookie travels, but its meaning does not: a session token needs its record, and a JWT needs the key that signed it."},
			{"d", "Either, once every instance reads one shared database and signs with one `AUTHLAB_JWT_SECRET`.",
				"authlab's `-database-url` does this. Sessions are rows every instance reads, so a logout ends one everywhere; each instance keeps the revocation list in memory and hears of every logout through `LISTEN`/`NOTIFY`. The costs: a database round trip per session request, and one secret that must never be shared with a deployment on another database. Devices are not the hard part: each has its own cookie."},
		},
	},
	{
		ID:     "stolen-jwt",
		Level:  Hard,
		Step:   4,
		Prompt: "Someone copies your JWT cookie. Later the server swaps your token for a fresh one (rolling renewal), and then you log out. What can the copy still do?",
		Answer: "c",
		Choices: []Choice{
			{"a", "Everything, until its own `exp`: logout revoked the `jti` of the fresh token, and the copy has another `jti`.",
				"The copy does have another `jti`, but every token renewed from one login carries the same `sid`, and `Tokens.Revoke` revokes that too."},
			{"b", "Keep renewing itself up to your login time plus the session lifetime.",
				"That is what it could do before you logged out: `Tokens.Renew` renews any valid token past half its life. After logout `Verify` refuses it, so there is nothing left to renew."},
			{"c", "Nothing: logout revoked the login's `sid`, which the copy shares with your fresh token.",
				"`Tokens.Revoke` lists the token's `jti` until its `exp` and the login's `sid` until `auth_time` plus the lifetime; `Tokens.Verify` refuses a token whose `jti` or `sid` is listed. Until you log out, though, the copy is as good as yours."},
			{"d", "Forever: a JWT never ends.",
				"`exp` is required (`jwt.WithExpirationRequired()`), and renewal never reaches past `auth_time` plus the lifetime."},
		},
	},
}
