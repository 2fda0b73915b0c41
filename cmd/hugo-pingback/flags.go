package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
	"github.com/hugo-pingback/hugo-pingback/internal/suggest"
)

// command is one subcommand's command line. Its settings flags come from
// config.Settings (the flags of the settings the command takes); its own
// options (--dry-run, --json) are declared by the command. Settings given
// on the command line are kept in order and applied over the site's config
// by apply, so flags win and repeated list flags add up.
type command struct {
	name     string
	scope    config.Scope
	synopsis string
	examples string
	stdout   io.Writer
	fs       *flag.FlagSet
	// given are the settings flags in the order they appeared.
	given []given
	// options are the command's own flags, for --help.
	options []option
	// args are the positional arguments, when the command takes them.
	args    []string
	maxArgs int
	argsUse string
	// bad is the error of the last flag value that failed to parse, with
	// the flag's name: the flag package's own message would not have it.
	bad error
	// hugo is set when the command takes flags of `hugo build`: all of
	// them, or those hugoNames names; hugoFlags holds their values.
	hugo      bool
	hugoNames []string
	hugoFlags hugosite.Flags
}

type given struct {
	s    *config.Setting
	text string
}

type option struct {
	name, arg, help string
}

func newCommand(name string, scope config.Scope, synopsis, examples string, stdout io.Writer) *command {
	c := &command{name: name, scope: scope, synopsis: synopsis, examples: examples, stdout: stdout}
	c.fs = flag.NewFlagSet(name, flag.ContinueOnError)
	c.fs.SetOutput(io.Discard)
	c.fs.Usage = func() {} // help is printed once, by parse
	for _, s := range config.Settings {
		if !s.FlagIn(scope) {
			continue
		}
		v := &settingFlag{c: c, s: s}
		c.fs.Var(v, s.Flag, s.Help)
		for _, a := range s.Aliases {
			c.fs.Var(v, a, s.Help)
		}
	}
	return c
}

// settingFlag is the flag.Value of a setting: it checks the value at once
// (so a typo fails before any work) and records it for apply.
type settingFlag struct {
	c *command
	s *config.Setting
}

func (f *settingFlag) String() string { return "" }
func (f *settingFlag) IsBoolFlag() bool {
	return f != nil && f.s != nil && f.s.IsBool()
}
func (f *settingFlag) Set(text string) error {
	if _, err := f.s.ParseFlag(text); err != nil {
		f.c.bad = fmt.Errorf("--%s %q: %w", f.s.Flag, text, err)
		return err
	}
	f.c.given = append(f.c.given, given{f.s, text})
	return nil
}

// Bool declares a switch of the command's own.
func (c *command) Bool(name, help string) *bool {
	c.options = append(c.options, option{name, "", help})
	return c.fs.Bool(name, false, help)
}

// String declares a valued option of the command's own.
func (c *command) String(name, arg, help string) *string {
	c.options = append(c.options, option{name, arg, help})
	return c.fs.String(name, "", help)
}

// HugoFlags declares the flags of `hugo build` (hugosite.BuildFlags), so
// that the command replaces hugo in a build command as it is, and returns
// the map their values are recorded in, for hugosite.Options.Flags. Each
// value is checked when given.
func (c *command) HugoFlags() hugosite.Flags { return c.hugoFlagsNamed(nil) }

// HugoConfigFlags declares the flags of `hugo build` that choose the site's
// config (--config, --configDir), for the commands that read the config
// and the page data of a site built with them.
func (c *command) HugoConfigFlags() { c.hugoFlagsNamed([]string{"config", "configDir"}) }

func (c *command) hugoFlagsNamed(names []string) hugosite.Flags {
	c.hugo, c.hugoNames, c.hugoFlags = true, names, hugosite.Flags{}
	for _, bf := range c.hugoBuildFlags() {
		v := &hugoFlag{c: c, f: bf, into: c.hugoFlags}
		c.fs.Var(v, bf.Name, bf.Help)
		if bf.Short != "" {
			c.fs.Var(v, bf.Short, bf.Help)
		}
	}
	return c.hugoFlags
}

// hugoBuildFlags are the flags of hugo build the command takes.
func (c *command) hugoBuildFlags() []hugosite.BuildFlag {
	if c.hugoNames == nil {
		return hugosite.BuildFlags
	}
	var fs []hugosite.BuildFlag
	for _, bf := range hugosite.BuildFlags {
		if slices.Contains(c.hugoNames, bf.Name) {
			fs = append(fs, bf)
		}
	}
	return fs
}

// hugoFlag is the flag.Value of a flag of hugo build.
type hugoFlag struct {
	c    *command
	f    hugosite.BuildFlag
	into hugosite.Flags
}

func (h *hugoFlag) String() string { return "" }
func (h *hugoFlag) IsBoolFlag() bool {
	return h != nil && h.f.IsBool()
}
func (h *hugoFlag) Set(text string) error {
	if err := h.f.Check(text); err != nil {
		h.c.bad = fmt.Errorf("--%s %q: %w", h.f.Name, text, err)
		return err
	}
	h.into[h.f.Name] = append(h.into[h.f.Name], text)
	return nil
}

// Args lets the command take up to max positional arguments (-1: any
// number), described as use in --help.
func (c *command) Args(max int, use string) {
	c.maxArgs, c.argsUse = max, use
}

