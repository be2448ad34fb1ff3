package views

import (
	"strconv"
	"strings"
)

// seqDiagram is a sequence diagram drawn as inline SVG: actors across the
// top, messages down the page in order, grouped into phases.
type seqDiagram struct {
	ID       string // prefix for the SVG's ids
	Title    string
	Desc     string
	Actors   []string
	Messages []seqMessage
}

// seqMessage is one arrow. From == To draws a step the actor takes alone.
type seqMessage struct {
	Phase string // starts a new phase with this heading
	From  int
	To    int
	Label string
	Reply bool // a response, drawn dashed
}

// Geometry of the diagrams, in SVG user units. The drawing is narrow
// (seqWidth) so that, scaled to fit a phone's 324 px column, its 13-unit
// labels still read at about 11 px; the figure never scrolls sideways.
// A label longer than fits between two lifelines wraps onto lines of
// seqLine each. Each message takes a slot of seqSlot plus its extra label
// lines, its arrow seqArrow below the slot's top and its label just above
// the arrow; a phase heading adds seqPhase above its first message.
const (
	seqWidth     = 390
	seqMargin    = 54 // from each edge to the outer lifelines
	seqActorW    = 100
	seqActorTop  = 8
	seqActorH    = 34
	seqSlot      = 34
	seqArrow     = 26
	seqLine      = 15
	seqPhase     = 24
	seqBottomPad = 16
	// Characters per label line, between two lifelines or beside one for
	// a step an actor takes alone.
	seqLabelChars = 24
)

func (d seqDiagram) actorX(i int) int {
	if len(d.Actors) < 2 {
		return seqWidth / 2
	}
	return seqMargin + i*(seqWidth-2*seqMargin)/(len(d.Actors)-1)
}

// actorLeft is where actor i's box starts.
func (d seqDiagram) actorLeft(i int) int { return d.actorX(i) - seqActorW/2 }

// placed is a message with its position worked out.
type placed struct {
	seqMessage
	Y      int
	PhaseY int      // where the phase heading goes, when Phase is set
	Lines  []string // the label, wrapped
}

// wrapLabel breaks s at spaces into as few lines of at most max characters
// as it can, as even in length as that number of lines allows ("SELECT
// user," over "check argon2id", not "SELECT user, check" over "argon2id").
// A word longer than max gets a line of its own.
func wrapLabel(s string, max int) []string {
	lines := wrapGreedy(s, max)
	for w := max - 1; w > 0; w-- {
		shorter := wrapGreedy(s, w)
		if len(shorter) > len(lines) {
			break
		}
		lines = shorter
	}
	return lines
}

