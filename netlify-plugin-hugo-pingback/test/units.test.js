// The plugin's pure parts (inputs, release names, checksums, the summary),
// its package files, and the Netlify stand-ins the other tests rely on,
// checked against the behaviour Netlify documents.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { archiveName, parseChecksums, RELEASE_URL, releaseTarget, releaseURL } from '../src/binary.js'
import { DEFAULTS, PACKAGE_VERSION, settings } from '../src/inputs.js'
import { runTool } from '../src/run.js'
import { countsLine, MAX_ROWS, sendStatus } from '../src/summary.js'
import { buildUtils, cacheUtils, errorType, readManifest, runUtils, statusUtils, validatePlugin } from '../testutil/netlify.js'
import { PLUGIN_DIR, tempDir } from '../testutil/site.js'

describe('inputs', () => {
  // settings(inputs, constants) -> the checked settings, or the error.
  const cases = [
    // Nothing set: the manifest's defaults, the plugin's version, the base directory.
    [{}, {}, { version: PACKAGE_VERSION, binary: '', site: '.', args: [], send: true, inject: true, strict: false }],
    // In a monorepo the site defaults to the package directory.
    [{}, { PACKAGE_PATH: 'apps/blog' }, { site: 'apps/blog' }],
    // An explicit site wins over the package directory.
    [{ site: 'site' }, { PACKAGE_PATH: 'apps/blog' }, { site: 'site' }],
    // A leading v is the tag's spelling of the same version.
    [{ version: 'v0.2.0' }, {}, { version: '0.2.0' }],
    // Pre-releases are versions too.
    [{ version: '1.0.0-rc.1' }, {}, { version: '1.0.0-rc.1' }],
    // args as a list are kept as they are, spaces and all.
    [{ args: ['--exclude', 'a b/*'] }, {}, { args: ['--exclude', 'a b/*'] }],
    // args as one string are split at whitespace.
    [{ args: ' --no-self-ping   --max-time 2m ' }, {}, { args: ['--no-self-ping', '--max-time', '2m'] }],
    // Booleans spelled as strings.
    [{ send: 'false', strict: 'true' }, {}, { send: false, strict: true }],
    // A yes is not a boolean.
    [{ inject: 'yes' }, {}, /^input "inject" must be true or false, got "yes"$/],
    // Quotes in a string of args cannot mean what the user meant.
    [{ args: '--exclude "a b"' }, {}, /^input "args" is one string with quotes in it .* write it as a list/],
    // A map is no list of flags.
    [{ args: { a: 1 } }, {}, /^input "args" must be a list of flags/],
    // Nor is a list of maps.
    [{ args: [{}] }, {}, /^input "args" must be a list of strings/],
    // latest is no version: the plugin never asks an API which one is newest.
    [{ version: 'latest' }, {}, /^input "version" must be a release version/],
    // A binary must be a path.
    [{ binary: true }, {}, /^input "binary" must be a path, got true$/],
  ]
  for (const [inputs, constants, want] of cases) {
    test(`${JSON.stringify(inputs)} ${JSON.stringify(constants)}`, () => {
      if (want instanceof RegExp) {
        assert.throws(() => settings(inputs, constants), { name: 'InputError', message: want })
      } else {
        const got = settings(inputs, constants)
        for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, k)
      }
    })
  }
})

