package releasetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/testenv"
)

// ghEnv is a runner's environment for one step: GitHub's environment files
// and directories in a temp dir, as the runner lays them out.
type ghEnv struct {
	dir                   string
	output, summary, path string
	temp, toolCache       string
	vars                  map[string]string
}

func newGHEnv(t *testing.T) *ghEnv {
	t.Helper()
	dir := t.TempDir()
	e := &ghEnv{
		dir:       dir,
		output:    filepath.Join(dir, "github_output"),
		summary:   filepath.Join(dir, "step_summary.md"),
		path:      filepath.Join(dir, "github_path"),
		temp:      filepath.Join(dir, "runner_temp"),
		toolCache: filepath.Join(dir, "tool_cache"),
	}
	for _, d := range []string{e.temp, e.toolCache} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{e.output, e.summary, e.path} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.vars = map[string]string{
		"GITHUB_OUTPUT": e.output, "GITHUB_STEP_SUMMARY": e.summary, "GITHUB_PATH": e.path,
		"RUNNER_TEMP": e.temp, "RUNNER_TOOL_CACHE": e.toolCache, "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
	}
	return e
}

// script runs action/NAME with the step's environment (this process's,
// less anything a real runner or an earlier test set) plus vars, and
// returns its combined output and exit status.
func (e *ghEnv) script(t *testing.T, name string, vars map[string]string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(root, "action", name))
	cmd.Dir = e.dir
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "RUNNER_") || strings.HasPrefix(k, "INPUT_") || strings.HasPrefix(k, "HUGO_PINGBACK_") || k == "ACTION_REF" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("run %s: %v", name, err)
	}
	return string(out), 0
}

