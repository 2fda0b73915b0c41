package releasetest

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The stamp the test build gets, as GoReleaser would for tag v1.2.3.
const (
	stampVersion = "1.2.3"
	stampCommit  = "0123456789abcdef0123456789abcdef01234567"
	stampDate    = "2026-12-01T10:00:00Z"
)

// releaseBin is the binary built by TestMain with the flags of .goreleaser.yaml.
var releaseBin string

// root is the repository root, absolute: scripts run in other directories.
var root string

func TestMain(m *testing.M) {
	var err error
	if root, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "hugo-pingback-release")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	releaseBin, err = buildRelease(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "build the release binary:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// goreleaserConfig is the part of .goreleaser.yaml this package checks and builds with.
type goreleaserConfig struct {
	Version int `yaml:"version"`
	Builds  []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
	} `yaml:"builds"`
	Archives []struct {
		IDs             []string `yaml:"ids"`
		NameTemplate    string   `yaml:"name_template"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		Files []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
}

func loadGoreleaser() (*goreleaserConfig, error) {
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		return nil, err
	}
	var c goreleaserConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("parse .goreleaser.yaml: %w", err)
	}
	if len(c.Builds) != 1 {
		return nil, fmt.Errorf(".goreleaser.yaml: %d builds, want 1", len(c.Builds))
	}
	return &c, nil
}

// stamp fills GoReleaser's template fields the way a release of v1.2.3 does.
func stamp(s string) string {
	return strings.NewReplacer("{{.Version}}", stampVersion, "{{.Commit}}", stampCommit, "{{.Date}}", stampDate).Replace(s)
}

// buildRelease runs `go build` with the env, flags and ldflags of the one
// build in .goreleaser.yaml, for this machine's platform.
func buildRelease(dir string) (string, error) {
	c, err := loadGoreleaser()
	if err != nil {
		return "", err
	}
	b := c.Builds[0]
	bin := filepath.Join(dir, b.Binary)
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := append([]string{"build"}, b.Flags...)
	args = append(args, "-ldflags", stamp(strings.Join(b.Ldflags, " ")), "-o", bin, b.Main)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), b.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestReleaseVersion checks that the ldflags of .goreleaser.yaml reach
// `hugo-pingback version`: the release version (with the tag's v), commit and date.
func TestReleaseVersion(t *testing.T) {
	out := run(t, releaseBin, "version")
	want := "hugo-pingback v1.2.3 (commit " + stampCommit + ", built " + stampDate + ")\nHugo v"
	if !strings.HasPrefix(out, want) {
		t.Errorf("version:\n%s\nwant it to start with\n%s", out, want)
	}
	var v struct{ Version, Source, Commit, Date, Hugo, Platform string }
	if err := json.Unmarshal([]byte(run(t, releaseBin, "version", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != "v1.2.3" || v.Source != "release" || v.Commit != stampCommit || v.Date != stampDate || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version --json: %+v", v)
	}
}

// TestReleaseBinaryIsStatic checks what a distroless or scratch image and
// any Linux runner need: no ELF interpreter, no shared libraries, and the
// build settings recorded as CGO_ENABLED=0 and -trimpath.
func TestReleaseBinaryIsStatic(t *testing.T) {
	bi, err := buildinfo.ReadFile(releaseBin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings CGO_ENABLED=%q -trimpath=%q, want 0 and true", settings["CGO_ENABLED"], settings["-trimpath"])
	}
	if runtime.GOOS != "linux" {
		t.Skipf("the ELF checks run on linux, not %s", runtime.GOOS)
	}
	f, err := elf.Open(releaseBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary names an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary keeps its symbol table: -s is missing from the ldflags")
	}
}

// TestGoreleaserContract checks the names the GitHub Action and the Netlify
// plugin download: hugo-pingback_VERSION_OS_ARCH.tar.gz (.zip on windows)
// and checksums.txt in sha256, for every platform they map runners to.
func TestGoreleaserContract(t *testing.T) {
	c, err := loadGoreleaser()
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 {
		t.Errorf("version: %d, want the v2 schema", c.Version)
	}
	b := c.Builds[0]
	if b.Binary != "hugo-pingback" || b.Main != "./cmd/hugo-pingback" {
		t.Errorf("build: binary %q main %q", b.Binary, b.Main)
	}
	if strings.Join(b.Goos, ",") != "linux,darwin,windows" || strings.Join(b.Goarch, ",") != "amd64,arm64" {
		t.Errorf("platforms: %v × %v", b.Goos, b.Goarch)
	}
	if !contains(b.Env, "CGO_ENABLED=0") || !contains(b.Flags, "-trimpath") {
		t.Errorf("build env %v flags %v: want CGO_ENABLED=0 and -trimpath", b.Env, b.Flags)
	}
	if len(c.Archives) != 1 {
		t.Fatalf("%d archives, want 1", len(c.Archives))
	}
	a := c.Archives[0]
	if a.NameTemplate != "hugo-pingback_{{ .Version }}_{{ .Os }}_{{ .Arch }}" {
		t.Errorf("archive name_template %q: the Action and the Netlify plugin download hugo-pingback_{{ .Version }}_{{ .Os }}_{{ .Arch }}", a.NameTemplate)
	}
	if strings.Join(a.Formats, ",") != "tar.gz" || len(a.FormatOverrides) != 1 || a.FormatOverrides[0].Goos != "windows" || strings.Join(a.FormatOverrides[0].Formats, ",") != "zip" {
		t.Errorf("archive formats %v overrides %+v: want tar.gz, zip on windows", a.Formats, a.FormatOverrides)
	}
	if c.Checksum.NameTemplate != "checksums.txt" || c.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum %+v: want checksums.txt in sha256", c.Checksum)
	}
}

// TestDockerfileBuildsLikeGoreleaser checks that the image's binary is built
// with the same command line as the release archives (the build this package
// tests), and the image's contract: distroless nonroot, the binary as the
// entrypoint, /site as the working directory, /data and port 8080 for serve.
func TestDockerfileBuildsLikeGoreleaser(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := strings.ReplaceAll(string(data), "\\\n", " ")
	c, err := loadGoreleaser()
	if err != nil {
		t.Fatal(err)
	}
	b := c.Builds[0]
	// The Dockerfile's ARGs stand where GoReleaser's template fields are.
	ldflags := strings.NewReplacer("{{.Version}}", "${VERSION}", "{{.Commit}}", "${COMMIT}", "{{.Date}}", "${DATE}").Replace(strings.Join(b.Ldflags, " "))
	build := regexp.MustCompile(`(?m)^RUN .*go build .*$`).FindString(df)
	for _, want := range append(append([]string{`-ldflags "` + ldflags + `"`, b.Main}, b.Env...), b.Flags...) {
		if !strings.Contains(build, want) {
			t.Errorf("the Dockerfile's go build lacks %q:\n%s", want, build)
		}
	}
	for _, want := range []string{
		"\nFROM gcr.io/distroless/static-debian12:nonroot\n",
		"\nUSER nonroot:nonroot\n",
		"\nWORKDIR /site\n",
		"\nVOLUME [\"/data\"]\n",
		"\nEXPOSE 8080\n",
		"\nENTRYPOINT [\"/usr/local/bin/hugo-pingback\"]\n",
		"--mount=type=cache,target=/go/pkg/mod",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", strings.TrimSpace(want))
		}
	}
	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "**/public", "**/.hugo-pingback", "**/node_modules"} {
		if !bytes.Contains(ignore, []byte("\n"+want+"\n")) {
			t.Errorf(".dockerignore does not keep %s out of the build context", want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