describe('package files', () => {
  test("manifest.yml declares exactly the inputs the plugin reads, with the plugin's defaults", async () => {
    const m = await readManifest(join(PLUGIN_DIR, 'manifest.yml'))
    assert.equal(m.name, 'netlify-plugin-hugo-pingback')
    assert.deepEqual(
      m.inputs.map((i) => i.name),
      ['version', 'binary', 'site', 'args', 'send', 'inject', 'strict'],
    )
    const declared = Object.fromEntries(m.inputs.filter((i) => i.default !== undefined).map((i) => [i.name, i.default]))
    assert.deepEqual(declared, { ...DEFAULTS })
    for (const i of m.inputs) assert.ok(i.description?.length > 20, `input ${i.name} is described`)
    assert.deepEqual(Object.keys(settings({}, {})).sort(), m.inputs.map((i) => i.name).sort())
  })

  test('package.json: name, version, main, shipped files, node 20, node --test, no dependencies', async () => {
    const pkg = JSON.parse(await readFile(join(PLUGIN_DIR, 'package.json'), 'utf8'))
    assert.equal(pkg.name, 'netlify-plugin-hugo-pingback')
    assert.equal(pkg.version, PACKAGE_VERSION)
    assert.equal(pkg.type, 'module')
    assert.ok(existsSync(join(PLUGIN_DIR, pkg.main)))
    assert.deepEqual(pkg.files.sort(), ['README.md', 'manifest.yml', 'src/'])
    assert.equal(pkg.engines.node, '>=20')
    assert.equal(pkg.scripts.test, 'node --test')
    assert.equal(pkg.dependencies, undefined)
  })

  test('the plugin module exports only event handlers, as Netlify requires', async () => {
    const plugin = await import(join(PLUGIN_DIR, 'src', 'index.js'))
    validatePlugin(plugin)
    assert.deepEqual(Object.keys(plugin).sort(), ['onPostBuild', 'onPreBuild', 'onSuccess'])
    assert.throws(() => validatePlugin({ ...plugin, LEDGER_DIR: '.hugo-pingback' }), /Invalid event 'LEDGER_DIR'/)
  })
})

describe('release names', () => {
  // Node's platform and arch -> the release's os, arch, archive and binary.
  const cases = [
    // Netlify's build image.
    ['linux', 'x64', 'hugo-pingback_0.1.0_linux_amd64.tar.gz', 'hugo-pingback'],
    // Netlify's arm64 images, when they come.
    ['linux', 'arm64', 'hugo-pingback_0.1.0_linux_arm64.tar.gz', 'hugo-pingback'],
    // netlify build on a Mac.
    ['darwin', 'arm64', 'hugo-pingback_0.1.0_darwin_arm64.tar.gz', 'hugo-pingback'],
    ['darwin', 'x64', 'hugo-pingback_0.1.0_darwin_amd64.tar.gz', 'hugo-pingback'],
    // netlify build on Windows: a .zip with an .exe.
    ['win32', 'x64', 'hugo-pingback_0.1.0_windows_amd64.zip', 'hugo-pingback.exe'],
    ['win32', 'arm64', 'hugo-pingback_0.1.0_windows_arm64.zip', 'hugo-pingback.exe'],
    // No release for these: the error says how to bring one's own.
    ['freebsd', 'x64', /no binary for freebsd\/x64 .* HUGO_PINGBACK_BIN/],
    ['linux', 'ia32', /no binary for linux\/ia32/],
  ]
  for (const [platform, arch, want, exe] of cases) {
    test(`${platform}/${arch}`, () => {
      if (want instanceof RegExp) {
        assert.throws(() => releaseTarget(platform, arch), { name: 'BinaryError', message: want })
        return
      }
      const t = releaseTarget(platform, arch)
      assert.equal(archiveName('0.1.0', t), want)
      assert.equal(t.exe, exe)
    })
  }

  test('the download URL is the release contract, and the environment can move it', () => {
    assert.equal(RELEASE_URL, 'https://github.com/hugo-pingback/hugo-pingback/releases/download')
    assert.equal(releaseURL({}), RELEASE_URL)
    assert.equal(releaseURL({ HUGO_PINGBACK_RELEASE_URL: 'http://127.0.0.1:1/rel' }), 'http://127.0.0.1:1/rel')
  })
})

describe('checksums.txt', () => {
  const a = 'a'.repeat(64)
  const B = 'B'.repeat(64)
  // The file's text -> name:digest pairs, or the error.
  const cases = [
    // GoReleaser's format: digest, two spaces, name.
    [`${a}  hugo-pingback_0.1.0_linux_amd64.tar.gz\n`, { 'hugo-pingback_0.1.0_linux_amd64.tar.gz': a }],
    // sha256sum's binary mode marks the name with *; upper-case hex is the same digest.
    [`${B} *x.zip\n`, { 'x.zip': 'b'.repeat(64) }],
    // Blank lines and CRLF line ends are fine.
    [`\r\n${a}  x.tar.gz\r\n\r\n`, { 'x.tar.gz': a }],
    // A short digest is not a checksum: the error names the line.
    [`${a}  ok.tar.gz\nabc  x.tar.gz\n`, /^checksums\.txt line 2 is not "SHA256  FILENAME"/],
    // An HTML error page served as checksums.txt.
    ['<html>rate limited</html>', /^checksums\.txt line 1 is not/],
  ]
  for (const [text, want] of cases) {
    test(JSON.stringify(text.slice(0, 30)), () => {
      if (want instanceof RegExp) {
        assert.throws(() => parseChecksums(text), { name: 'BinaryError', message: want })
      } else {
        assert.deepEqual(Object.fromEntries(parseChecksums(text)), want)
      }
    })
  }
})

