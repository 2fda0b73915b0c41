// A stand-in for Netlify Build, faithful to what the plugin relies on:
// the documented event arguments ({ constants, inputs, utils, netlifyConfig,
// packageJson }), manifest.yml defaults and input checks, utils.cache with
// the semantics of @netlify/cache-utils (paths relative to the build
// directory, restore replaces the local copy and returns false when nothing
// was cached), utils.build whose functions throw as Netlify's do (and turn
// failBuild into failPlugin after the deploy), utils.status.show with
// Netlify's argument checks, and utils.run with execa's result shape,
// spawning real processes. Written from the sources of netlify/build
// (packages/cache-utils, run-utils, build/src/plugins).

import { spawn } from 'node:child_process'
import { cp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { format } from 'node:util'

// ---------------------------------------------------------------- utils.cache

const MANIFEST_EXT = '.netlify.cache.json'

/** cacheUtils is utils.cache bound to cacheDir, as Netlify binds it to CACHE_DIR. */
export function cacheUtils(cacheDir) {
  const bound = (fn) => (paths, opts = {}) => allowMany(fn, paths, { cacheDir, ...opts })
  return {
    save: bound(saveOne),
    restore: bound(restoreOne),
    remove: bound(removeOne),
    has: bound(hasOne),
    list: (opts = {}) => list({ cacheDir, ...opts }),
    getCacheDir: (opts = {}) => resolve(opts.cwd ?? '.', opts.cacheDir ?? cacheDir),
  }
}

async function allowMany(fn, paths, opts) {
  if (!Array.isArray(paths)) {
    return fn(paths, opts)
  }
  return (await Promise.all(paths.map((p) => fn(p, opts)))).some(Boolean)
}

function bases(cwd) {
  return [
    { name: 'cwd', base: cwd },
    { name: 'home', base: homedir() },
    { name: 'root', base: sep },
  ]
}

function parsePath(path, { cacheDir, cwd }) {
  const cwdA = cwd ?? process.cwd()
  const srcPath = isAbsolute(path) ? resolve(path) : resolve(cwdA, path)
  if (`${cwdA}${sep}`.startsWith(`${srcPath}${sep}`)) {
    throw new Error(`Cannot cache ${srcPath} because it is the current directory (${cwdA}) or a parent directory`)
  }
  const { name, relPath } = bases(cwdA)
    .map(({ name, base }) => (srcPath === base || !srcPath.startsWith(base) ? undefined : { name, relPath: srcPath.replace(base, '') }))
    .find(Boolean)
  return { srcPath, cachePath: join(resolve(cwdA, cacheDir), name, relPath) }
}

async function statOrUndefined(p) {
  try {
    return await stat(p)
  } catch {
    return undefined
  }
}

// hasFiles: non-existing files and empty directories are never cached.
async function hasFiles(p) {
  const st = await statOrUndefined(p)
  if (!st) {
    return false
  }
  if (!st.isDirectory()) {
    return true
  }
  const entries = await readdir(p, { recursive: true, withFileTypes: true })
  return entries.some((e) => !e.isDirectory())
}

async function isExpired(cachePath) {
  try {
    const { expires } = JSON.parse(await readFile(`${cachePath}${MANIFEST_EXT}`, 'utf8'))
    return expires !== undefined && Date.now() > expires
  } catch {
    return false
  }
}

async function saveOne(path, { cacheDir, cwd, ttl }) {
  const { srcPath, cachePath } = parsePath(path, { cacheDir, cwd })
  if (!(await hasFiles(srcPath))) {
    return false
  }
  const expires = Number.isInteger(ttl) && ttl >= 1 ? Date.now() + ttl * 1000 : undefined
  await rm(cachePath, { force: true, recursive: true })
  await cp(srcPath, cachePath, { recursive: true, force: false, errorOnExist: false })
  await mkdir(dirname(cachePath), { recursive: true })
  await writeFile(`${cachePath}${MANIFEST_EXT}`, `${JSON.stringify({ expires }, null, 2)}\n`)
  return true
}

async function restoreOne(path, { cacheDir, cwd }) {
  const { srcPath, cachePath } = parsePath(path, { cacheDir, cwd })
  if (!(await hasFiles(cachePath)) || (await isExpired(cachePath))) {
    return false
  }
  await rm(srcPath, { force: true, recursive: true })
  await cp(cachePath, srcPath, { recursive: true, force: false, errorOnExist: false })
  return true
}

async function removeOne(path, { cacheDir, cwd }) {
  const { cachePath } = parsePath(path, { cacheDir, cwd })
  if (!(await hasFiles(cachePath))) {
    return false
  }
  await rm(cachePath, { force: true, recursive: true })
  await rm(`${cachePath}${MANIFEST_EXT}`, { force: true })
  return true
}

async function hasOne(path, { cacheDir, cwd }) {
  const { cachePath } = parsePath(path, { cacheDir, cwd })
  return (await hasFiles(cachePath)) && !(await isExpired(cachePath))
}

// list returns the original paths of what is cached, to depth levels below
// the top (0: top level only), as readdirp does for cache-utils.
async function list({ cacheDir, cwd, depth = 1 }) {
  const cwdA = cwd ?? process.cwd()
  const root = resolve(cwdA, cacheDir)
  const out = []
  for (const { name, base } of bases(cwdA)) {
    const walk = async (dir, rel, level) => {
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        if (e.name.endsWith(MANIFEST_EXT)) {
          continue
        }
        out.push(join(base, rel, e.name))
        if (e.isDirectory() && level < depth) {
          await walk(join(dir, e.name), join(rel, e.name), level + 1)
        }
      }
    }
    await walk(join(root, name), '', 0)
  }
  return out
}

