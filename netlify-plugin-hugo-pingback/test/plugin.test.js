// The plugin's event handlers, called as Netlify calls them, on a checkout
// of example-site built with the real hugo-pingback binary, against a live
// site and the blogs it links to, all on loopback.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

import { FakeBuild } from '../testutil/netlify.js'
import { linkbackPeer, liveSite } from '../testutil/servers.js'
import { buildCommand, checkout, loadPlugin, tempDir, toolBinary } from '../testutil/site.js'

let bin, plugin, manifest

before(async () => {
  bin = await toolBinary()
  ;({ plugin, manifest } = await loadPlugin())
})

/**
 * world is one user's repository on Netlify: a checkout dir (recreated for
 * each build, as Netlify clones afresh), a build cache that outlives it, the
 * deployed site on loopback, and the blogs it links to.
 */
async function world(t, { refuse = false, receiver = true } = {}) {
  const root = await tempDir()
  const dir = join(root, 'repo')
  const cacheDir = join(root, 'cache')
  const live = await liveSite(join(dir, 'public'))
  const peer = await linkbackPeer({ refuse })
  t.after(() => Promise.all([live.close(), peer.close()]))
  const w = {
    dir,
    cacheDir,
    live,
    peer,
    // args every production send needs here: the live site is on loopback.
    sendArgs: ['--base-url', `${live.url}/`, '--allow-private', '--host-interval', '0'],
    /** newBuild checks the repository out afresh and returns a FakeBuild of it. */
    async newBuild({ context = 'production', inputs = {}, publish, isLocal } = {}) {
      await checkout(dir, { live: live.url, peer: peer.url, receiver })
      return new FakeBuild({
        plugin,
        manifest,
        dir,
        cacheDir,
        context,
        publish,
        isLocal,
        inputs: { args: w.sendArgs, ...inputs },
        env: { HUGO_PINGBACK_BIN: bin },
      })
    },
    /** deploy runs a whole build: onPreBuild, the build command, onPostBuild; then onSuccess. */
    async deploy(build) {
      const pre = await build.run('onPreBuild')
      await buildCommand(bin, dir)
      const post = await build.run('onPostBuild')
      const success = await build.run('onSuccess')
      return { pre, post, success }
    },
  }
  return w
}

function pairs(received, live, peer) {
  return received
    .map((r) => `${r.protocol} ${r.source.replace(live.url, '')} -> ${r.target.replace(peer.url, 'PEER').replace(live.url, 'LIVE')}`)
    .sort()
}

function assertOK(result, build, what) {
  assert.equal(result.outcome, 'ok', `${what}: ${result.error?.stack ?? ''}\n--- deploy log ---\n${build.logText()}`)
}

// What example-site's posts link to, once: the content links (never the
// menu, footer, drafts, future posts, a pingback: false post, or links
// excluded, sponsored or marked no-pingback) and the links between its own
// pages (self-pings, sent by default like WordPress).
const EXPECTED = [
  'pingback /posts/hello-world/ -> PEER/pb/talks.example.org/2023/linkbacks',
  'pingback /posts/second-post/ -> PEER/pb/papers.example.com/pingback-1.0',
  'webmention /about/ -> PEER/wm/indieweb.example/',
  'webmention /posts/hello-world/ -> LIVE/about/',
  'webmention /posts/hello-world/ -> LIVE/posts/second-post/',
  'webmention /posts/hello-world/ -> PEER/wm/example.com/articles/static-blogs',
  'webmention /posts/no-receive/ -> PEER/wm/style.example.com/guide',
  'webmention /posts/second-post/ -> LIVE/posts/hello-world/',
  'webmention /posts/second-post/ -> PEER/wm/www.example.net/linkbacks/',
  'webmention /posts/shortcodes/ -> LIVE/posts/hello-world/',
  'webmention /posts/shortcodes/ -> PEER/wm/example.org/books/weaving-the-web',
].sort()

