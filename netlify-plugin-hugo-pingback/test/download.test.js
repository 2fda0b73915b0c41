// Getting the binary: a release archive of the real binary served by a
// loopback release server, checked against checksums.txt, unpacked with the
// system tar, cached in the build cache and reused; a local binary instead.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { before, describe, test } from 'node:test'

import { archiveName, download, releaseTarget, sha256 } from '../src/binary.js'
import { PACKAGE_VERSION } from '../src/inputs.js'
import { FakeBuild } from '../testutil/netlify.js'
import { linkbackPeer, liveSite, releaseServer } from '../testutil/servers.js'
import { buildCommand, checkout, loadPlugin, tempDir, toolBinary } from '../testutil/site.js'

const exec = promisify(execFile)
const gzip = promisify(zlib.gzip)
const target = releaseTarget()
const NAME = archiveName(PACKAGE_VERSION, target)

let bin, plugin, manifest, archive

before(async () => {
  bin = await toolBinary()
  ;({ plugin, manifest } = await loadPlugin())
  // A release archive as GoReleaser makes it: the binary and the docs at the top.
  const stage = await tempDir()
  await copyFile(bin, join(stage, target.exe))
  await writeFile(join(stage, 'README.md'), '# hugo-pingback\n')
  const out = join(await tempDir(), 'release.tar')
  await exec('tar', ['-cf', out, '-C', stage, target.exe, 'README.md'])
  archive = await gzip(await readFile(out), { level: 1 }) // fast: the test needs a real .tar.gz, not a small one
})

// checksums is a checksums.txt with a line for each file, and one for
// another platform's archive, as a release has.
function checksums(files) {
  const lines = [...files].map(([name, data]) => `${sha256(data)}  ${name}`)
  lines.push(`${'ab'.repeat(32)}  hugo-pingback_${PACKAGE_VERSION}_plan9_amd64.tar.gz`)
  return Buffer.from(`${lines.join('\n')}\n`)
}

function release(files, { served = files } = {}) {
  const m = new Map()
  for (const [name, data] of served) m.set(`/v${PACKAGE_VERSION}/${name}`, data)
  m.set(`/v${PACKAGE_VERSION}/checksums.txt`, checksums(files))
  return m
}

async function repo(t, releaseFiles, { failFirst = 0 } = {}) {
  const root = await tempDir()
  const dir = join(root, 'repo')
  const cacheDir = join(root, 'cache')
  const server = await releaseServer(releaseFiles, { failFirst })
  const live = await liveSite(join(dir, 'public'))
  const peer = await linkbackPeer()
  t.after(() => Promise.all([server.close(), live.close(), peer.close()]))
  return {
    dir,
    cacheDir,
    server,
    live,
    peer,
    async newBuild(inputs = {}) {
      await checkout(dir, { live: live.url, peer: peer.url })
      return new FakeBuild({
        plugin,
        manifest,
        dir,
        cacheDir,
        inputs: { args: ['--base-url', `${live.url}/`, '--allow-private', '--host-interval', '0'], ...inputs },
        // No local binary: the plugin must fetch the release.
        env: { HUGO_PINGBACK_BIN: '', HUGO_PINGBACK_RELEASE_URL: server.url },
      })
    },
  }
}

const installed = (dir) => join(dir, '.netlify', 'hugo-pingback', `v${PACKAGE_VERSION}`, target.exe)