describe('summary', () => {
  // A send report's counts -> the status summary line.
  const lines = [
    // Nothing happened.
    [{ pages: 12 }, 'nothing new to notify (12 pages scanned)'],
    // Zero counts are left out.
    [{ notified: 3, failed: 0, no_endpoint: 2 }, '3 notified, 2 with no endpoint'],
    // Everything that can wait says so.
    [{ notified: 1, failed: 1, retry: 2, deferred: 3, unsent: 4 }, '1 notified, 1 failed, 2 waiting for retry, 3 deferred (source not live yet), 4 left for the next run'],
    // A baseline sends nothing by design.
    [{ mode: 'baseline', baseline: 7 }, 'baseline: 7 links recorded as handled, nothing sent'],
  ]
  for (const [r, want] of lines) {
    test(want, () => assert.equal(countsLine(r), want))
  }

  test('the Markdown table escapes cells and stops at MAX_ROWS', () => {
    const items = Array.from({ length: MAX_ROWS + 5 }, (_, i) => ({
      source: `https://blog.example.net/p/${i}/`,
      target: 'https://x.example/a|b',
      status: i === 0 ? 'failed' : 'notified',
      protocol: 'webmention',
      error: i === 0 ? 'HTTP 400: no\nthanks' : '',
    }))
    const s = sendStatus({ notified: MAX_ROWS + 4, failed: 1, items }, ['A note.'])
    assert.equal(s.summary, `${MAX_ROWS + 4} notified, 1 failed`)
    const rows = s.text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| status'))
    assert.equal(rows.length, MAX_ROWS)
    assert.equal(rows[0], '| failed | https://blog.example.net/p/0/ | https://x.example/a\\|b | webmention | HTTP 400: no thanks |', 'failures first, pipes escaped, one line')
    assert.match(s.text, /…and 5 more: run `hugo-pingback status`/)
    assert.match(s.text, /\n\nA note\.\n/)
  })

  test('waiting notifications say when they go out', () => {
    assert.match(sendStatus({ deferred: 1, items: [] }).text, /sent by the next production deploy/)
    assert.doesNotMatch(sendStatus({ notified: 1, items: [] }).text, /next production deploy/)
  })
})