describe('a production deploy', () => {
  test('restores nothing, injects before the deploy, sends after it, saves the ledger; the next deploy sends nothing new', async (t) => {
    const w = await world(t)
    const first = await w.newBuild()

    const pre = await first.run('onPreBuild')
    assertOK(pre, first, 'onPreBuild')
    assert.match(first.logText(), /no ledger in the build cache yet/)

    await buildCommand(bin, w.dir)
    const page = join(w.dir, 'public', 'posts', 'hello-world', 'index.html')
    assert.doesNotMatch(await readFile(page, 'utf8'), /rel="pingback"/, 'the build command injected nothing')
    const post = await first.run('onPostBuild')
    assertOK(post, first, 'onPostBuild')
    const html = await readFile(page, 'utf8')
    assert.ok(html.includes(`<link rel="pingback" href="${w.peer.url}/xmlrpc">`), 'pingback tag injected')
    assert.ok(html.includes(`<link rel="webmention" href="${w.peer.url}/webmention">`), 'webmention tag injected')
    const headers = await readFile(join(w.dir, 'public', '_headers'), 'utf8')
    assert.match(headers, new RegExp(`X-Pingback: ${w.peer.url}/xmlrpc`))
    assert.equal(w.peer.received.length, 0, 'nothing is sent before the deploy')

    const success = await first.run('onSuccess')
    assertOK(success, first, 'onSuccess')
    assert.deepEqual(pairs(w.peer.received, w.live, w.peer), EXPECTED)
    assert.equal(success.status.title, 'Linkbacks (hugo-pingback)')
    assert.equal(success.status.summary, '11 notified')
    for (const target of ['/pb/talks.example.org/2023/linkbacks', '/wm/indieweb.example/']) {
      assert.ok(success.status.text.includes(target), `status text lists ${target}`)
    }
    assert.match(first.logText(), /saved \.hugo-pingback to the build cache/)
    const cached = join(w.cacheDir, 'cwd', '.hugo-pingback', 'ledger.db')
    assert.ok(existsSync(cached), `the ledger is in the build cache at ${cached}`)

    // The next deploy: a fresh clone, the same cache.
    const second = await w.newBuild()
    assert.ok(!existsSync(join(w.dir, '.hugo-pingback')), 'a fresh checkout has no ledger')
    const again = await w.deploy(second)
    for (const [event, r] of Object.entries(again)) assertOK(r, second, event)
    assert.match(second.logText(), /restored \.hugo-pingback \(the ledger of what was sent\) from the build cache/)
    assert.equal(w.peer.received.length, EXPECTED.length, 'the second deploy notified nobody again')
    assert.match(again.success.status.summary, /^nothing new to notify \(\d+ pages scanned\)$/)
  })
})

describe('previews', () => {
  for (const context of ['deploy-preview', 'branch-deploy']) {
    test(`a ${context} gets the tags but sends nothing and saves no ledger`, async (t) => {
      const w = await world(t)
      const build = await w.newBuild({ context })
      const r = await w.deploy(build)
      for (const [event, res] of Object.entries(r)) assertOK(res, build, event)
      const html = await readFile(join(w.dir, 'public', 'posts', 'hello-world', 'index.html'), 'utf8')
      assert.ok(html.includes(`<link rel="webmention" href="${w.peer.url}/webmention">`), 'previews carry the tags, as production will')
      assert.deepEqual(w.peer.requests, [], 'the web heard nothing from a preview')
      assert.deepEqual(w.live.requests, [], 'not even the live check ran')
      assert.equal(r.success.status.summary, `No linkbacks sent: a ${context} deploy never sends: only production deploys do`)
      assert.ok(!existsSync(join(w.cacheDir, 'cwd', '.hugo-pingback')), "a preview never writes the ledger to the cache production restores")
    })
  }
})

test('a local production build (netlify build, netlify deploy --build) gets the tags but sends nothing', async (t) => {
  const w = await world(t)
  const build = await w.newBuild({ isLocal: true })
  const r = await w.deploy(build)
  for (const [event, res] of Object.entries(r)) assertOK(res, build, event)
  assert.match(await readFile(join(w.dir, 'public', 'posts', 'hello-world', 'index.html'), 'utf8'), /rel="webmention"/)
  assert.deepEqual(w.peer.requests, [])
  assert.equal(r.success.status.summary, 'No linkbacks sent: a local build (Netlify CLI) never sends: run hugo-pingback send once the deploy is live')
})

