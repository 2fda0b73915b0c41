// Inputs: the plugin's settings from netlify.toml, checked and given their
// defaults. Netlify applies the defaults of manifest.yml before the plugin
// runs; they are applied here again so that a handler called with fewer
// inputs (another runner, a test) behaves the same.

import { readFileSync } from 'node:fs'

/** PACKAGE_VERSION is the plugin's own version, the default release to download. */
export const PACKAGE_VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version

/** DEFAULTS are the defaults manifest.yml declares (version and site are computed). */
export const DEFAULTS = Object.freeze({ args: [], send: true, inject: true, strict: false })

/** InputError is a bad input; its message names the input and the value. */
export class InputError extends Error {
  constructor(message) {
    super(message)
    this.name = 'InputError'
  }
}

const VERSION = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/

/**
 * settings checks the inputs and returns them with their defaults:
 * { version, binary, site, args, send, inject, strict }. version has no
 * leading "v"; site defaults to the package directory of a monorepo
 * (constants.PACKAGE_PATH), else the base directory ".".
 */
export function settings(inputs = {}, constants = {}) {
  const s = { ...DEFAULTS, ...dropUndefined(inputs) }
  const version = s.version === undefined || s.version === '' ? PACKAGE_VERSION : String(s.version).trim()
  const m = VERSION.exec(version)
  if (!m) {
    throw new InputError(`input "version" must be a release version such as 0.1.0 or v0.1.0, got ${JSON.stringify(s.version)}`)
  }
  return {
    version: m[1],
    binary: optionalString('binary', s.binary),
    site: optionalString('site', s.site) || constants.PACKAGE_PATH || '.',
    args: argList(s.args),
    send: bool('send', s.send),
    inject: bool('inject', s.inject),
    strict: bool('strict', s.strict),
  }
}

function dropUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}

function optionalString(name, v) {
  if (v === undefined || v === null || v === '') {
    return ''
  }
  if (typeof v !== 'string') {
    throw new InputError(`input "${name}" must be a path, got ${JSON.stringify(v)}`)
  }
  return v.trim()
}

// bool takes TOML booleans and their string spellings (inputs set through
// environment-driven tooling arrive as strings).
function bool(name, v) {
  if (v === true || v === 'true') {
    return true
  }
  if (v === false || v === 'false') {
    return false
  }
  throw new InputError(`input "${name}" must be true or false, got ${JSON.stringify(v)}`)
}

// argList takes a list of flags, or one string split at whitespace. A string
// cannot quote an argument that has spaces: a list can.
function argList(v) {
  if (Array.isArray(v)) {
    for (const a of v) {
      if (typeof a !== 'string' && typeof a !== 'number') {
        throw new InputError(`input "args" must be a list of strings, got ${JSON.stringify(v)}`)
      }
    }
    return v.map(String)
  }
  if (typeof v === 'string') {
    if (/["']/.test(v)) {
      throw new InputError(`input "args" is one string with quotes in it (${JSON.stringify(v)}): write it as a list, args = ["--flag", "value with spaces"]`)
    }
    return v.split(/\s+/).filter(Boolean)
  }
  throw new InputError(`input "args" must be a list of flags, got ${JSON.stringify(v)}`)
}
