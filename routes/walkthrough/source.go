// Package walkthrough holds what authlab's /learn pages teach from: the
// steps and the source they quote, the quiz, and the trade-off figures
// measured on the running server. It knows nothing of HTML.
package walkthrough

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
)

// ErrNotFound means a file has no top-level declaration of the name asked
// for: the walkthrough quotes something that was renamed or removed.
var ErrNotFound = errors.New("walkthrough: declaration not found")

// Ref names one declaration in the source: a function ("SigningKey"), a
// method ("Sessions.Login", whatever its receiver's pointerness), or a type,
// constant or variable ("MaxLeeway").
type Ref struct {
	File string // slash-separated path from the module root
	Name string
}

// Snippet is a declaration as it stands in the source, doc comment
// included.
type Snippet struct {
	Ref
	Line    int // first line, 1-based
	EndLine int
	Code    string
}

// Extract cuts the declaration ref names out of its file in fsys. The
// walkthrough quotes the code this way, rather than copying it, so that
// what the pages show is always what the server runs.
func Extract(fsys fs.FS, ref Ref) (Snippet, error) {
	src, err := fs.ReadFile(fsys, ref.File)
	if err != nil {
		return Snippet{}, fmt.Errorf("walkthrough: read %s: %w", ref.File, err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, ref.File, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return Snippet{}, fmt.Errorf("walkthrough: parse %s: %w", ref.File, err)
	}
	start, end, ok := find(f, ref.Name)
	if !ok {
		return Snippet{}, fmt.Errorf("%w: %s in %s", ErrNotFound, ref.Name, ref.File)
	}
	from, to := fset.Position(start), fset.Position(end)
	return Snippet{Ref: ref, Line: from.Line, EndLine: to.Line, Code: string(src[from.Offset:to.Offset])}, nil
}

// find returns the extent of the top-level declaration called name, from
// its doc comment to its end.
func find(f *ast.File, name string) (start, end token.Pos, ok bool) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if funcName(d) == name {
				return withDoc(d.Doc, d.Pos()), d.End(), true
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				if !declares(spec, name) {
					continue
				}
				// A declaration on its own is quoted whole; one in a
				// parenthesised group is quoted alone.
				if !d.Lparen.IsValid() {
					return withDoc(d.Doc, d.Pos()), d.End(), true
				}
				return withDoc(specDoc(spec), spec.Pos()), spec.End(), true
			}
		}
	}
	return token.NoPos, token.NoPos, false
}

// funcName returns "Name" for a function and "Type.Name" for a method.
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + d.Name.Name
		}
		return d.Name.Name
	}
}

func declares(spec ast.Spec, name string) bool {
	switch s := spec.(type) {
	case *ast.TypeSpec:
		return s.Name.Name == name
	case *ast.ValueSpec:
		for _, n := range s.Names {
			if n.Name == name {
				return true
			}
		}
	}
	return false
}

func specDoc(spec ast.Spec) *ast.CommentGroup {
	switch s := spec.(type) {
	case *ast.TypeSpec:
		return s.Doc
	case *ast.ValueSpec:
		return s.Doc
	}
	return nil
}

func withDoc(doc *ast.CommentGroup, pos token.Pos) token.Pos {
	if doc != nil {
		return doc.Pos()
	}
	return pos
}