describe('the Netlify stand-ins', () => {
  test('utils.cache: restore is false when nothing was cached, save false when there is nothing to save', async () => {
    const root = await tempDir()
    const cache = cacheUtils(join(root, 'cache'))
    const opts = { cwd: join(root, 'repo') }
    await mkdir(opts.cwd)
    assert.equal(await cache.restore('.hugo-pingback', opts), false)
    assert.equal(await cache.has('.hugo-pingback', opts), false)
    assert.equal(await cache.save('.hugo-pingback', opts), false, 'a missing dir')
    await mkdir(join(opts.cwd, '.hugo-pingback'))
    assert.equal(await cache.save('.hugo-pingback', opts), false, 'an empty dir')
  })

  test('utils.cache: save then restore replaces the local copy; has, list and remove', async () => {
    const root = await tempDir()
    const cache = cacheUtils(join(root, 'cache'))
    const cwd = join(root, 'repo')
    const dir = join(cwd, '.hugo-pingback')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'ledger.db'), 'v1')
    assert.equal(await cache.save(dir, { cwd }), true)
    assert.ok(existsSync(join(root, 'cache', 'cwd', '.hugo-pingback', 'ledger.db')), 'cached under the path relative to the build dir')
    await writeFile(join(dir, 'ledger.db'), 'v2')
    await writeFile(join(dir, 'stray'), 'x')
    assert.equal(await cache.restore('.hugo-pingback', { cwd }), true)
    assert.equal(await readFile(join(dir, 'ledger.db'), 'utf8'), 'v1', 'restore overwrites')
    assert.ok(!existsSync(join(dir, 'stray')), 'restore deletes the local copy first')
    assert.equal(await cache.has(dir, { cwd }), true)
    assert.deepEqual(await cache.list({ cwd, depth: 0 }), [dir])
    assert.equal(await cache.remove(dir, { cwd }), true)
    assert.equal(await cache.restore(dir, { cwd }), false)
    await assert.rejects(cache.save(cwd, { cwd }), /Cannot cache .* because it is the current directory/)
  })

  test('utils.cache: a ttl that ran out makes restore false', async () => {
    const root = await tempDir()
    const cache = cacheUtils(join(root, 'cache'))
    const cwd = join(root, 'repo')
    await mkdir(join(cwd, 'd'), { recursive: true })
    await writeFile(join(cwd, 'd', 'f'), 'x')
    assert.equal(await cache.save('d', { cwd, ttl: 3600 }), true)
    assert.equal(await cache.has('d', { cwd }), true)
    await writeFile(join(root, 'cache', 'cwd', 'd.netlify.cache.json'), JSON.stringify({ expires: Date.now() - 1 }))
    assert.equal(await cache.has('d', { cwd }), false)
    assert.equal(await cache.restore('d', { cwd }), false)
  })

  test('utils.build: failPlugin throws; after the deploy failBuild only fails the plugin, with a warning', () => {
    const warnings = []
    assert.throws(() => buildUtils('onPreBuild').failBuild('x'), (e) => errorType(e) === 'failBuild')
    assert.throws(() => buildUtils('onPreBuild').failPlugin('x'), (e) => errorType(e) === 'failPlugin')
    assert.throws(() => buildUtils('onSuccess', warnings).failBuild('late'), (e) => errorType(e) === 'failPlugin' && e.message === 'late')
    assert.equal(warnings.length, 1)
    const inner = new Error('inner')
    assert.throws(() => buildUtils('onPreBuild').failPlugin('outer', { error: inner }), (e) => e === inner && e.message === 'outer\ninner')
  })

  test('utils.status.show checks its argument as Netlify does', () => {
    const state = {}
    const { show } = statusUtils(state)
    assert.throws(() => show({ title: 't' }), /requires specifying a "summary" property/)
    assert.throws(() => show({ summary: 's', body: 'x' }), /not "body"/)
    assert.throws(() => show({ summary: 's', text: 1 }), /"text" property must be a string/)
    show({ title: 't', summary: 's', text: 'x' })
    assert.deepEqual(state.status, { state: 'success', title: 't', summary: 's', text: 'x' })
  })

  test("utils.run: execa's results; output copied to the log unless stdout is taken", async () => {
    const log = []
    const run = runUtils((s) => log.push(s))
    const ok = await run(process.execPath, ['-e', 'console.log("out"); console.error("err")'])
    assert.equal(ok.exitCode, 0)
    assert.equal(ok.stdout, 'out')
    assert.equal(ok.stderr, 'err')
    assert.equal(ok.failed, false)
    assert.deepEqual(log.sort(), ['err\n', 'out\n'])
    await assert.rejects(run(process.execPath, ['-e', 'process.exit(3)']), (e) => e.exitCode === 3 && e.failed && /exit code 3/.test(e.shortMessage))
    const soft = await run(process.execPath, ['-e', 'process.exit(3)'], { reject: false, stdout: 'pipe' })
    assert.equal(soft.exitCode, 3)
    const missing = await run('/nonexistent/hugo-pingback', [], { reject: false })
    assert.equal(missing.exitCode, undefined)
    assert.match(missing.shortMessage, /ENOENT/)
    assert.equal((await run.command(`${process.execPath} -e process.exit(0)`)).exitCode, 0)
  })
})

describe('runTool', () => {
  // The same command through utils.run and through child_process.
  for (const [name, utils] of [
    ['utils.run', { run: runUtils(() => {}) }],
    ['child_process', {}],
  ]) {
    test(`through ${name}: exit code, stdout and stderr, stderr teed to the log`, async () => {
      const teed = []
      const r = await runTool(utils, process.execPath, ['-e', 'console.log("{}"); console.error("warn"); process.exit(3)'], { log: (s) => teed.push(s) })
      assert.equal(r.exitCode, 3)
      assert.equal(r.stdout.trim(), '{}')
      assert.equal(r.stderr.trim(), 'warn')
      assert.equal(teed.join('').trim(), 'warn')
      await assert.rejects(runTool(utils, '/nonexistent/hugo-pingback', []), /^Error: run \/nonexistent\/hugo-pingback: /)
    })
  }
})