// outputs reads $GITHUB_OUTPUT as the runner does: key=value lines, the last one wins.
func (e *ghEnv) outputs(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(read(t, e.output), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// releaseServer serves releases the way GitHub does: /latest redirects to
// /tag/vX.Y.Z, assets are under /download/vX.Y.Z/. It counts downloads.
type releaseServer struct {
	*httptest.Server
	latest string
	assets map[string][]byte // "v1.2.3/name" -> bytes

	mu        sync.Mutex
	downloads []string
}

func newReleaseServer(t *testing.T, latest string) *releaseServer {
	rs := &releaseServer{latest: latest, assets: map[string][]byte{}}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/releases/latest":
			http.Redirect(w, r, "/releases/tag/"+rs.latest, http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/releases/tag/"):
			fmt.Fprint(w, "<html>release page</html>")
		case strings.HasPrefix(r.URL.Path, "/releases/download/"):
			name := strings.TrimPrefix(r.URL.Path, "/releases/download/")
			rs.mu.Lock()
			rs.downloads = append(rs.downloads, name)
			rs.mu.Unlock()
			data, ok := rs.assets[name]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(data)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *releaseServer) takeDownloads() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	d := rs.downloads
	rs.downloads = nil
	return d
}

// publish adds a release: an archive of the real release binary (and the
// README) for each platform, named as .goreleaser.yaml names them, and
// checksums.txt. tamper, when set, changes an asset after its checksum was
// taken.
func (rs *releaseServer) publish(t *testing.T, version string, platforms []string, tamper func(name string, data []byte) []byte) {
	t.Helper()
	bin, err := os.ReadFile(releaseBin)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var sums []string
	for _, p := range platforms {
		name := fmt.Sprintf("hugo-pingback_%s_%s", strings.TrimPrefix(version, "v"), p)
		var data []byte
		if strings.HasPrefix(p, "windows_") {
			name += ".zip"
			data = zipArchive(t, map[string][]byte{"hugo-pingback.exe": bin, "README.md": readme})
		} else {
			name += ".tar.gz"
			data = tarGz(t, map[string][]byte{"hugo-pingback": bin, "README.md": readme})
		}
		sums = append(sums, fmt.Sprintf("%x  %s", sha256.Sum256(data), name))
		if tamper != nil {
			data = tamper(name, data)
		}
		rs.assets[version+"/"+name] = data
	}
	sort.Strings(sums)
	rs.assets[version+"/checksums.txt"] = []byte(strings.Join(sums, "\n") + "\n")
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for _, name := range sortedKeys(files) {
		mode := int64(0o644)
		if !strings.HasSuffix(name, ".md") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(files[name])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipArchive(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestActionInstall runs action/install.sh against a loopback release server
// that serves archives of the real release binary: each row is one step of a
// job on a fresh or reused runner.
func TestActionInstall(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("install.sh needs curl, as every GitHub runner has")
	}
	rs := newReleaseServer(t, "v1.2.3")
	rs.publish(t, "v1.2.3", []string{"linux_amd64", "darwin_arm64", "windows_amd64"}, nil)
	// v6.6.6: the archive was changed after checksums.txt was written.
	rs.publish(t, "v6.6.6", []string{"linux_amd64"}, func(name string, data []byte) []byte {
		return append(bytes.Clone(data), 0)
	})
	// v7.0.0: checksums.txt lacks the archive's line.
	rs.publish(t, "v7.0.0", []string{"linux_amd64"}, nil)
	rs.assets["v7.0.0/checksums.txt"] = []byte("0000000000000000000000000000000000000000000000000000000000000000  hugo-pingback_7.0.0_darwin_amd64.tar.gz\n")
	// The repository's tags, which name the releases for @v1 and @v1.2:
	// v1.2.3 is the newest published v1 and v1.2 release; v1.2.4 is tagged
	// but not yet published (its release job is still running);
	// v1.10.0-rc.1 is a pre-release, v1 the moving major tag, v10 another
	// major.
	repo := tagRepo(t, "v1.0.0", "v1.2.0", "v1.2.3", "v1.2.4", "v1.10.0-rc.1", "v1", "v10.0.0", "v2.0.0")
	base := map[string]string{"HUGO_PINGBACK_RELEASE_URL": rs.URL + "/releases", "HUGO_PINGBACK_GIT_URL": repo}
	with := func(vars map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range vars {
			m[k] = v
		}
		return m
	}

	e := newGHEnv(t) // one runner: the tool cache is shared by the rows that reuse it
	cases := []struct {
		name      string
		env       *ghEnv
		vars      map[string]string
		wantCode  int
		wantOut   string   // in the script's output
		downloads []string // exactly these, in order
		bin       string   // the bin output, relative to the tool cache
	}{
		{
			// An explicit version without the v, on Linux x64.
			name: "version input", env: e, vars: with(map[string]string{"INPUT_VERSION": "1.2.3"}),
			wantOut:   "sha256 verified",
			downloads: []string{"v1.2.3/checksums.txt", "v1.2.3/hugo-pingback_1.2.3_linux_amd64.tar.gz"},
			bin:       "hugo-pingback/1.2.3/amd64/hugo-pingback",
		},
		{
			// The same runner again: the tool cache has it, nothing is downloaded.
			name: "tool cache", env: e, vars: with(map[string]string{"INPUT_VERSION": "v1.2.3"}),
			wantOut: "found in the tool cache",
			bin:     "hugo-pingback/1.2.3/amd64/hugo-pingback",
		},
		{
			// No version input: the action's own tag, on macOS arm64.
			name: "action tag", vars: with(map[string]string{"ACTION_REF": "v1.2.3", "RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64"}),
			wantOut:   "sha256 verified",
			downloads: []string{"v1.2.3/checksums.txt", "v1.2.3/hugo-pingback_1.2.3_darwin_arm64.tar.gz"},
			bin:       "hugo-pingback/1.2.3/arm64/hugo-pingback",
		},
		{
			// Used at the major tag (uses: ...@v1): the newest v1.x.y release, from the repository's tags.
			name: "major tag", vars: with(map[string]string{"ACTION_REF": "v1"}),
			wantOut:   "v1.2.4: no published release yet\nnewest v1 release: v1.2.3",
			downloads: []string{"v1.2.4/checksums.txt", "v1.2.3/checksums.txt", "v1.2.3/checksums.txt", "v1.2.3/hugo-pingback_1.2.3_linux_amd64.tar.gz"},
			bin:       "hugo-pingback/1.2.3/amd64/hugo-pingback",
		},
		{
			// A version input of a minor: the newest v1.2.x.
			name: "minor input", vars: with(map[string]string{"INPUT_VERSION": "1.2", "ACTION_REF": "main"}),
			wantOut:   "newest v1.2 release: v1.2.3",
			downloads: []string{"v1.2.4/checksums.txt", "v1.2.3/checksums.txt", "v1.2.3/checksums.txt", "v1.2.3/hugo-pingback_1.2.3_linux_amd64.tar.gz"},
			bin:       "hugo-pingback/1.2.3/amd64/hugo-pingback",
		},
		{
			// A major with no release names the repository.
			name: "major without release", vars: with(map[string]string{"ACTION_REF": "v3"}),
			wantCode: 1,
			wantOut:  "no published release v3.* among the tags of " + repo,
		},
		{
			// Used at a branch: the latest release, found through the redirect; Windows gets the zip.
			name: "latest on windows", vars: with(map[string]string{"ACTION_REF": "main", "RUNNER_OS": "Windows"}),
			wantOut:   "sha256 verified",
			downloads: []string{"v1.2.3/checksums.txt", "v1.2.3/hugo-pingback_1.2.3_windows_amd64.zip"},
			bin:       "hugo-pingback/1.2.3/amd64/hugo-pingback.exe",
		},
		{
			// A tampered archive is refused and nothing is installed.
			name: "tampered", vars: with(map[string]string{"INPUT_VERSION": "6.6.6"}),
			wantCode:  1,
			wantOut:   "checksum mismatch for hugo-pingback_6.6.6_linux_amd64.tar.gz",
			downloads: []string{"v6.6.6/checksums.txt", "v6.6.6/hugo-pingback_6.6.6_linux_amd64.tar.gz"},
		},
		{
			// checksums.txt must vouch for the archive.
			name: "no checksum line", vars: with(map[string]string{"INPUT_VERSION": "7.0.0"}),
			wantCode:  1,
			wantOut:   "checksums.txt of v7.0.0 has no line for hugo-pingback_7.0.0_linux_amd64.tar.gz",
			downloads: []string{"v7.0.0/checksums.txt", "v7.0.0/hugo-pingback_7.0.0_linux_amd64.tar.gz"},
		},
		{
			// A release that does not exist names the URL.
			name: "missing release", vars: with(map[string]string{"INPUT_VERSION": "9.9.9"}),
			wantCode:  1,
			wantOut:   "download " + rs.URL + "/releases/download/v9.9.9/checksums.txt failed",
			downloads: []string{"v9.9.9/checksums.txt"},
		},
		{
			// A runner with no release binary points to install: go.
			name: "32-bit arm", vars: with(map[string]string{"INPUT_VERSION": "1.2.3", "RUNNER_ARCH": "ARM"}),
			wantCode: 1,
			wantOut:  "no release binary for RUNNER_ARCH=ARM; use install: go",
		},
		{
			// Not a version.
			name: "bad version", vars: with(map[string]string{"INPUT_VERSION": "banana"}),
			wantCode: 1,
			wantOut:  "version 'vbanana' is not a release version",
		},
		{
			// An unknown install method.
			name: "bad method", vars: with(map[string]string{"INPUT_VERSION": "1.2.3", "INPUT_INSTALL": "brew"}),
			wantCode: 1,
			wantOut:  "unknown method 'brew'",
		},
		{
			// install: go on a runner without Go says what to add.
			name: "go without go", vars: with(map[string]string{"INPUT_VERSION": "1.2.3", "INPUT_INSTALL": "go", "PATH": "/usr/bin:/bin"}),
			wantCode: 1,
			wantOut:  "install: go needs Go on the runner (actions/setup-go)",
		},
		{
			// HUGO_PINGBACK_BIN skips the install: no request at all.
			name: "local binary", vars: with(map[string]string{"HUGO_PINGBACK_BIN": releaseBin}),
			wantOut: "using HUGO_PINGBACK_BIN=",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := c.env
			if env == nil {
				env = newGHEnv(t)
			}
			pathBefore := read(t, env.path)
			out, code := env.script(t, "install.sh", c.vars)
			if code != c.wantCode || !strings.Contains(out, c.wantOut) {
				t.Fatalf("exit %d, want %d with %q in the output:\n%s", code, c.wantCode, c.wantOut, out)
			}
			if got := rs.takeDownloads(); strings.Join(got, " ") != strings.Join(c.downloads, " ") {
				t.Errorf("downloads %v, want %v", got, c.downloads)
			}
			outs := env.outputs(t)
			added := strings.TrimPrefix(read(t, env.path), pathBefore)
			switch {
			case c.wantCode != 0:
				if added != "" || outs["bin"] != "" {
					t.Errorf("a failed install changed PATH (%q) or set bin (%q)", added, outs["bin"])
				}
				if strings.Contains(c.wantOut, "checksum") {
					if _, err := os.Stat(filepath.Join(env.toolCache, "hugo-pingback", strings.TrimPrefix(c.vars["INPUT_VERSION"], "v"))); err == nil {
						t.Error("a refused archive was unpacked into the tool cache")
					}
				}
			case c.vars["HUGO_PINGBACK_BIN"] != "":
				if outs["bin"] != releaseBin || outs["version"] != "v1.2.3" || added != "" {
					t.Errorf("outputs %v, PATH added %q", outs, added)
				}
			default:
				want := filepath.Join(env.toolCache, c.bin)
				if outs["bin"] != want || outs["version"] != "v1.2.3" || added != filepath.Dir(want)+"\n" {
					t.Errorf("outputs %v and PATH added %q, want bin %s and its dir", outs, added, want)
				}
				// The installed file is the real binary, and it runs.
				if v := run(t, want, "version"); !strings.HasPrefix(v, "hugo-pingback v1.2.3 ") {
					t.Errorf("installed binary says %q", v)
				}
			}
		})
	}
}

// tagRepo makes a git repository with one commit and these tags, and
// returns its path, which git ls-remote reads as it reads a remote URL.
func tagRepo(t *testing.T, tags ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("install.sh needs git for @v1, as every GitHub runner has")
	}
	dir := t.TempDir()
	gitc := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitc("init", "-q")
	gitc("commit", "-q", "--allow-empty", "-m", "release")
	for _, tag := range tags {
		gitc("tag", tag)
	}
	return dir
}

// cancelRun starts run.sh for the commands given, with script as the
// hugo-pingback binary, waits until the file started (under the site)
// exists, sends SIGTERM to the step's shell alone, as the runner does, and
// returns the site dir and run.sh's exit status.
func cancelRun(t *testing.T, e *ghEnv, commands, script, started string) (site string, code int) {
	t.Helper()
	site = filepath.Join(e.dir, "site")
	bin := filepath.Join(e.dir, "fake-hugo-pingback")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "action", "run.sh"))
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+e.output, "INPUT_COMMAND="+commands, "INPUT_SITE="+site, "HUGO_PINGBACK_BIN="+bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(site, started)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s never appeared: the command never started", started)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("run.sh: %v, want an exit status", err)
	}
	return site, ee.ExitCode()
}

