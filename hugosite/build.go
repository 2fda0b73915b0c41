package hugosite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gohugoio/hugo/common/herrors"
	"github.com/gohugoio/hugo/deps"
	"github.com/gohugoio/hugo/hugolib"
	"github.com/gohugoio/hugo/hugolib/filesystems"
	"github.com/spf13/afero"
	"github.com/spf13/fsync"
	"golang.org/x/sync/errgroup"
)

// ErrBuilt is returned by Build on a Site that was already built: Hugo
// builds a site once outside its watch mode, so load the site again.
var ErrBuilt = errors.New("site already built (Hugo builds a site once)")

// BuildResult sums up a build, with the numbers the hugo command prints.
type BuildResult struct {
	Pages    int           // pages Hugo rendered, all languages
	Files    int           // other files written: static files and Hugo's non-page files
	Duration time.Duration // wall time of the build, static copy included
	Warnings int           // warnings Hugo logged (repeats counted once)
	Cleaned  int           // unused cache files removed (--gc)
}

// hugo returns the HugoSites, creating them on first use.
func (s *Site) hugo() (*hugolib.HugoSites, error) {
	if s.h != nil {
		return s.h, nil
	}
	h, err := hugolib.NewHugoSites(deps.DepsCfg{
		Configs: s.configs,
		Fs:      s.fs,
		// DepsCfg offers no other way to hand Hugo a logger; this is the one
		// the hugo command would build, with our output.
		TestLogger: s.hlog,
	})
	if err != nil {
		return nil, fmt.Errorf("set up Hugo site %s: %w", s.dir, err)
	}
	s.h = h
	return h, nil
}

