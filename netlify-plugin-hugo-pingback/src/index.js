// netlify-plugin-hugo-pingback: hugo-pingback as a Netlify build plugin.
//
//   onPreBuild   restore the ledger (SITE/.hugo-pingback) from the build cache;
//                make the binary available (local, cached, or downloaded and
//                checked against the release's checksums.txt)
//   onPostBuild  inject --headers into PUBLISH_DIR, so the link tags and
//                _headers ship with the deploy (every context)
//   onSuccess    after a production deploy is live: send, show the summary,
//                save the ledger to the build cache whatever send did
//
// Receivers' answers never fail anything: only broken configuration, a
// binary that cannot be had, or strict = true with permanent failures mark
// the plugin failed, and always through utils.build.failPlugin, so the
// deploy itself stands.

import { stat } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'

import { BINARY_ENV, installDir, installed, installRelease, localBinary, releaseTarget, releaseURL } from './binary.js'
import { settings } from './inputs.js'
import { lastLines, runTool } from './run.js'
import { sendStatus, TITLE } from './summary.js'

// Netlify refuses a plugin whose module exports anything but event handlers,
// so nothing else here is exported.

// LEDGER_DIR is the folder of the ledger and the pages file, inside the site.
const LEDGER_DIR = '.hugo-pingback'

// ConfigError is a site or publish directory the plugin cannot work with.
class ConfigError extends Error {
  constructor(message) {
    super(message)
    this.name = 'ConfigError'
  }
}

// ToolError is a hugo-pingback command that failed; the message has its stderr.
class ToolError extends Error {
  constructor(message) {
    super(message)
    this.name = 'ToolError'
  }
}

// Netlify runs every event of a plugin in one process, so what onPostBuild
// learns (no receiver configured) can be shown in onSuccess's summary.
const build = { notes: [] }

/** onPreBuild restores the ledger and makes the binary available. */
export const onPreBuild = async function ({ constants, inputs, utils }) {
  await failPluginOnError(utils, async () => {
    build.notes = []
    const s = settings(inputs, constants)
    const site = await siteDir(s)
    const ledger = join(site, LEDGER_DIR)
    if (await utils.cache.restore(ledger)) {
      log(`restored ${show(ledger)} (the ledger of what was sent) from the build cache`)
    } else {
      log(`no ledger in the build cache yet${s.send ? ': the first production send starts one' : ''}`)
    }
    const bin = await binary(s, utils)
    const v = await runTool(utils, bin, ['version'])
    if (v.exitCode !== 0) {
      throw new ToolError(`${bin} does not run here (exit ${v.exitCode}):\n${lastLines(v.stderr)}`)
    }
    log(`using ${v.stdout.trim().split('\n')[0]} at ${show(bin)}`)
  })
}

/** onPostBuild injects the link tags and _headers into the publish directory. */
export const onPostBuild = async function ({ constants, inputs, utils }) {
  await failPluginOnError(utils, async () => {
    const s = settings(inputs, constants)
    if (!s.inject) {
      log('inject is off (input inject = false): the plugin adds no link tags or _headers')
      return
    }
    const site = await siteDir(s)
    const pub = await publishDir(constants, site)
    const bin = await binary(s, utils)
    const r = await runTool(utils, bin, ['inject', '--site', site, '--public', pub, '--headers', '--if-configured', '--json'])
    if (r.exitCode !== 0) {
      throw new ToolError(`hugo-pingback inject failed (exit ${r.exitCode}):\n${lastLines(r.stderr)}`)
    }
    const rep = report(r.stdout, 'inject')
    if (rep.no_receiver) {
      const note =
        'No receiver is configured, so no pingback or Webmention tags were added: set server (your hugo-pingback serve), ' +
        'or receiver and webmention, under [params.pingback] in the Hugo config to receive linkbacks. Sending works without one.'
      build.notes.push(note)
      log(note)
      return
    }
    log(
      `inject: ${rep.pages} pages, ${rep.changed} changed, ${rep.unchanged} already carried the tags, ` +
        `${rep.skipped} opted out; _headers ${rep.headers || 'not written'}`,
    )
  })
}

/**
 * onSuccess sends after a production deploy is live and saves the ledger to
 * the build cache, also when send failed. Other contexts send nothing.
 */
