package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/hugo-pingback/hugo-pingback/sender"
)

// writeReports appends the run's Markdown report and key=value counts to the
// files --summary and --outputs name (CI's summary and output files).
func writeReports(rep *sender.Report, summaryFile, outputsFile string) error {
	for _, f := range []struct {
		path, what string
		write      func(io.Writer) error
	}{{summaryFile, "summary", rep.Markdown}, {outputsFile, "outputs", rep.Outputs}} {
		if f.path == "" {
			continue
		}
		if err := appendFile(f.path, f.write); err != nil {
			return fmt.Errorf("write --%s %s: %w", f.what, f.path, err)
		}
	}
	return nil
}

// appendFile appends what write writes to path, creating it, in one write.
func appendFile(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.Write(buf.Bytes()); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
