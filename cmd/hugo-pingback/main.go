// Command hugo-pingback brings linkbacks to static Hugo sites: it builds the
// site, injects the receiver's link tags into every page, and sends
// pingbacks, Webmentions and Trackbacks for the links of each page's content.
//
// main only wires flags to packages; see run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hugo-pingback/hugo-pingback/internal/suggest"
)

// Exit codes a CI can act on.
const (
	exitOK     = 0
	exitError  = 1 // config, site, ledger or network errors
	exitUsage  = 2 // a bad command line: unknown command or flag, bad flag value
	exitStrict = 3 // --strict and a notification failed permanently
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (when there is one) and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var strict *strictError
	if errors.As(err, &strict) {
		fmt.Fprintf(stderr, "hugo-pingback: %v\n", err)
		return exitStrict
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "hugo-pingback: %v\n", err)
	var usage *usageError
	if errors.As(err, &usage) {
		return exitUsage
	}
	return exitError
}

// strictError is a run that completed with permanent failures under --strict.
type strictError struct{ failed int }

func (e *strictError) Error() string {
	return fmt.Sprintf("--strict: %d notifications failed permanently (see `hugo-pingback status`)", e.failed)
}

// usageError is a bad command line; the message names the flag.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

var errHelp = errors.New("help shown")

const topUsage = `hugo-pingback: linkbacks (Pingback, Webmention, Trackback) for static Hugo sites

Usage:
  hugo-pingback build  [flags]   build the Hugo site in-process, inject link tags, record pages
  hugo-pingback inject [flags]   add <link rel="pingback"> (and webmention) to every built page
  hugo-pingback send   [flags]   notify the pages newly linked from your content
  hugo-pingback status [flags]   what was sent, failed, or waits for a retry, and why
  hugo-pingback ledger CMD       export, import or compact the ledger of what was sent
  hugo-pingback serve  [flags]   receive pingbacks, Webmentions and Trackbacks for your pages
  hugo-pingback init   [flags]   add the settings to the site's config, and a CI recipe
  hugo-pingback mentions CMD     moderate received mentions; export or pull them into data/
  hugo-pingback version [--json]  the release version and commit, and the embedded Hugo

In CI: build (or hugo), inject, deploy, then send. Run "hugo-pingback COMMAND --help"
for the flags of each command, with examples.
`

// runFunc runs one command on its arguments.
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// commands are the subcommands, by name.
var commands = map[string]runFunc{
	"build":    runBuild,
	"inject":   runInject,
	"send":     runSend,
	"status":   runStatus,
	"ledger":   runLedger,
	"serve":    runServe,
	"init":     runInit,
	"mentions": runMentions,
	"version": func(_ context.Context, args []string, stdout, _ io.Writer) error {
		return runVersion(args, stdout)
	},
}

// run is the whole program: it parses args and dispatches to a command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args[0] = "version"
	}
	return dispatch(ctx, "", commands, topUsage, args, stdout, stderr)
}

// dispatch runs the subcommand of cmds that args[0] names, for the command
// group group ("" for the top level, "ledger", ...). No name prints the
// usage on stderr and is a usage error; help prints it on stdout; an
// unknown name is one usage error naming the closest.
func dispatch(ctx context.Context, group string, cmds map[string]runFunc, usage string, args []string, stdout, stderr io.Writer) error {
	prefix := strings.TrimSpace(group + ": ")
	if prefix == ":" {
		prefix = ""
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("%sno command given", spaced(prefix))
	}
	if cmd, ok := cmds[args[0]]; ok {
		return cmd(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		// help COMMAND is COMMAND --help.
		if len(args) > 1 {
			if cmd, ok := cmds[args[1]]; ok {
				return cmd(ctx, append(args[2:], "--help"), stdout, stderr)
			}
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	return unknownCommand(group, args[0], names)
}

// unknownCommand is the usage error for a command name that is none of
// names, with the closest one.
func unknownCommand(group, name string, names []string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if s := suggest.Closest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	help := "hugo-pingback help"
	if group != "" {
		msg = group + ": " + msg
		help = "hugo-pingback " + group + " help"
	}
	return usagef("%s (%s lists the commands)", msg, help)
}

func spaced(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + " "
}