// ---------------------------------------------------------------- utils.build

const ERROR_TYPE = Symbol('netlify error type')

/** errorType is the kind of a Netlify error: failBuild, failPlugin, cancelBuild, or undefined. */
export function errorType(error) {
  return error?.[ERROR_TYPE]
}

function netlifyError(type, message, { error } = {}) {
  let e
  if (error instanceof Error) {
    error.message = `${message}\n${error.message}`
    e = error
  } else {
    e = new Error(message)
  }
  e[ERROR_TYPE] = type
  return e
}

const SOFT_FAIL_EVENTS = ['onSuccess', 'onError', 'onEnd']

/** buildUtils is utils.build for event: after the deploy, failBuild and cancelBuild fail only the plugin. */
export function buildUtils(event, warnings = []) {
  const failPlugin = (message, opts) => {
    throw netlifyError('failPlugin', message, opts)
  }
  if (SOFT_FAIL_EVENTS.includes(event)) {
    const soft = (name) => (message, opts) => {
      warnings.push(`Plugin error: since "${event}" happens after deploy, the build has already succeeded and cannot fail anymore (${name} called)`)
      failPlugin(message, opts)
    }
    return { failPlugin, failBuild: soft('failBuild'), cancelBuild: soft('cancelBuild') }
  }
  return {
    failPlugin,
    failBuild: (message, opts) => {
      throw netlifyError('failBuild', message, opts)
    },
    cancelBuild: (message, opts) => {
      throw netlifyError('cancelBuild', message, opts)
    },
  }
}

// ---------------------------------------------------------------- utils.status