describe('the release download', () => {
  test('a good archive is verified, installed, does the work, and is reused from the cache by the next build without a download', async (t) => {
    const r = await repo(t, release(new Map([[NAME, archive]])))
    const build = await r.newBuild()
    const pre = await build.run('onPreBuild')
    assert.equal(pre.outcome, 'ok', `${pre.error?.stack}\n${build.logText()}`)
    assert.match(build.logText(), new RegExp(`downloading hugo-pingback v${PACKAGE_VERSION} for ${target.os}/${target.arch} from ${r.server.url}`))
    assert.match(build.logText(), /verified and cached for the next builds/)
    assert.match(build.logText(), new RegExp(`^hugo-pingback: using hugo-pingback \\S+.* at \\.netlify/hugo-pingback/v${PACKAGE_VERSION}/${target.exe}$`, 'm'))
    assert.deepEqual(await readFile(installed(r.dir)), await readFile(bin), 'the installed binary is the released one')
    assert.deepEqual(r.server.requests, [`/v${PACKAGE_VERSION}/checksums.txt`, `/v${PACKAGE_VERSION}/${NAME}`])

    // The downloaded binary injects and sends.
    await buildCommand(bin, r.dir)
    assert.equal((await build.run('onPostBuild')).outcome, 'ok')
    const success = await build.run('onSuccess')
    assert.equal(success.outcome, 'ok', build.logText())
    assert.equal(success.status.summary, '11 notified')

    // A fresh clone: the binary comes from the build cache, not the network.
    const next = await r.newBuild()
    assert.ok(!existsSync(installed(r.dir)), 'a fresh checkout has no binary')
    const again = await next.run('onPreBuild')
    assert.equal(again.outcome, 'ok', next.logText())
    assert.match(next.logText(), new RegExp(`hugo-pingback v${PACKAGE_VERSION} restored from the build cache`))
    assert.equal(r.server.requests.length, 2, 'no second download')
  })

  test('a cached binary that was damaged is downloaded again', async (t) => {
    const r = await repo(t, release(new Map([[NAME, archive]])))
    assert.equal((await (await r.newBuild()).run('onPreBuild')).outcome, 'ok')
    const cached = join(r.cacheDir, 'cwd', '.netlify', 'hugo-pingback', `v${PACKAGE_VERSION}`, target.exe)
    await writeFile(cached, 'not a binary')
    const build = await r.newBuild()
    const res = await build.run('onPreBuild')
    assert.equal(res.outcome, 'ok', build.logText())
    assert.match(build.logText(), /is damaged; downloading it again/)
    assert.equal(r.server.requests.length, 4)
    assert.deepEqual(await readFile(installed(r.dir)), await readFile(bin))
  })

  test('a tampered archive fails the plugin with a clear message and installs nothing', async (t) => {
    const tampered = Buffer.concat([archive, Buffer.from('x')])
    const r = await repo(t, release(new Map([[NAME, archive]]), { served: new Map([[NAME, tampered]]) }))
    const build = await r.newBuild()
    const res = await build.run('onPreBuild')
    assert.equal(res.outcome, 'pluginFailed')
    assert.match(
      res.error.message,
      new RegExp(`^checksum mismatch for ${r.server.url}/v${PACKAGE_VERSION}/${NAME.replace(/\./g, '\\.')}: its sha256 is ${sha256(tampered)}, checksums\\.txt of v${PACKAGE_VERSION} says ${sha256(archive)}\\. The download is damaged or was tampered with`),
    )
    assert.ok(!existsSync(installed(r.dir)), 'nothing installed')
    assert.ok(!existsSync(join(r.cacheDir, 'cwd', '.netlify')), 'nothing cached')
  })

  test('a release without an archive for this platform says which', async (t) => {
    const r = await repo(t, release(new Map()))
    const build = await r.newBuild()
    const res = await build.run('onPreBuild')
    assert.equal(res.outcome, 'pluginFailed')
    assert.match(res.error.message, new RegExp(`checksums\\.txt has no line for ${NAME.replace(/\./g, '\\.')}: release v${PACKAGE_VERSION} has no binary for ${target.os}/${target.arch}`))
  })

  test('a version that was never released fails with the URL and the HTTP status', async (t) => {
    const r = await repo(t, release(new Map([[NAME, archive]])))
    const build = await r.newBuild({ version: 'v9.9.9' })
    const res = await build.run('onPreBuild')
    assert.equal(res.outcome, 'pluginFailed')
    assert.equal(res.error.message, `download ${r.server.url}/v9.9.9/checksums.txt: HTTP 404`)
  })

  test('a local binary (input binary) skips the download', async (t) => {
    const r = await repo(t, release(new Map([[NAME, archive]])))
    const local = join(r.dir, 'tools', 'hugo-pingback')
    const build = await r.newBuild({ binary: 'tools/hugo-pingback' })
    await mkdir(join(r.dir, 'tools'))
    await copyFile(bin, local)
    const res = await build.run('onPreBuild')
    assert.equal(res.outcome, 'ok', build.logText())
    assert.match(build.logText(), /^hugo-pingback: using hugo-pingback \S+.* at tools\/hugo-pingback$/m)
    assert.deepEqual(r.server.requests, [])
  })
})

describe('download', () => {
  // What download does with the answers of a flaky or hostile server.
  const cases = [
    // Two 503s, then the file: passing trouble is tried again.
    { failFirst: 2, attempts: 3, want: 'ok' },
    // More 503s than attempts: the last error names the URL and status.
    { failFirst: 3, attempts: 3, want: /^download http:\/\/127\.0\.0\.1:\d+\/f: HTTP 503$/ },
    // A file over the cap is refused, whatever it holds.
    { failFirst: 0, attempts: 1, maxBytes: 10, want: /^download http:\/\/127\.0\.0\.1:\d+\/f: 11 bytes is more than the 10 allowed$/ },
  ]
  for (const c of cases) {
    test(`${c.failFirst} failures, ${c.attempts} attempts, cap ${c.maxBytes ?? 'none'}`, async (t) => {
      const data = Buffer.from('hello world')
      const server = await releaseServer(new Map([['/f', data]]), { failFirst: c.failFirst })
      t.after(server.close)
      const p = download(`${server.url}/f`, { maxBytes: c.maxBytes ?? 1 << 20, attempts: c.attempts, retryDelayMs: 0 })
      if (c.want === 'ok') {
        assert.deepEqual(await p, data)
      } else {
        await assert.rejects(p, { name: "BinaryError", message: c.want })
      }
      assert.equal(server.requests.length, Math.min(c.failFirst + 1, c.attempts))
    })
  }
})