// parse reads the command line. --help prints the help once and returns
// errHelp; a mistake is one usage error naming the flag, with the closest
// flag when the name is unknown.
func (c *command) parse(args []string) error {
	var rest []string
	for {
		err := c.fs.Parse(args)
		if err != nil {
			return c.flagError(err)
		}
		if c.fs.NArg() == 0 {
			break
		}
		// Positional arguments may come before or between flags.
		rest = append(rest, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(rest) > 0 && c.maxArgs == 0 {
		return usagef("%s: unexpected argument %q", c.name, rest[0])
	}
	if c.maxArgs > 0 && len(rest) > c.maxArgs {
		return usagef("%s: too many arguments (want %s)", c.name, c.argsUse)
	}
	c.args = rest
	return nil
}

func (c *command) flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		c.help()
		return errHelp
	}
	if c.bad != nil {
		return &usageError{fmt.Sprintf("%s: %v", c.name, c.bad)}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		line := fmt.Sprintf("%s: unknown flag --%s", c.name, name)
		if s := suggest.Closest(name, c.flagNames()); s != "" {
			line += fmt.Sprintf("; did you mean --%s?", s)
		}
		return &usageError{line}
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return usagef("%s: --%s needs a value", c.name, strings.TrimLeft(name, "-"))
	}
	// The flag package's "invalid boolean value "maybe" for -dry-run: parse
	// error" and "invalid value "x" for flag -state: why", in this tool's words.
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		why := m[3]
		if why == "parse error" {
			why = "want true or false"
		}
		return usagef("%s: --%s %s: %s", c.name, m[2], m[1], why)
	}
	return usagef("%s: %s", c.name, msg)
}

var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+(\S+): (.*)$`)

func (c *command) flagNames() []string {
	var names []string
	c.fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) > 1 {
			names = append(names, f.Name)
		}
	})
	return names
}

// set reports whether the setting with this flag name was given.
func (c *command) set(flagName string) bool {
	for _, g := range c.given {
		if g.s.Flag == flagName {
			return true
		}
	}
	return false
}

// value returns the last text given for the setting's flag, if any.
func (c *command) value(flagName string) (string, bool) {
	text, ok := "", false
	for _, g := range c.given {
		if g.s.Flag == flagName {
			text, ok = g.text, true
		}
	}
	return text, ok
}

// apply lays the settings given on the command line over cfg, in order. A
// list flag given several times adds up; its first occurrence replaces
// what the config said.
func (c *command) apply(cfg *config.Config) error {
	seen := map[*config.Setting]bool{}
	for _, g := range c.given {
		if err := g.s.SetFlag(cfg, g.text, seen[g.s]); err != nil {
			return usagef("--%s: %v", g.s.Flag, err)
		}
		seen[g.s] = true
	}
	return nil
}

// help prints the command's help: what it does, each flag with its
// default and its config key, and examples.
func (c *command) help() {
	w := c.stdout
	use := c.name + " [flags]"
	if c.argsUse != "" {
		use += " " + c.argsUse
	}
	fmt.Fprintf(w, "Usage: hugo-pingback %s\n\n%s\n", use, c.synopsis)
	if len(c.options) > 0 {
		fmt.Fprintf(w, "\nOptions:\n")
		opts := append([]option(nil), c.options...)
		sort.Slice(opts, func(i, j int) bool { return opts[i].name < opts[j].name })
		for _, o := range opts {
			printFlag(w, "--"+o.name, o.arg, o.help, "")
		}
	}
	if c.scope != 0 { // version takes no settings
		fmt.Fprintf(w, "\nSettings (a flag overrides the key of the same setting under [params.pingback]):\n")
	}
	for _, s := range config.Settings {
		if !s.FlagIn(c.scope) {
			continue
		}
		names := "--" + s.Flag
		for _, a := range s.Aliases {
			if len(a) == 1 {
				names = "-" + a + ", " + names
			} else {
				names += ", --" + a
			}
		}
		arg := ""
		if !s.IsBool() {
			arg = s.Placeholder()
			if s.IsList() {
				arg += "..."
			}
		}
		var notes []string
		if s.Default != "" && !s.Negate {
			notes = append(notes, "default "+s.Default)
		}
		if s.Key != "" {
			note := "key " + s.Key
			if s.Negate {
				note += " = false"
			}
			notes = append(notes, note)
		}
		help := s.Help
		if s.FlagHelp != "" {
			help = s.FlagHelp
		}
		printFlag(w, names, arg, help, strings.Join(notes, "; "))
	}
	if c.hugo {
		if c.hugoNames == nil {
			fmt.Fprintf(w, "\nHugo's build flags (as hugo takes them, with Hugo's meaning):\n")
		} else {
			fmt.Fprintf(w, "\nHugo's config flags (as hugo takes them; give those the build was given):\n")
		}
		for _, bf := range c.hugoBuildFlags() {
			names := "--" + bf.Name
			if bf.Short != "" {
				names = "-" + bf.Short + ", " + names
			}
			arg := bf.Arg
			if bf.List {
				arg += "..."
			}
			printFlag(w, names, arg, bf.Help, "")
		}
	}
	fmt.Fprintf(w, "\nExamples:\n%s", c.examples)
}

func printFlag(w io.Writer, names, arg, help, note string) {
	if arg != "" {
		names += " " + arg
	}
	if note != "" {
		help += " (" + note + ")"
	}
	fmt.Fprintf(w, "  %s\n", names)
	for _, line := range wrap(help, 86) {
		fmt.Fprintf(w, "      %s\n", line)
	}
}

// wrap breaks text into lines of at most width bytes at spaces, keeping
// the line breaks it has.
func wrap(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				lines = append(lines, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		lines = append(lines, line)
	}
	return lines
}