/** statusUtils is utils.status: show checks its argument as Netlify does and keeps the last one. */
export function statusUtils(runState) {
  return {
    show(args) {
      if (args === undefined || typeof args !== 'object' || args === null || Array.isArray(args)) {
        throw new Error('utils.status.show() argument must be a plain object')
      }
      const { title, summary, text, extraData, ...other } = args
      const keys = Object.keys(other)
      if (keys.length > 0) {
        throw new Error(`utils.status.show() must only contain "title", "summary" or "text" properties, not ${keys.map((k) => `"${k}"`).join(', ')}`)
      }
      for (const [k, v] of Object.entries({ title, summary, text })) {
        if (v !== undefined && typeof v !== 'string') {
          throw new Error(`utils.status.show() "${k}" property must be a string`)
        }
      }
      if (typeof summary !== 'string' || summary.trim() === '') {
        throw new Error('utils.status.show() requires specifying a "summary" property')
      }
      if (extraData !== undefined && !Array.isArray(extraData)) {
        throw new TypeError('utils.status.show() provided extra data must be an array')
      }
      runState.status = { state: 'success', title, summary, text }
    },
  }
}

// ---------------------------------------------------------------- utils.run

/**
 * runUtils is utils.run (execa, as @netlify/run-utils calls it): run(file,
 * args, options) and run.command(string, options) return the child process,
 * which is also a promise of { command, exitCode, stdout, stderr, failed,
 * ... }; a failure rejects unless options.reject is false. Unless stdio,
 * stdout or stderr are given, the output is also copied to write (the
 * deploy log).
 */
export function runUtils(write) {
  const run = (file, args, options) => {
    if (!Array.isArray(args)) {
      options = typeof args === 'object' ? args : options
      args = []
    }
    return execaLike(file, args, options ?? {}, write)
  }
  run.command = (command, options) => {
    const [file, ...args] = command.trim().split(/ +/)
    return execaLike(file, args, options ?? {}, write)
  }
  return run
}

function execaLike(file, args, options, write) {
  const redirect = options.stdio === undefined && options.stdout === undefined && options.stderr === undefined
  const std = (v) => (v === undefined ? 'pipe' : v)
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.extendEnv === false ? options.env : { ...process.env, ...options.env },
    stdio: options.stdio ?? [std(options.stdin), std(options.stdout), std(options.stderr)],
  })
  const out = []
  const err = []
  child.stdout?.on('data', (c) => {
    out.push(c)
    if (redirect) write(c.toString())
  })
  child.stderr?.on('data', (c) => {
    err.push(c)
    if (redirect) write(c.toString())
  })
  const command = [file, ...args].join(' ')
  const promise = new Promise((resolvePromise, reject) => {
    let done = false
    const finish = ({ code, signal, error }) => {
      if (done) return
      done = true
      const strip = (chunks) => Buffer.concat(chunks).toString().replace(/\r?\n$/, '')
      const result = {
        command,
        escapedCommand: command,
        exitCode: error ? undefined : (code ?? undefined),
        signal: signal ?? undefined,
        stdout: strip(out),
        stderr: strip(err),
        failed: Boolean(error) || code !== 0,
        timedOut: false,
        isCanceled: false,
        killed: false,
      }
      if (!result.failed) {
        resolvePromise(result)
        return
      }
      result.shortMessage = error
        ? `Command failed with ${error.code}: ${command}\n${error.message}`
        : signal
          ? `Command was killed with ${signal}: ${command}`
          : `Command failed with exit code ${code}: ${command}`
      result.message = [result.shortMessage, result.stderr, result.stdout].filter(Boolean).join('\n')
      if (options.reject === false) {
        resolvePromise(result)
      } else {
        reject(Object.assign(new Error(result.message), result))
      }
    }
    child.on('error', (error) => finish({ error }))
    child.on('close', (code, signal) => finish({ code, signal }))
  })
  return Object.assign(child, {
    then: promise.then.bind(promise),
    catch: promise.catch.bind(promise),
    finally: promise.finally.bind(promise),
  })
}

// ---------------------------------------------------------------- manifest.yml

/**
 * readManifest reads manifest.yml. It takes the YAML the plugin's manifest
 * is written in (name, and inputs as a list of maps of one-line scalars,
 * strings in double quotes) and refuses any other line, then checks it the
 * way Netlify's validateManifest does.
 */
