package renderer

import (
	"os"
	"testing"
)

// TestInstructionCount is a harness for counting instructions under
// valgrind, which other processes' load cannot distort:
//
//	HP_INSN_MODE=floor valgrind --tool=callgrind ./renderer.test -test.run TestInstructionCount
//
// The modes are none (setup only), floor, extract and full (no early exit);
// subtract none from the others. HP_INSN_CORPUS=DIR counts over a real site
// instead of the synthetic one.
func TestInstructionCount(t *testing.T) {
	mode := os.Getenv("HP_INSN_MODE")
	if mode == "" {
		t.Skip("set HP_INSN_MODE to count instructions under valgrind")
	}
	b := &testing.B{}
	var pages []benchPage
	if os.Getenv("HP_INSN_CORPUS") != "" {
		var err error
		if pages, err = loadPages(os.Getenv("HP_INSN_CORPUS"), "https://gohugo.io/"); err != nil {
			t.Fatal(err)
		}
	} else {
		pages = synthetic(b)
	}
	switch mode {
	case "floor":
		tokenizeAll(pages)
	case "extract", "full":
		fullScan = mode == "full"
		defer func() { fullScan = false }()
		for _, p := range pages {
			if _, err := Extract(p.src, p.url, benchOpts); err != nil {
				t.Fatal(err)
			}
		}
	}
}