// Build builds the site in-process into its publish dir, as `hugo` does with
// the same options: Hugo renders the pages while the static files are copied
// (in turn, not at once, when cleanDestinationDir is set, as hugo does). The
// output is byte for byte what the hugo command writes.
func (s *Site) Build(ctx context.Context) (*BuildResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built {
		return nil, fmt.Errorf("build %s: %w", s.dir, ErrBuilt)
	}
	if s.processed {
		// Pages processed the site without rendering; Hugo will not build
		// the same HugoSites twice, so start from a fresh one.
		s.h.Close()
		s.h = nil
		s.processed = false
	}
	start := time.Now()
	warned := s.warned.Load()
	h, err := s.hugo()
	if err != nil {
		return nil, err
	}
	if s.opts.Flags.Bool("printMemoryUsage") {
		defer s.printMemoryUsage()()
	}

	var static atomic.Int64
	copyStatic := func() error {
		n, err := s.copyStatic(h)
		if err != nil {
			return fmt.Errorf("copy static files of %s: %w", s.dir, err)
		}
		static.Store(n)
		return nil
	}
	buildSites := func() error {
		if err := h.Build(hugolib.BuildCfg{}); err != nil {
			return fmt.Errorf("build Hugo site %s: %w", s.dir, err)
		}
		return nil
	}
	if s.configs.Base.CleanDestinationDir {
		// The static sync deletes what is not in static/; it must not run
		// beside the page rendering (hugo does the same).
		if err := copyStatic(); err != nil {
			return nil, err
		}
		if err := buildSites(); err != nil {
			return nil, err
		}
	} else {
		var g errgroup.Group
		g.Go(copyStatic)
		g.Go(buildSites)
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	s.processed, s.built = true, true
	if s.tfs != nil {
		// Hugo drops the errors of Close, where transformed files are written.
		if err := s.tfs.Err(); err != nil {
			return nil, fmt.Errorf("build Hugo site %s: %w", s.dir, err)
		}
	}

	res := &BuildResult{Files: int(static.Load())}
	if s.opts.Flags.Bool("gc") {
		// hugo --gc: remove what the file caches no longer use.
		n, err := h.GC()
		if err != nil {
			return nil, fmt.Errorf("clean Hugo's caches for %s: %w", s.dir, err)
		}
		res.Cleaned = n
	}
	res.Duration, res.Warnings = time.Since(start), int(s.warned.Load()-warned)
	for _, site := range h.Sites {
		st := site.PathSpec.ProcessingStats
		res.Pages += int(st.Pages)
		res.Files += int(st.Files)
	}
	return res, nil
}

// copyStatic syncs every static filesystem (the union of static/ dirs and
// module mounts; one per language on a multihost site) into the publish dir.
// Hugo's library leaves this to its command; this is the command's
// copyStaticTo, which is not exported, with the same fsync settings.
func (s *Site) copyStatic(h *hugolib.HugoSites) (int64, error) {
	var total int64
	for _, sfs := range h.BaseFs.SourceFilesystems.Static {
		n, err := s.syncStatic(sfs)
		total += n
		if err != nil && !herrors.IsNotExist(err) {
			return total, err
		}
	}
	return total, nil
}

func (s *Site) syncStatic(sfs *filesystems.SourceFilesystem) (int64, error) {
	publishDir := string(filepath.Separator)
	if sfs.PublishFolder != "" {
		publishDir = filepath.Join(publishDir, sfs.PublishFolder)
	}
	src := &countingStatFs{Fs: sfs.Fs}
	syncer := fsync.NewSyncer()
	syncer.NoTimes = s.configs.Base.NoTimes
	syncer.NoChmod = s.configs.Base.NoChmod
	syncer.ChmodFilter = chmodFilter
	syncer.SrcFs = src
	syncer.DestFs = s.fs.PublishDirStatic
	if s.tfs != nil {
		syncer.DestFs = staticDestFs{s.fs.PublishDirStatic}
	}
	syncer.Delete = s.configs.Base.CleanDestinationDir
	if syncer.Delete {
		syncer.DeleteFilter = func(f fsync.FileInfo) bool {
			name := f.Name()
			if name == ".gitignore" || name == ".gitattributes" {
				return true
			}
			return f.IsDir() && strings.HasPrefix(name, ".")
		}
	}
	// The source is a union filesystem rooted at the static dirs.
	err := syncer.Sync(publishDir, string(filepath.Separator))
	// Sync stats every source file twice.
	return src.files.Load() / 2, err
}

// chmodFilter keeps directory modes and read-only sources (the Go module
// cache) from making the publish dir read-only, as the hugo command does.
func chmodFilter(dst, src os.FileInfo) bool {
	if src.IsDir() {
		return true
	}
	return src.Mode().Perm()&0o200 == 0
}

// countingStatFs counts the regular files the syncer looks at.
type countingStatFs struct {
	afero.Fs
	files atomic.Int64
}

func (fs *countingStatFs) Stat(name string) (os.FileInfo, error) {
	fi, err := fs.Fs.Stat(name)
	if err == nil && !fi.IsDir() {
		fs.files.Add(1)
	}
	return fi, err
}

// printMemoryUsage prints the memory use to Options.Stdout every 5 seconds
// while the build runs, and once at the end, as hugo --printMemoryUsage does;
// the returned function stops it.
func (s *Site) printMemoryUsage() (stop func()) {
	w := s.opts.Stdout
	if w == nil || s.opts.Flags.Bool("quiet") {
		return func() {}
	}
	print := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(w, "\n\nAlloc = %v\nTotalAlloc = %v\nSys = %v\nNumGC = %v\n\n", byteCount(m.Alloc), byteCount(m.TotalAlloc), byteCount(m.Sys), m.NumGC)
	}
	ticker := time.NewTicker(5 * time.Second)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ticker.C:
				print()
			case <-quit:
				ticker.Stop()
				print()
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// byteCount writes a number of bytes as hugo does: 1.5 MB.
func byteCount(b uint64) string {
	const unit = 1000
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(b)/float64(div), "kMGTPE"[exp])
}
