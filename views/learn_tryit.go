package views

import "strings"

type tryLink struct {
	Href  string
	Label string
}

// tryCommand is a shell command for the learner to run, with what it shows.
type tryCommand struct {
	Caption string
	Text    string
}

// tryLinks are the live pages that show what a step explains: both
// logins and the compare page on every step, and what else the step is
// about.
func tryLinks(l Links, step int) []tryLink {
	links := []tryLink{
		{l.Session.Login + "?next=" + l.Compare, "Log in with a server session"},
		{l.JWT.Login + "?next=" + l.Compare, "Log in with a JWT cookie"},
		{l.Compare, "Compare what each strategy knows about this browser"},
	}
	switch step {
	case 1:
		links = append(links, tryLink{l.Signup, "Create an account"})
	case 4:
		links = append(links, tryLink{l.Session.Dashboard, "Session dashboard"}, tryLink{l.JWT.Dashboard, "JWT dashboard"})
	}
	return links
}

// loginJSON is the demo login as POST /api/auth takes it.
const loginJSON = `-H 'Content-Type: application/json' -d '{"username":"user1","password":"pass123"}'`

// tryCommands are the curl commands for a step, aimed at base, the
// server's public URL.
func tryCommands(step int, base string) []tryCommand {
	base = strings.TrimSuffix(base, "/")
	api := base + "/api/auth"
	switch step {
	case 1:
		return []tryCommand{
			{"Sign up from the command line (201 the first time, 409 after). The password is hashed before it reaches the table:",
				"curl -s -o /dev/null -w '%{http_code}\\n' -d username=ada -d 'password=correct horse battery' " + base + "/signup"},
			{"A wrong password and an unknown user get the same answer, after the same argon2id work:",
				"curl -s -H 'Content-Type: application/json' -d '{\"username\":\"user1\",\"password\":\"wrong\"}' " + api + "\n" +
					"curl -s -H 'Content-Type: application/json' -d '{\"username\":\"nobody\",\"password\":\"wrong\"}' " + api},
		}
	case 2:
		return []tryCommand{
			{"Decode the header of a token this server signs; it names HS256, the only algorithm Verify accepts:",
				"curl -s " + loginJSON + " " + api + " | sed -E 's/.*\"token\":\"([^.]+)\\..*/\\1/' | base64 -d; echo"},
			{"Start a second server with a key that is too short, and watch it refuse to start:",
				"AUTHLAB_JWT_SECRET=tooshort go run . -addr 127.0.0.1:0"},
			{"Or one with short lifetimes, to watch both strategies expire on the compare page:",
				"go run . -addr 127.0.0.1:8081 -data ./data-short -session-idle 1m -jwt-ttl 40s"},
		}
	case 3:
		return []tryCommand{
			{"Log in through the API: the body carries a JWT, and the response sets a session cookie as well:",
				"curl -s -i -c authlab-cookies.txt " + loginJSON + " " + api},
		}
	default:
		return []tryCommand{
			{"Log in and keep both credentials: the JWT in a shell variable, the session cookie in a file:",
				"TOKEN=$(curl -s -c authlab-cookies.txt " + loginJSON + " " + api + " | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')"},
			{"Ask who you are, with the Bearer header and then with the session cookie:",
				"curl -s -H \"Authorization: Bearer $TOKEN\" " + api + "\n" +
					"curl -s -b authlab-cookies.txt " + api},
			{"Log out of both (204), then present the same two credentials again: the JWT is revoked, the session has no record:",
				"curl -s -o /dev/null -w '%{http_code}\\n' -X DELETE -b authlab-cookies.txt -H \"Authorization: Bearer $TOKEN\" " + api + "\n" +
					"curl -s -b authlab-cookies.txt -H \"Authorization: Bearer $TOKEN\" " + api},
		}
	}
}
