package api

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The OpenAPI document is a contract, so it is held to the router: every
// route Gin has is documented with the parameters its handler reads, every
// documented operation exists, and real answers match their schemas.

type oaDoc struct {
	OpenAPI    string                            `json:"openapi"`
	Paths      map[string]map[string]oaOperation `json:"paths"`
	Components struct {
		Parameters map[string]oaParam        `json:"parameters"`
		Responses  map[string]oaResponse     `json:"responses"`
		Schemas    map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

type oaOperation struct {
	OperationID string                `json:"operationId"`
	Parameters  []oaParam             `json:"parameters"`
	Responses   map[string]oaResponse `json:"responses"`
}

type oaParam struct {
	Ref      string         `json:"$ref"`
	Name     string         `json:"name"`
	In       string         `json:"in"`
	Required bool           `json:"required"`
	Schema   map[string]any `json:"schema"`
	Example  any            `json:"example"`
}

type oaResponse struct {
	Ref     string `json:"$ref"`
	Content map[string]struct {
		Schema map[string]any `json:"schema"`
	} `json:"content"`
}

func loadDoc(t *testing.T) *oaDoc {
	t.Helper()
	var d oaDoc
	if err := json.Unmarshal(openAPIDoc, &d); err != nil {
		t.Fatal(err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", d.OpenAPI)
	}
	return &d
}

func (d *oaDoc) param(t *testing.T, p oaParam) oaParam {
	if p.Ref == "" {
		return p
	}
	name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
	q, ok := d.Components.Parameters[name]
	if !ok {
		t.Fatalf("dangling %s", p.Ref)
	}
	return q
}

func (d *oaDoc) response(t *testing.T, r oaResponse) oaResponse {
	if r.Ref == "" {
		return r
	}
	name := strings.TrimPrefix(r.Ref, "#/components/responses/")
	q, ok := d.Components.Responses[name]
	if !ok {
		t.Fatalf("dangling %s", r.Ref)
	}
	return q
}

var ginParam = regexp.MustCompile(`[:*]([a-z]+)`)

// openAPIPath turns Gin's /api/papers/*id into /api/papers/{id}.
func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// queryParams lists the query parameters each handler reads.
var queryParams = map[string][]string{
	"/api/papers":              {"format", "replace"},
	"/api/search":              SearchParams,
	"/feed.atom":               SearchParams,
	"/":                        SearchParams,
	"/api/suggest":             {"q", "size"},
	"/api/papers/{id}/similar": {"size"},
}

// subRoutes are documented paths that Gin cannot route on their own: a
// wildcard route serves them and its handler tells them apart by suffix.
var subRoutes = map[string]string{
	"/api/papers/{id}/similar": "/api/papers/*id",
}

func TestOpenAPICoversRoutes(t *testing.T) {
	d := loadDoc(t)
	r, err := newRouter(Config{Index: newTestEnv(t).idx})
	if err != nil {
		t.Fatal(err)
	}
	routed := map[string]bool{}
	type route struct{ method, path, doc string }
	var routes []route
	for _, rt := range r.Routes() {
		routes = append(routes, route{rt.Method, rt.Path, openAPIPath(rt.Path)})
		for sub, via := range subRoutes {
			// The suffix is read (GET and its preflight) only: DELETE
			// /api/papers/{id} takes the whole rest of the path as the id.
			if rt.Path == via && (rt.Method == http.MethodGet || rt.Method == http.MethodOptions) {
				routes = append(routes, route{rt.Method, via, sub})
			}
		}
	}
	for _, rt := range routes {
		p := rt.doc
		ops, ok := d.Paths[p]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json (as %s)", rt.method, rt.path, p)
			continue
		}
		if rt.method == http.MethodOptions {
			// CORS preflights: the document describes them once, in info.
			if _, ok := ops["get"]; !ok {
				t.Errorf("OPTIONS %s answers a preflight for a GET that is not documented", p)
			}
			continue
		}
		op, ok := ops[strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("route %s %s: no %s operation", rt.method, p, strings.ToLower(rt.method))
			continue
		}
		routed[strings.ToLower(rt.method)+" "+p] = true

		var inPath, inQuery []string
		for _, prm := range op.Parameters {
			prm = d.param(t, prm)
			switch prm.In {
			case "path":
				inPath = append(inPath, prm.Name)
				if !prm.Required {
					t.Errorf("%s: path parameter %s not required", p, prm.Name)
				}
			case "query":
				inQuery = append(inQuery, prm.Name)
			default:
				t.Errorf("%s: parameter %s in %q", p, prm.Name, prm.In)
			}
		}
		var want []string
		for _, m := range ginParam.FindAllStringSubmatch(rt.path, -1) {
			want = append(want, m[1])
		}
		if !slices.Equal(inPath, want) {
			t.Errorf("%s: documented path parameters %v, route has %v", p, inPath, want)
		}
		sort.Strings(inQuery)
		wantQ := slices.Sorted(slices.Values(queryParams[p]))
		if !slices.Equal(inQuery, wantQ) {
			t.Errorf("%s: documented query parameters %v, handler reads %v", p, inQuery, wantQ)
		}
	}
	for p, ops := range d.Paths {
		for m := range ops {
			if !routed[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which no route serves", strings.ToUpper(m), p)
			}
		}
	}
}

// TestOpenAPIMatchesAnswers calls every documented operation with the
// documented examples, then with a bad value for each integer parameter,
// and checks each answer against the documented status and schema.
func TestOpenAPIMatchesAnswers(t *testing.T) {
	d := loadDoc(t)
	e := newTestEnv(t)
	for path, ops := range d.Paths {
		for method, op := range ops {
			t.Run(method+" "+path, func(t *testing.T) {
				u := path
				q := url.Values{}
				var ints []string
				for _, p := range op.Parameters {
					p = d.param(t, p)
					if p.Schema["type"] == "integer" && p.In == "query" {
						ints = append(ints, p.Name)
					}
					if p.Example == nil {
						continue
					}
					switch p.In {
					case "path":
						u = strings.ReplaceAll(u, "{"+p.Name+"}", fmt.Sprint(p.Example))
					case "query":
						if vs, ok := p.Example.([]any); ok {
							for _, v := range vs {
								q.Add(p.Name, fmt.Sprint(v))
							}
						} else {
							q.Set(p.Name, fmt.Sprint(p.Example))
						}
					}
				}
				if strings.Contains(path, "{id}") {
					u = strings.ReplaceAll(path, "{id}", "2501.00001") // a paper the test index has
				}
				if strings.Contains(u, "{") {
					t.Fatalf("no example for a path parameter of %s", path)
				}
				check(t, d, op, e.do(t, strings.ToUpper(method), u+query(q)))
				check(t, d, op, e.do(t, strings.ToUpper(method), u)) // defaults: a first page with more to come
				for _, name := range ints {
					bad := url.Values{}
					for k, v := range q {
						bad[k] = v
					}
					bad.Set(name, "-7")
					check(t, d, op, e.do(t, strings.ToUpper(method), u+query(bad)))
				}
				// Answers with the optional parts of their schema.
				for _, x := range answersWithExtras[op.OperationID] {
					r := e.do(t, strings.ToUpper(method), u+query(x.params))
					if !strings.Contains(string(r.body), `"`+x.has+`":`) {
						t.Errorf("%s%s: the answer has no %s, so its schema goes unchecked: %s", u, query(x.params), x.has, clipBody(r.body))
					}
					check(t, d, op, r)
				}
			})
		}
	}
	// Unknown routes and methods answer with the documented error shape.
	for _, r := range []response{e.get(t, "/nope"), e.do(t, "POST", "/api/topics")} {
		var v any
		json.Unmarshal(r.body, &v)
		if err := validate(d, map[string]any{"$ref": "#/components/schemas/Error"}, v, "$"); err != nil {
			t.Errorf("%d: %v", r.status, err)
		}
	}
}

// answersWithExtras are requests, by operation, whose answers have the
// optional fields the documented examples do not bring out.
var answersWithExtras = map[string][]struct {
	params url.Values
	has    string // a field the answer must have
}{
	"search": {
		{url.Values{"q": {"quantizaton"}}, "corrected_query"},
		{url.Values{"q": {"LLM"}}, "expansions"},
		{url.Values{"q": {`"long context`}}, "notices"},
		{url.Values{"q": {"quantization"}, "explain": {"true"}}, "explanation"},
	},
	"suggest": {
		{url.Values{"q": {"large lang"}}, "kind"}, // a phrase and titles
		{url.Values{"q": {"quant"}}, "topic"},
	},
}

func check(t *testing.T, d *oaDoc, op oaOperation, r response) {
	t.Helper()
	code := fmt.Sprint(r.status)
	resp, ok := op.Responses[code]
	if !ok {
		t.Errorf("%s: status %s is not documented: %s", op.OperationID, code, clipBody(r.body))
		return
	}
	resp = d.response(t, resp)
	if len(resp.Content) == 0 {
		return
	}
	ct, _, _ := strings.Cut(r.header.Get("Content-Type"), ";")
	media, ok := resp.Content[ct]
	if !ok {
		media, ok = resp.Content["*/*"]
	}
	if !ok {
		t.Errorf("%s %s: Content-Type %q is not documented", op.OperationID, code, ct)
		return
	}
	if ct != "application/json" {
		return
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Errorf("%s %s: %v", op.OperationID, code, err)
		return
	}
	if err := validate(d, media.Schema, v, "$"); err != nil {
		t.Errorf("%s %s: %v", op.OperationID, code, err)
	}
}

// validate checks v against the part of JSON Schema the document uses:
// $ref, type, required, properties, items, enum, const. An object with
// properties is taken as closed, so an undocumented field is an error.
func validate(d *oaDoc, s map[string]any, v any, at string) error {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := d.Components.Schemas[name]
		if !ok {
			return fmt.Errorf("%s: dangling %s", at, ref)
		}
		return validate(d, target, v, at)
	}
	if c, ok := s["const"]; ok && c != v {
		return fmt.Errorf("%s: %v, want const %v", at, v, c)
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		return fmt.Errorf("%s: %v not in %v", at, v, enum)
	}
	switch s["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want object", at, v)
		}
		for _, r := range asStrings(s["required"]) {
			if _, ok := obj[r]; !ok {
				return fmt.Errorf("%s: missing %s", at, r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if props != nil {
					return fmt.Errorf("%s: undocumented field %q", at, k)
				}
				continue
			}
			if err := validate(d, ps, val, at+"."+k); err != nil {
				return err
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want array", at, v)
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range arr {
				if err := validate(d, items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %T, want string", at, v)
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s: %v, want integer", at, v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s: %T, want number", at, v)
		}
	}
	return nil
}

func asStrings(v any) []string {
	var out []string
	xs, _ := v.([]any)
	for _, x := range xs {
		out = append(out, x.(string))
	}
	return out
}

// TestOpenAPIServed checks the document on the wire is the embedded one.
func TestOpenAPIServed(t *testing.T) {
	e := newTestEnv(t)
	r := e.get(t, "/openapi.json")
	if r.status != 200 || string(r.body) != string(openAPIDoc) {
		t.Errorf("status %d, %d bytes", r.status, len(r.body))
	}
}

// The routes that wait for a search slot list the answers of waiting too
// long (503) and of a client over its rate (429).
func TestOpenAPIListsQueueAnswers(t *testing.T) {
	d := loadDoc(t)
	for _, path := range []string{"/api/search", "/api/suggest", "/api/papers/{id}/similar", "/feed.atom", "/"} {
		op, ok := d.Paths[path]["get"]
		if !ok {
			t.Fatalf("no GET %s", path)
		}
		for _, code := range []string{"429", "503"} {
			r, ok := op.Responses[code]
			if !ok {
				t.Errorf("GET %s does not list %s", path, code)
				continue
			}
			if len(d.response(t, r).Content) == 0 {
				t.Errorf("GET %s: %s has no content", path, code)
			}
		}
	}
}

// Every error code the handlers can answer with is in the Error schema's
// enum, which generated clients and validators check answers against
// (unsupported_encoding was missing). The codes are read from the source:
// the second field of each httpError literal, and the code a status
// mapping returns beside its status.
func TestOpenAPIErrorCodes(t *testing.T) {
	d := loadDoc(t)
	errSchema := d.Components.Schemas["Error"]
	props := errSchema["properties"].(map[string]any)["error"].(map[string]any)["properties"].(map[string]any)
	enum := map[string]bool{}
	for _, v := range props["code"].(map[string]any)["enum"].([]any) {
		enum[v.(string)] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	codes := map[string]string{} // code -> where
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			var lit ast.Expr
			switch n := n.(type) {
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "httpError" && len(n.Elts) >= 2 {
					lit = n.Elts[1]
				}
			case *ast.ReturnStmt:
				if len(n.Results) == 3 {
					if sel, ok := n.Results[0].(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Status") {
						lit = n.Results[1]
					}
				}
			}
			if b, ok := lit.(*ast.BasicLit); ok && b.Kind == token.STRING {
				codes[strings.Trim(b.Value, `"`)] = fset.Position(b.Pos()).String()
			}
			return true
		})
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d error codes in the source: %v", len(codes), codes)
	}
	for code, where := range codes {
		if !enum[code] {
			t.Errorf("%s answers with code %q, which the Error schema's enum lacks", where, code)
		}
	}
}