export const onSuccess = async function ({ constants, inputs, utils }) {
  await failPluginOnError(utils, async () => {
    const s = settings(inputs, constants)
    const context = process.env.CONTEXT
    if (!s.send) {
      skipped(utils, 'sending is off (input send = false)')
      return
    }
    if (context !== 'production') {
      // A preview's pages are not the ones the web should link back to, and
      // its ledger must never overwrite production's in the shared cache.
      skipped(utils, `${context ? `a ${context}` : 'this'} deploy never sends: only production deploys do`)
      return
    }
    if (constants.IS_LOCAL) {
      // A CLI build keeps a ledger the next Netlify build never sees (so
      // links would be sent twice), and `netlify build` deploys nothing.
      skipped(utils, 'a local build (Netlify CLI) never sends: run hugo-pingback send once the deploy is live')
      return
    }
    const site = await siteDir(s)
    const pub = await publishDir(constants, site)
    const bin = await binary(s, utils)
    const ledger = join(site, LEDGER_DIR)
    const args = ['send', '--site', site, '--public', pub, '--json', ...(s.strict ? ['--strict'] : []), ...s.args]
    let r
    try {
      r = await runTool(utils, bin, args)
    } finally {
      // The ledger is what makes each link notified once: keep it whatever
      // send did (a failed or --strict run still recorded what it sent).
      if (await utils.cache.save(ledger)) {
        log(`saved ${show(ledger)} to the build cache`)
      } else {
        log(`no ledger at ${show(ledger)} to save`)
      }
    }
    if (r.exitCode !== 0 && r.exitCode !== 3) {
      throw new ToolError(`hugo-pingback send failed (exit ${r.exitCode}):\n${lastLines(r.stderr)}`)
    }
    const rep = report(r.stdout, 'send')
    const status = sendStatus(rep, build.notes)
    utils.status.show(status)
    log(`send: ${status.summary}`)
    if (r.exitCode === 3) {
      throw new ToolError(
        `${rep.failed} notifications failed permanently and input strict = true (the deploy stands; the summary lists them)`,
      )
    }
  })
}

// failPluginOnError runs fn and turns any error into utils.build.failPlugin:
// the plugin is marked failed with the message, the build goes on. Errors
// the plugin expects carry their own message; anything else keeps its stack.
async function failPluginOnError(utils, fn) {
  try {
    await fn()
  } catch (error) {
    if (EXPECTED.has(error?.name)) {
      utils.build.failPlugin(error.message)
    }
    utils.build.failPlugin('netlify-plugin-hugo-pingback stopped on an unexpected error', { error })
  }
}

const EXPECTED = new Set(['InputError', 'BinaryError', 'ChecksumError', 'ConfigError', 'ToolError'])

function skipped(utils, why) {
  log(`no linkbacks sent: ${why}`)
  const text = [`No linkbacks sent: ${why}.`, ...build.notes].join('\n\n')
  utils.status.show({ title: TITLE, summary: `No linkbacks sent: ${why}`, text })
}

// binary returns the path of the hugo-pingback binary: the "binary" input,
// else HUGO_PINGBACK_BIN, else the release installed for this build, from
// the build cache or downloaded.
async function binary(s, utils) {
  if (s.binary) {
    return localBinary(s.binary, 'input "binary"')
  }
  if (process.env[BINARY_ENV]) {
    return localBinary(process.env[BINARY_ENV], BINARY_ENV)
  }
  const target = releaseTarget()
  const dir = installDir(s.version)
  let bin = await installed(dir, target)
  if (bin) {
    return bin
  }
  if (await utils.cache.restore(dir)) {
    bin = await installed(dir, target)
    if (bin) {
      log(`hugo-pingback v${s.version} restored from the build cache`)
      return bin
    }
    log(`the cached hugo-pingback v${s.version} is damaged; downloading it again`)
  }
  log(`downloading hugo-pingback v${s.version} for ${target.os}/${target.arch} from ${releaseURL()}`)
  bin = await installRelease({ version: s.version, dir, target })
  if (await utils.cache.save(dir)) {
    log(`hugo-pingback v${s.version} verified and cached for the next builds`)
  }
  return bin
}

async function siteDir(s) {
  const dir = resolve(s.site)
  if (!(await isDir(dir))) {
    throw new ConfigError(`input "site": ${dir} is not a directory (it names the Hugo site, relative to the base directory)`)
  }
  return dir
}

// publishDir is Netlify's publish directory, which must hold the built site
// and must not be the site's sources: inject rewrites every HTML file in it,
// and layouts are HTML files too.
async function publishDir(constants, site) {
  const pub = resolve(constants.PUBLISH_DIR ?? '.')
  if (site === pub || site.startsWith(pub.endsWith(sep) ? pub : pub + sep)) {
    throw new ConfigError(
      `the publish directory ${pub} holds the site's sources (${site}): set publish = "public" under [build] in netlify.toml ` +
        "(or to the site's publishDir)",
    )
  }
  if (!(await isDir(pub))) {
    throw new ConfigError(`the publish directory ${pub} does not exist: did the build command build the site into it?`)
  }
  return pub
}

function report(stdout, cmd) {
  try {
    return JSON.parse(stdout)
  } catch {
    throw new ToolError(`hugo-pingback ${cmd} --json printed no report (${JSON.stringify(stdout.slice(0, 200))}): is the binary older than the plugin?`)
  }
}

async function isDir(p) {
  try {
    return (await stat(p)).isDirectory()
  } catch {
    return false
  }
}

function show(p) {
  const r = relative(process.cwd(), p)
  return r === '' ? '.' : r.startsWith('..') ? p : r
}

function log(msg) {
  console.log(`hugo-pingback: ${msg}`)
}
