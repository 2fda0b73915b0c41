// The real parts of the plugin's tests: the hugo-pingback binary, and a
// checkout of the repository's example-site whose links lead to loopback.

import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { readManifest } from './netlify.js'

const exec = promisify(execFile)

/** PLUGIN_DIR is the plugin package; REPO_ROOT the hugo-pingback repository around it. */
export const PLUGIN_DIR = fileURLToPath(new URL('..', import.meta.url))
export const REPO_ROOT = resolve(PLUGIN_DIR, '..')

/** loadPlugin imports the plugin and its manifest, as Netlify loads them. */
export async function loadPlugin() {
  return {
    plugin: await import(join(PLUGIN_DIR, 'src', 'index.js')),
    manifest: await readManifest(join(PLUGIN_DIR, 'manifest.yml')),
  }
}

const temps = []
process.on('exit', () => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** tempDir makes a temp dir that is removed when the process exits. */
export async function tempDir(prefix = 'hp-plugin-') {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  temps.push(dir)
  return dir
}

let built
/**
 * toolBinary is the real hugo-pingback binary: HUGO_PINGBACK_BIN when set
 * (CI builds it once), else built here from the repository with go build.
 */
export async function toolBinary() {
  if (process.env.HUGO_PINGBACK_BIN) {
    return resolve(process.env.HUGO_PINGBACK_BIN)
  }
  built ??= (async () => {
    const dir = await tempDir('hp-plugin-bin-')
    const bin = join(dir, 'hugo-pingback')
    await exec('go', ['build', '-o', bin, './cmd/hugo-pingback'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 })
    return bin
  })()
  return built
}

// Hosts whose links the example site must never have notified: they stay
// reserved names, which are skipped before any request (excluded, rel
// sponsored, class no-pingback).
const KEEP_HOSTS = new Set(['private.example', 'shop.example', 'rival.example'])

// Blogs that speak pingback; every other linked host speaks Webmention.
const PINGBACK_HOSTS = new Set(['talks.example.org', 'papers.example.com'])

/**
 * checkout copies example-site (sources only) into dir, as a fresh clone of
 * a user's repository, with its baseURL set to live, its receiver endpoints
 * and its content links pointing at the loopback peer (each
 * https://HOST/PATH becomes PEER/wm/HOST/PATH or PEER/pb/HOST/PATH), and its
 * published posts dated yesterday, so that no first-run cut-off by age
 * keeps them from sending. With receiver false the site configures none.
 */
export async function checkout(dir, { live, peer, receiver = true }) {
  await rm(dir, { recursive: true, force: true })
  const src = join(REPO_ROOT, 'example-site')
  await cp(src, dir, {
    recursive: true,
    filter: (p) => !/[/\\](public|resources|\.hugo-pingback|\.hugo_build\.lock)$/.test(p),
  })
  const cfgPath = join(dir, 'hugo.toml')
  let cfg = await readFile(cfgPath, 'utf8')
  cfg = cfg.replace(/^baseURL = .*$/m, `baseURL = "${live}/"`)
  cfg = receiver
    ? cfg
        .replace(/^(\s*)receiver = .*$/m, `$1receiver = "${peer}/xmlrpc"`)
        .replace(/^(\s*)webmention = .*$/m, `$1webmention = "${peer}/webmention"`)
    : cfg.replace(/^\s*(receiver|webmention) = .*$/gm, '')
  await writeFile(cfgPath, cfg)
  const yesterday = new Date(Date.now() - 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
  for (const rel of await readdir(join(dir, 'content'), { recursive: true })) {
    if (!rel.endsWith('.md')) continue
    const p = join(dir, 'content', rel)
    let md = await readFile(p, 'utf8')
    md = md.replace(/https:\/\/([a-z0-9.-]+)(\/[^\s)"]*)?/g, (all, host, path = '/') =>
      KEEP_HOSTS.has(host) ? all : `${peer}/${PINGBACK_HOSTS.has(host) ? 'pb' : 'wm'}/${host}${path}`,
    )
    if (!rel.endsWith('future.md')) {
      md = md.replace(/^date: .*$/m, `date: ${yesterday}`)
    }
    await writeFile(p, md)
  }
  return dir
}

/**
 * buildCommand is the user's build command: the embedded Hugo renders the
 * site into public/ and injects nothing (--no-inject), as a plain `hugo`
 * would, so the plugin's onPostBuild does the injecting.
 */
export async function buildCommand(bin, dir) {
  return exec(bin, ['build', '--no-inject'], { cwd: dir, maxBuffer: 16 << 20 })
}