// TestActionRunCancelled: a cancelled job signals the step's shell; run.sh
// passes the signal on to the command, waits for it to record what it did
// and stop, and says there is a ledger to save.
func TestActionRunCancelled(t *testing.T) {
	e := newGHEnv(t)
	// A stand-in for hugo-pingback that, like it, records its work and
	// stops on SIGINT or SIGTERM, taking a moment to do so.
	site, code := cancelRun(t, e, "send", `#!/usr/bin/env bash
site="$3" # send --site SITE
mkdir -p "$site/.hugo-pingback"
stop() { sleep 0.3; echo "$1" > "$site/.hugo-pingback/stopped-by"; exit 1; }
trap 'stop INT' INT
trap 'stop TERM' TERM
touch "$site/started"
while :; do sleep 0.05; done
`, "started")
	if code != 1 {
		t.Errorf("run.sh: exit %d, want exit 1 (the command's)", code)
	}
	// Waited for: the command's own shutdown was over when run.sh ended.
	if got := strings.TrimSpace(read(t, filepath.Join(site, ".hugo-pingback", "stopped-by"))); got != "TERM" {
		t.Errorf("the command stopped by %q, want TERM passed on", got)
	}
	if e.outputs(t)["ledger-dir"] != "true" {
		t.Errorf("outputs %v, want ledger-dir=true", e.outputs(t))
	}
}

