package scaffold

import (
	"fmt"
	"strings"
)

// contextLines is how many unchanged lines a diff shows around a change.
const contextLines = 3

// Diff is the change as a unified diff (git apply and patch read it): one
// hunk, since init only ever inserts one block into a file or writes a new
// file.
func (c Change) Diff() string {
	oldLines, newLines := lines(string(c.Old)), lines(string(c.New))
	// The changed region: everything between the common head and tail.
	head := 0
	for head < len(oldLines) && head < len(newLines) && oldLines[head] == newLines[head] {
		head++
	}
	tail := 0
	for tail < len(oldLines)-head && tail < len(newLines)-head &&
		oldLines[len(oldLines)-1-tail] == newLines[len(newLines)-1-tail] {
		tail++
	}
	if head == len(oldLines) && head == len(newLines) {
		return ""
	}
	start := max(head-contextLines, 0)
	oldEnd := min(len(oldLines)-tail+contextLines, len(oldLines))
	newEnd := min(len(newLines)-tail+contextLines, len(newLines))

	var b strings.Builder
	from := "a/" + c.Path
	if c.Old == nil {
		from = "/dev/null"
	}
	fmt.Fprintf(&b, "--- %s\n+++ b/%s\n", from, c.Path)
	fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(start, oldEnd-start), hunkRange(start, newEnd-start))
	for _, l := range oldLines[start:head] {
		b.WriteString(" " + l)
	}
	for _, l := range oldLines[head : len(oldLines)-tail] {
		b.WriteString("-" + l)
	}
	for _, l := range newLines[head : len(newLines)-tail] {
		b.WriteString("+" + l)
	}
	for _, l := range oldLines[len(oldLines)-tail : oldEnd] {
		b.WriteString(" " + l)
	}
	return b.String()
}

// hunkRange is a unified diff range: "start,count", 1-based; an empty range
// names the line before it.
func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if count == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}

// lines splits text into lines that keep their newline; a last line
// without one is marked as diff does.
func lines(text string) []string {
	if text == "" {
		return nil
	}
	ls := strings.SplitAfter(text, "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	if last := ls[len(ls)-1]; !strings.HasSuffix(last, "\n") {
		ls[len(ls)-1] = last + "\n\\ No newline at end of file\n"
	}
	return ls
}