export async function readManifest(path) {
  const m = { inputs: undefined }
  let input
  for (const [i, raw] of (await readFile(path, 'utf8')).split('\n').entries()) {
    const line = raw.replace(/\s+$/, '')
    if (line === '' || /^\s*#/.test(line)) continue
    let r
    if ((r = /^(\w+):\s*(.*)$/.exec(line))) {
      if (r[1] === 'inputs' && r[2] === '') {
        m.inputs = []
      } else {
        m[r[1]] = scalar(r[2], i)
      }
    } else if ((r = /^ {2}- (\w+):\s*(.+)$/.exec(line)) && m.inputs) {
      input = { [r[1]]: scalar(r[2], i) }
      m.inputs.push(input)
    } else if ((r = /^ {4}(\w+):\s*(.+)$/.exec(line)) && input) {
      input[r[1]] = scalar(r[2], i)
    } else {
      throw new Error(`manifest.yml line ${i + 1} is outside the YAML subset this reader takes: ${line}`)
    }
  }
  validateManifest(m)
  return m
}

function scalar(v, i) {
  if (/^["[{]|^(true|false|-?\d+(\.\d+)?)$/.test(v)) {
    try {
      return JSON.parse(v)
    } catch {
      throw new Error(`manifest.yml line ${i + 1}: cannot read ${v}`)
    }
  }
  if (/[:#'"]/.test(v)) {
    throw new Error(`manifest.yml line ${i + 1}: quote ${v}`)
  }
  return v
}

function validateManifest(m) {
  for (const k of Object.keys(m)) {
    if (!['name', 'inputs'].includes(k)) throw new Error(`manifest.yml: unknown property "${k}"`)
  }
  if (typeof m.name !== 'string') throw new Error('manifest.yml must contain a "name" property')
  for (const [i, input] of (m.inputs ?? []).entries()) {
    for (const k of Object.keys(input)) {
      if (!['name', 'description', 'required', 'default'].includes(k)) {
        throw new Error(`manifest.yml input at position ${i} has an unknown property "${k}"`)
      }
    }
    if (typeof input.name !== 'string') throw new Error(`manifest.yml input at position ${i} must contain a "name" property`)
    if (input.description !== undefined && typeof input.description !== 'string') throw new Error(`manifest.yml input ${input.name}: "description" must be a string`)
    if (input.required !== undefined && typeof input.required !== 'boolean') throw new Error(`manifest.yml input ${input.name}: "required" must be a boolean`)
  }
}

/**
 * checkInputs applies the manifest's defaults and refuses missing required
 * and unknown inputs, as Netlify does before loading the plugin.
 */
export function checkInputs(inputs, manifest) {
  const rules = manifest.inputs ?? []
  const withDefaults = Object.assign({}, ...rules.filter((r) => r.default !== undefined).map((r) => ({ [r.name]: r.default })), inputs)
  const missing = rules.filter((r) => r.required && withDefaults[r.name] === undefined).map((r) => r.name)
  if (missing.length > 0) {
    throw new Error(`Required inputs for plugin "${manifest.name}": ${missing.join(', ')}`)
  }
  const known = rules.map((r) => r.name)
  const unknown = Object.keys(withDefaults).filter((k) => !known.includes(k))
  if (unknown.length > 0) {
    throw new Error(`Unknown inputs for plugin "${manifest.name}": ${unknown.map((k) => `"${k}"`).join(', ')}`)
  }
  return withDefaults
}

// ---------------------------------------------------------------- a build

const EVENTS = ['onPreBuild', 'onBuild', 'onPostBuild', 'onSuccess', 'onError', 'onEnd']

/** validatePlugin refuses a plugin module exporting anything but event handlers, as Netlify does. */
export function validatePlugin(plugin) {
  for (const [k, v] of Object.entries(plugin)) {
    if (!EVENTS.includes(k)) throw new Error(`Invalid event '${k}'.`)
    if (typeof v !== 'function') throw new TypeError(`Invalid event handler '${k}': must be a function`)
  }
}

/**
 * FakeBuild is one Netlify build of a site checked out in dir, with the
 * build cache in cacheDir (which outlives the checkout, as Netlify's does).
 * run(event) calls the plugin's handler as Netlify would, from dir, with
 * CONTEXT set, and says how it ended: "ok", "pluginFailed" (failPlugin, or
 * any failure after the deploy: the deploy stands) or "buildFailed". After a
 * plugin failed, Netlify runs none of its later events, and neither does
 * this.
 */
export class FakeBuild {
  constructor({ plugin, manifest, dir, cacheDir, context = 'production', inputs = {}, publish = 'public', env = {}, isLocal = false }) {
    validatePlugin(plugin)
    Object.assign(this, { plugin, manifest, dir, context, inputs, env })
    this.constants = {
      CONFIG_PATH: 'netlify.toml',
      PUBLISH_DIR: publish, // relative to the build directory, as Netlify passes it
      FUNCTIONS_DIST: '.netlify/functions/',
      EDGE_FUNCTIONS_DIST: '.netlify/edge-functions-dist/',
      INTERNAL_FUNCTIONS_SRC: '.netlify/functions-internal',
      INTERNAL_EDGE_FUNCTIONS_SRC: '.netlify/edge-functions',
      CACHE_DIR: cacheDir,
      IS_LOCAL: isLocal, // true under the Netlify CLI (netlify build, netlify deploy --build)
      NETLIFY_BUILD_VERSION: '35.0.5',
      SITE_ID: '8f5d2a9e-0b1c-4d6e-9f70-1a2b3c4d5e6f',
    }
    this.netlifyConfig = {
      build: { base: dir, publish: resolve(dir, publish), command: 'hugo', environment: {} },
      plugins: [{ package: 'netlify-plugin-hugo-pingback', inputs }],
    }
    this.runState = {}
    this.log = []
    this.warnings = []
    this.pluginFailed = false
  }

  /** run calls the plugin's handler for event; see the class comment. */
  async run(event) {
    if (this.pluginFailed || !this.plugin[event]) {
      return { outcome: 'skipped' }
    }
    const saved = { cwd: process.cwd(), env: { ...process.env }, log: console.log, error: console.error, write: process.stderr.write }
    const sink = (s) => this.log.push(String(s).replace(/\n$/, ''))
    let outcome = 'ok'
    let error
    try {
      process.chdir(this.dir)
      Object.assign(process.env, { CONTEXT: this.context, ...this.env })
      console.log = (...a) => sink(format(...a))
      console.error = (...a) => sink(format(...a))
      process.stderr.write = (chunk) => (sink(chunk), true)
      const inputs = checkInputs(this.inputs, this.manifest)
      const utils = {
        build: buildUtils(event, this.warnings),
        cache: cacheUtils(this.constants.CACHE_DIR),
        status: statusUtils(this.runState),
        run: runUtils(sink),
      }
      await this.plugin[event]({ constants: this.constants, inputs, utils, netlifyConfig: this.netlifyConfig, packageJson: {} })
    } catch (e) {
      error = e
      if (errorType(e) === 'failPlugin' || SOFT_FAIL_EVENTS.includes(event)) {
        outcome = 'pluginFailed'
        this.pluginFailed = true
      } else {
        outcome = 'buildFailed'
      }
    } finally {
      console.log = saved.log
      console.error = saved.error
      process.stderr.write = saved.write
      process.chdir(saved.cwd)
      for (const k of Object.keys(process.env)) {
        if (!(k in saved.env)) delete process.env[k]
      }
      Object.assign(process.env, saved.env)
    }
    return { outcome, error, status: this.runState.status }
  }

  /** logText is everything the build logged so far. */
  logText() {
    return this.log.join('\n')
  }
}