// A cancelled job ends the step however the command takes the signal:
// one that stops cleanly (exit 0) still fails the step (143, as a shell
// killed by SIGTERM), and the next command of the sequence never starts.
func TestActionRunCancelledSequence(t *testing.T) {
	site, code := cancelRun(t, newGHEnv(t), "build send", `#!/usr/bin/env bash
site="$3"
mkdir -p "$site/.hugo-pingback"
touch "$site/$1-started"
trap 'exit 0' TERM
while :; do sleep 0.05; done
`, "build-started")
	if code != 143 {
		t.Errorf("run.sh: exit %d, want exit 143", code)
	}
	if _, err := os.Stat(filepath.Join(site, "send-started")); err == nil {
		t.Error("send started after the job was cancelled during build")
	}
}

// receiver is the loopback receiver of the example site's links.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	posts []string // "endpoint source -> target"
}

// newReceiver answers GETs of /t/HOST/... as the target pages of the example
// site's links (rewritten from https://HOST/...), advertising Webmention,
// pingback, a Webmention endpoint that refuses, or nothing, by host; and
// takes the notifications.
func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			rc.mu.Lock()
			rc.posts = append(rc.posts, r.URL.Path+" "+string(body))
			rc.mu.Unlock()
			switch {
			case strings.HasSuffix(r.URL.Path, "/refuse"):
				http.Error(w, "target not accepted here", http.StatusBadRequest)
			case strings.HasSuffix(r.URL.Path, "xmlrpc"):
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprint(w, `<?xml version="1.0"?><methodResponse><params><param><value><string>registered</string></value></param></params></methodResponse>`)
			default:
				w.WriteHeader(http.StatusAccepted)
			}
			return
		}
		host, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/t/"), "/")
		switch host {
		case "papers.example.com":
			w.Header().Set("Link", `</wm/refuse>; rel="webmention"`)
		case "www.example.net":
			w.Header().Set("X-Pingback", rc.URL+"/xmlrpc")
		case "indieweb.example":
		default:
			w.Header().Set("Link", `</wm>; rel="webmention"`)
		}
		fmt.Fprint(w, "<!doctype html><html><head><title>target</title></head><body>a target page</body></html>")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.posts)
}

