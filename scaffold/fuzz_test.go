package scaffold

import (
	"testing"
)

// fuzzBlock checks planBlock's promise on any config: it refuses to read a
// broken one, or leaves it alone with a note, or inserts its block in one
// piece (every other byte kept) and the result parses with the table in it.
func fuzzBlock(t *testing.T, cf configFile, old []byte) {
	c, note, err := planBlock(cf, old)
	if err != nil || c == nil {
		if err == nil && note == "" {
			t.Fatalf("no change and no note for %q", old)
		}
		return
	}
	if !onlyInserted(old, c.New) {
		t.Fatalf("more than an insertion:\n--- old\n%s\n--- new\n%s", old, c.New)
	}
	m, err := parseConfig(cf.format, c.New)
	if err != nil || !hasPingback(m, cf.inParams) {
		t.Fatalf("result does not parse with the table (%v):\n%s", err, c.New)
	}
	if again, _, err := planBlock(cf, c.New); err != nil || again != nil {
		t.Fatalf("second pass: %+v, %v", again, err)
	}
}

func FuzzBlockJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"params":{}}`, "{\n  \"a\": 1,\n  \"params\": {\n    \"b\": [1, {\"c\": 2}]\n  }\n}\n",
		`{"params": "x"}`, `{"Params":{"x":1},"y":2}`, `[1]`, `{"a":{"params":{}}}`, "{\t\"a\" : \"}\"\t}",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, inParams bool) {
		fuzzBlock(t, configFile{path: "hugo.json", format: "json", inParams: inParams}, data)
	})
}

func FuzzBlockYAML(f *testing.F) {
	for _, s := range []string{
		"", "a: 1\n", "params:\n  x: 1\n", "params:\n", "params: {x: 1}\n", "Params:\n    x: 1\ny: 2",
		"# c\nparams: # note\n  x: |\n    text\n  y: 2\n", "params:\n- 1\n", "a:\n  params:\n    b: 1\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, inParams bool) {
		fuzzBlock(t, configFile{path: "hugo.yaml", format: "yaml", inParams: inParams}, data)
	})
}

func FuzzBlockTOML(f *testing.F) {
	for _, s := range []string{"", "a = 1\n", "[params]\nx = 1\n", "params = {x = 1}\n", "[params.other]\n", "a = 1"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, inParams bool) {
		fuzzBlock(t, configFile{path: "hugo.toml", format: "toml", inParams: inParams}, data)
	})
}