describe('receivers that refuse', () => {
  test('permanent refusals are reported, never fail the deploy, and the ledger is saved', async (t) => {
    const w = await world(t, { refuse: true })
    const build = await w.newBuild()
    const r = await w.deploy(build)
    for (const [event, res] of Object.entries(r)) assertOK(res, build, event)
    assert.equal(w.peer.received.length, EXPECTED.length, 'every target was tried once')
    assert.equal(r.success.status.summary, '11 failed')
    assert.match(r.success.status.text, /\| failed \| .* \| pingback \| .*fault 33/)
    assert.ok(existsSync(join(w.cacheDir, 'cwd', '.hugo-pingback', 'ledger.db')), 'the ledger of the failures is cached')
  })

  test('with strict = true they mark the plugin failed through failPlugin, not the deploy, and the ledger is saved', async (t) => {
    const w = await world(t, { refuse: true })
    const build = await w.newBuild({ inputs: { strict: true } })
    const r = await w.deploy(build)
    assertOK(r.pre, build, 'onPreBuild')
    assertOK(r.post, build, 'onPostBuild')
    assert.equal(r.success.outcome, 'pluginFailed')
    assert.equal(build.warnings.length, 0, 'failPlugin, not failBuild after the deploy')
    assert.match(r.success.error.message, /^11 notifications failed permanently and input strict = true \(the deploy stands/)
    assert.equal(r.success.status.summary, '11 failed', 'the summary is shown before the plugin fails')
    assert.ok(existsSync(join(w.cacheDir, 'cwd', '.hugo-pingback', 'ledger.db')), 'the ledger survives a strict failure')

    // The next deploy sends none of them again.
    const next = await w.newBuild({ inputs: { strict: true } })
    const again = await w.deploy(next)
    for (const [event, res] of Object.entries(again)) assertOK(res, next, event)
    assert.equal(w.peer.received.length, EXPECTED.length)
  })
})

describe('broken configuration fails the plugin, never the build', () => {
  test('a site directory that does not exist', async (t) => {
    const w = await world(t)
    const build = await w.newBuild({ inputs: { site: 'no-such-site' } })
    const r = await build.run('onPreBuild')
    assert.equal(r.outcome, 'pluginFailed')
    assert.match(r.error.message, /^input "site": .*no-such-site is not a directory/)
    assert.equal((await build.run('onSuccess')).outcome, 'skipped', 'Netlify runs no later event of a failed plugin')
  })

  test('a publish directory that is the site itself (Netlify publish left unset)', async (t) => {
    const w = await world(t)
    const build = await w.newBuild({ publish: '.' })
    assertOK(await build.run('onPreBuild'), build, 'onPreBuild')
    await buildCommand(bin, w.dir)
    const layout = await readFile(join(w.dir, 'layouts', 'baseof.html'), 'utf8')
    const r = await build.run('onPostBuild')
    assert.equal(r.outcome, 'pluginFailed')
    assert.match(r.error.message, /holds the site's sources .* set publish = "public" under \[build\] in netlify\.toml/)
    assert.equal(await readFile(join(w.dir, 'layouts', 'baseof.html'), 'utf8'), layout, 'no source file was touched')
  })

  test('a flag send refuses: the plugin fails with the message, the ledger is still saved', async (t) => {
    const w = await world(t)
    const good = await w.newBuild()
    for (const [event, res] of Object.entries(await w.deploy(good))) assertOK(res, good, event)
    const build = await w.newBuild({ inputs: { args: [...w.sendArgs, '--concurrency', '0'] } })
    const r = await w.deploy(build)
    assert.equal(r.success.outcome, 'pluginFailed')
    assert.match(r.success.error.message, /^hugo-pingback send failed \(exit 2\):\nhugo-pingback: send: --concurrency "0": must be at least 1$/)
    assert.match(build.logText(), /saved \.hugo-pingback to the build cache/)
    assert.ok(existsSync(join(w.cacheDir, 'cwd', '.hugo-pingback', 'ledger.db')))
  })

  // Inputs Netlify lets through but the plugin cannot use.
  const badInputs = [
    // A boolean input spelled some other way.
    [{ strict: 'yes' }, /^input "strict" must be true or false, got "yes"$/],
    // A version that is no release.
    [{ version: 'latest' }, /^input "version" must be a release version such as 0\.1\.0/],
    // A local binary that is not there.
    [{ binary: 'bin/hugo-pingback' }, /^input "binary" names .*bin\/hugo-pingback, which is not a file$/],
  ]
  for (const [inputs, want] of badInputs) {
    test(`input ${JSON.stringify(inputs)}`, async (t) => {
      const w = await world(t)
      const build = await w.newBuild({ inputs })
      const r = await build.run('onPreBuild')
      assert.equal(r.outcome, 'pluginFailed')
      assert.match(r.error.message, want)
    })
  }

  test('an input the manifest does not declare stops the build before the plugin runs, as Netlify does', async (t) => {
    const w = await world(t)
    const build = await w.newBuild({ inputs: { recevier: 'x' } })
    const r = await build.run('onPreBuild')
    assert.equal(r.outcome, 'buildFailed')
    assert.match(r.error.message, /Unknown inputs for plugin "netlify-plugin-hugo-pingback": "recevier"/)
  })
})

describe('a site without a receiver', () => {
  test('is told so in the log and the summary, keeps its pages as built, and still sends', async (t) => {
    const w = await world(t, { receiver: false })
    const build = await w.newBuild()
    await build.run('onPreBuild')
    await buildCommand(bin, w.dir)
    const page = join(w.dir, 'public', 'posts', 'hello-world', 'index.html')
    const before = await readFile(page, 'utf8')
    const post = await build.run('onPostBuild')
    assertOK(post, build, 'onPostBuild')
    assert.equal(await readFile(page, 'utf8'), before, 'no page changed')
    assert.ok(!existsSync(join(w.dir, 'public', '_headers')), 'no _headers without a receiver')
    assert.match(build.logText(), /No receiver is configured, so no pingback or Webmention tags were added/)
    const success = await build.run('onSuccess')
    assertOK(success, build, 'onSuccess')
    assert.match(success.status.text, /No receiver is configured/)
    // Without tags on its own pages, self-pings find no endpoint; the rest go out.
    assert.equal(w.peer.received.length, EXPECTED.filter((p) => !p.includes('LIVE')).length)
  })
})

describe('inject = false and send = false', () => {
  test('leave the pages and the web alone', async (t) => {
    const w = await world(t)
    const build = await w.newBuild({ inputs: { inject: false, send: false } })
    const r = await w.deploy(build)
    for (const [event, res] of Object.entries(r)) assertOK(res, build, event)
    assert.doesNotMatch(await readFile(join(w.dir, 'public', 'posts', 'hello-world', 'index.html'), 'utf8'), /rel="webmention"/)
    assert.deepEqual(w.peer.requests, [])
    assert.equal(r.success.status.summary, 'No linkbacks sent: sending is off (input send = false)')
  })
})