// exampleSite copies example-site (sources only) and rewrites every
// https:// URL in it, links to other sites and the advertised receivers
// alike, to the loopback receiver, so that a real send makes no request
// off this machine. It lets requests to loopback through and spaces them
// 10 ms apart.
func exampleSite(t *testing.T, recv string) string {
	t.Helper()
	src := filepath.Join(root, "example-site")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch strings.Split(filepath.ToSlash(rel), "/")[0] {
		case "public", ".hugo-pingback", "resources", ".hugo_build.lock":
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".toml") || strings.HasSuffix(p, ".html") {
			data = []byte(strings.ReplaceAll(string(data), "https://", recv+"/t/"))
		}
		if rel == "hugo.toml" {
			// The posts are older than firstRunMaxAge: 0 lets the first
			// run send for them rather than record them as handled.
			data = append(data, "  allowPrivate = true\n  hostInterval = \"10ms\"\n  firstRunMaxAge = \"0\"\n"...)
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestActionRun is the Action on a real site: install.sh with
// HUGO_PINGBACK_BIN, then run.sh doing `build send` on a copy of
// example-site whose pages are served on loopback and whose links go to a
// loopback receiver. It checks what a workflow sees: the outputs, the job
// summary, exit statuses, and that a second run sends nothing again.
func TestActionRun(t *testing.T) {
	rc := newReceiver(t)
	site := exampleSite(t, rc.URL)
	// The deployed site: the built files, served as the live pages send checks.
	live := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(site, "public"))))
	t.Cleanup(live.Close)

	e := newGHEnv(t)
	if out, code := e.script(t, "install.sh", map[string]string{"HUGO_PINGBACK_BIN": releaseBin}); code != 0 {
		t.Fatalf("install.sh: exit %d\n%s", code, out)
	}
	step := map[string]string{
		"HUGO_PINGBACK_BIN": e.outputs(t)["bin"],
		"INPUT_SITE":        site,
		"INPUT_COMMAND":     "build send",
		// Quoted words stay one argument; nothing is expanded.
		"INPUT_ARGS": fmt.Sprintf(`--base-url '%s/' --verbose`, live.URL),
	}
	out, code := e.script(t, "run.sh", step)
	if code != 0 {
		t.Fatalf("run.sh build send: exit %d\n%s", code, out)
	}
	for _, want := range []string{"::group::hugo-pingback build", "::group::hugo-pingback send", "--summary " + e.summary, "--outputs " + e.output} {
		if !strings.Contains(out, want) {
			t.Errorf("run.sh output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(site, ".hugo-pingback", "ledger.db")); err != nil {
		t.Errorf("no ledger in SITE/.hugo-pingback, the directory the action caches: %v", err)
	}

	outs := e.outputs(t)
	posts := rc.count()
	if outs["notified"] == "" || outs["notified"] == "0" || outs["notified"] != fmt.Sprint(posts-1) {
		t.Errorf("outputs notified=%q, want the %d accepted posts the receiver got (of %d)", outs["notified"], posts-1, posts)
	}
	if outs["failed"] != "1" || outs["deferred"] != "0" || outs["no_endpoint"] == "0" || outs["mode"] != "send" || outs["ledger-dir"] != "true" {
		t.Errorf("outputs: %v", outs)
	}
	summary := read(t, e.summary)
	t.Logf("job summary:\n%s", summary)
	for _, want := range []string{
		"### hugo-pingback send\n",
		"| notified | " + outs["notified"] + " |",
		"#### Failed (1)",
		"`" + rc.URL + "/t/papers.example.com/pingback-1.0`",
		"HTTP 400 Bad Request",
		"#### Notified (" + outs["notified"] + ")",
		"#### No endpoint",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("job summary lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(summary, "https://") {
		t.Errorf("a link was not rewritten to loopback:\n%s", summary)
	}

	// The next run (the ledger kept): nothing new, nothing sent.
	step["INPUT_COMMAND"] = "send"
	if out, code := e.script(t, "run.sh", step); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if rc.count() != posts || e.outputs(t)["notified"] != "0" {
		t.Errorf("second run sent %d more (outputs %v)", rc.count()-posts, e.outputs(t))
	}
	if n := strings.Count(read(t, e.summary), "### hugo-pingback send\n"); n != 2 {
		t.Errorf("summary holds %d send reports after two runs, want 2", n)
	}

	// Failures: an unknown command runs nothing; a failing command stops the
	// sequence with its status and says so in the summary.
	for _, c := range []struct {
		command, args, want string
		code                int
	}{
		{"build deploy", "", "unknown command 'deploy'", 1},
		{"send status", "--no-such-flag", "hugo-pingback send exited with status 2", 2},
		{"send", `--base-url "unterminated`, "cannot split input args", 1},
	} {
		step["INPUT_COMMAND"], step["INPUT_ARGS"] = c.command, c.args
		before := read(t, e.summary)
		if err := os.WriteFile(e.output, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		out, code := e.script(t, "run.sh", step)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("command %q args %q: exit %d, want %d with %q:\n%s", c.command, c.args, code, c.code, c.want, out)
		}
		if strings.Contains(out, "::group::hugo-pingback status") || strings.Contains(out, "::group::hugo-pingback build") {
			t.Errorf("command %q ran past the failure:\n%s", c.command, out)
		}
		// A failed run still has the ledger saved (action.yml saves when ledger-dir is true).
		if got := e.outputs(t)["ledger-dir"]; got != "true" {
			t.Errorf("command %q: ledger-dir=%q after a failure, want true", c.command, got)
		}
		if c.args == "--no-such-flag" && !strings.Contains(strings.TrimPrefix(read(t, e.summary), before), "### hugo-pingback send failed (exit 2)") {
			t.Errorf("the summary does not say send failed")
		}
	}
}

// TestActionScriptsShellcheck lints the scripts when shellcheck is
// installed (CI installs it from Debian).
func TestActionScriptsShellcheck(t *testing.T) {
	sc := testenv.Program(t, "the Action's scripts are linted with it", "shellcheck")
	out, err := exec.Command(sc, "--shell=bash", filepath.Join(root, "action", "install.sh"), filepath.Join(root, "action", "run.sh")).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	// Every script is executable, as action.yml runs it by path.
	for _, s := range []string{"install.sh", "run.sh"} {
		fi, err := os.Stat(filepath.Join(root, "action", s))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("action/%s is not executable (%v)", s, err)
		}
	}
}