// wrapGreedy fills each line with as many words as fit in max characters.
func wrapGreedy(s string, max int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= max:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func (d seqDiagram) placed() []placed {
	out := make([]placed, 0, len(d.Messages))
	top := seqActorTop + seqActorH + 4
	for _, m := range d.Messages {
		p := placed{seqMessage: m}
		if m.Phase != "" {
			p.PhaseY = top + 4
			top += seqPhase
		}
		p.Lines = wrapLabel(m.Label, seqLabelChars)
		extra := (len(p.Lines) - 1) * seqLine
		if m.From == m.To {
			// The label sits beside the loop, centred on it.
			p.Y = top + seqArrow + extra/2
		} else {
			// The label sits above the arrow.
			p.Y = top + seqArrow + extra
		}
		out = append(out, p)
		top += seqSlot + extra
	}
	return out
}

func (d seqDiagram) height() int {
	ps := d.placed()
	if len(ps) == 0 {
		return seqActorTop + seqActorH
	}
	last := ps[len(ps)-1]
	bottom := last.Y
	if last.From == last.To {
		bottom += (len(last.Lines) - 1) * seqLine / 2
	}
	return bottom + seqBottomPad
}

func (d seqDiagram) viewBox() string {
	return "0 0 " + strconv.Itoa(seqWidth) + " " + strconv.Itoa(d.height())
}

// arrow returns the ends of a message's line. A self-message is drawn as a
// short loop to the right of its actor, so its path is returned instead.
func (d seqDiagram) arrow(p placed) (x1, x2 int) {
	x1, x2 = d.actorX(p.From), d.actorX(p.To)
	const gap = 4 // keep the arrowhead off the lifeline
	if x2 > x1 {
		return x1, x2 - gap
	}
	return x1, x2 + gap
}

func (d seqDiagram) selfPath(p placed) string {
	x := d.actorX(p.From)
	top, bottom := p.Y-8, p.Y+8
	return "M" + itoa(x) + "," + itoa(top) + " h24 v" + itoa(bottom-top) + " h-20"
}

func (d seqDiagram) labelX(p placed) int {
	if p.From == p.To {
		return d.actorX(p.From) + 30
	}
	return (d.actorX(p.From) + d.actorX(p.To)) / 2
}

// labelY is the baseline of line i of p's label: the lines end just above
// an arrow, and are centred on a self-message's loop.
func (d seqDiagram) labelY(p placed, i int) int {
	n := len(p.Lines)
	if p.From == p.To {
		return p.Y + 4 - (n-1)*seqLine/2 + i*seqLine
	}
	return p.Y - 6 - (n-1-i)*seqLine
}

func itoa(n int) string { return strconv.Itoa(n) }

var sessionDiagram = seqDiagram{
	ID:     "seq-session",
	Title:  "Server session: login, a later request, logout",
	Desc:   "Login checks the password, writes a session row and a row in the index of logins, and sets a cookie holding only a random token. A later request sends the cookie; the server finds the row, loads the user, and writes the row back with its new last-seen time at most once a step (a tenth of the idle timeout, a minute at most). Logout deletes the row and clears the cookie, so every copy of the token stops working at once.",
	Actors: []string{"Browser", "authlab", "SQLite"},
	Messages: []seqMessage{
		{Phase: "Log in", From: 0, To: 1, Label: "POST /session/login"},
		{From: 1, To: 2, Label: "SELECT user, check argon2id"},
		{From: 1, To: 1, Label: "RenewToken, Put user id"},
		{From: 1, To: 2, Label: "INSERT session row"},
		{From: 1, To: 2, Label: "INSERT login row"},
		{From: 1, To: 0, Label: "303 + cookie: random token", Reply: true},
		{Phase: "A later request", From: 0, To: 1, Label: "GET /session/dashboard + cookie"},
		{From: 1, To: 2, Label: "find row"},
		{From: 1, To: 2, Label: "SELECT user by id"},
		{From: 1, To: 0, Label: "200 dashboard", Reply: true},
		{Phase: "Log out", From: 0, To: 1, Label: "POST /session/logout + cookie"},
		{From: 1, To: 2, Label: "DELETE session row"},
		{From: 1, To: 0, Label: "303 + cookie cleared", Reply: true},
	},
}

var jwtDiagram = seqDiagram{
	ID:     "seq-jwt",
	Title:  "JWT cookie: login, a later request, logout",
	Desc:   "Login checks the password, signs an HS256 token, writes a row in the index of logins (which no request reads; it lets the user list and end the login) and sets the token as a cookie. A later request sends the cookie; the server checks the signature, the claims and its in-memory revocation list, then loads the user. Logout adds the token's id (until it expires) and its login's id (until the login's lifetime ends) to the revocation list and clears the cookie, so older copies renewed from the same login are refused too.",
	Actors: []string{"Browser", "authlab", "SQLite"},
	Messages: []seqMessage{
		{Phase: "Log in", From: 0, To: 1, Label: "POST /jwt/login"},
		{From: 1, To: 2, Label: "SELECT user, check argon2id"},
		{From: 1, To: 1, Label: "sign claims with HS256"},
		{From: 1, To: 2, Label: "INSERT login row"},
		{From: 1, To: 0, Label: "303 + cookie: signed JWT", Reply: true},
		{Phase: "A later request", From: 0, To: 1, Label: "GET /jwt/dashboard + cookie"},
		{From: 1, To: 1, Label: "check signature, claims, revoked list"},
		{From: 1, To: 2, Label: "SELECT user by id"},
		{From: 1, To: 0, Label: "200 dashboard", Reply: true},
		{Phase: "Log out", From: 0, To: 1, Label: "POST /jwt/logout + cookie"},
		{From: 1, To: 2, Label: "INSERT jti, sid into revoked_tokens"},
		{From: 1, To: 0, Label: "303 + cookie cleared", Reply: true},
	},
}
