// The hugo-pingback binary: a local one named by the user, else the release
// archive for this platform, checked against the release's checksums.txt,
// unpacked with the system tar, and kept in Netlify's build cache. This file
// owns the download and the install; it never runs the tool's commands.

import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { constants as fsConstants } from 'node:fs'
import { access, chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

import { PACKAGE_VERSION } from './inputs.js'

/** RELEASE_URL is where release archives are downloaded from: RELEASE_URL/vVERSION/FILE. */
export const RELEASE_URL = 'https://github.com/hugo-pingback/hugo-pingback/releases/download'

/** RELEASE_URL_ENV names the variable that replaces RELEASE_URL (mirrors, tests). */
export const RELEASE_URL_ENV = 'HUGO_PINGBACK_RELEASE_URL'

/** BINARY_ENV names the variable that points at a local binary and skips the download. */
export const BINARY_ENV = 'HUGO_PINGBACK_BIN'

/** MAX_ARCHIVE_BYTES caps a release archive download (an archive is about 35 MB). */
export const MAX_ARCHIVE_BYTES = 200 << 20

const MAX_CHECKSUMS_BYTES = 1 << 20
const DIGEST_FILE = 'hugo-pingback.sha256'

/** BinaryError is a binary that cannot be had; its message says which and why. */
export class BinaryError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = 'BinaryError'
  }
}

/** ChecksumError is a download whose sha256 differs from the release's checksums.txt. */
export class ChecksumError extends BinaryError {
  constructor(message) {
    super(message)
    this.name = 'ChecksumError'
  }
}

const OS = { linux: 'linux', darwin: 'darwin', win32: 'windows' }
const ARCH = { x64: 'amd64', arm64: 'arm64' }

/**
 * releaseTarget maps Node's platform and arch to the release's names:
 * { os, arch, ext, exe }. Netlify's build images are linux/amd64.
 */
export function releaseTarget(platform = process.platform, arch = process.arch) {
  const os = OS[platform]
  const a = ARCH[arch]
  if (!os || !a) {
    throw new BinaryError(
      `hugo-pingback releases have no binary for ${platform}/${arch} (only linux, darwin and windows on x64 and arm64): ` +
        `build one with "go build ./cmd/hugo-pingback" and name it with the "binary" input or ${BINARY_ENV}`,
    )
  }
  const windows = os === 'windows'
  return { os, arch: a, ext: windows ? 'zip' : 'tar.gz', exe: windows ? 'hugo-pingback.exe' : 'hugo-pingback' }
}

/** archiveName is the release file of version for target, as GoReleaser names it. */
export function archiveName(version, target) {
  return `hugo-pingback_${version}_${target.os}_${target.arch}.${target.ext}`
}

/**
 * parseChecksums reads checksums.txt ("SHA256  FILENAME" lines) into a Map of
 * file name to lower-case hex digest. Blank lines are skipped; any other line
 * that is not a digest and a name is an error naming the line.
 */
export function parseChecksums(text) {
  const sums = new Map()
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') {
      return
    }
    const m = /^([0-9a-fA-F]{64}) [ *]?(\S.*)$/.exec(line.trim())
    if (!m) {
      throw new BinaryError(`checksums.txt line ${i + 1} is not "SHA256  FILENAME": ${JSON.stringify(line.slice(0, 120))}`)
    }
    sums.set(m[2].trim(), m[1].toLowerCase())
  })
  return sums
}

/** sha256 returns the hex sha256 of a Buffer. */
export function sha256(data) {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * download GETs url into a Buffer of at most maxBytes. Connection errors,
 * 5xx and 429 are tried again (attempts in all, retryDelayMs apart, doubling);
 * any other answer but 200 is an error naming the URL and the status.
 */
export async function download(url, { maxBytes, timeoutMs = 120_000, attempts = 3, retryDelayMs = 1000 } = {}) {
  let last
  for (let i = 0; i < attempts; i++) {
    if (i > 0) {
      await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (i - 1)))
    }
    let res
    try {
      res = await fetch(url, {
        redirect: 'follow', // GitHub serves release assets through a redirect
        signal: AbortSignal.timeout(timeoutMs),
        headers: { 'user-agent': `netlify-plugin-hugo-pingback/${PACKAGE_VERSION}` },
      })
    } catch (error) {
      last = new BinaryError(`download ${url}: ${error.cause?.message || error.message}`, { cause: error })
      continue
    }
    if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel()
      last = new BinaryError(`download ${url}: HTTP ${res.status}`)
      continue
    }
    if (res.status !== 200) {
      await res.body?.cancel()
      throw new BinaryError(`download ${url}: HTTP ${res.status}`)
    }
    return readCapped(url, res, maxBytes)
  }
  throw last
}

async function readCapped(url, res, maxBytes) {
  const declared = Number(res.headers.get('content-length'))
  if (declared > maxBytes) {
    await res.body?.cancel()
    throw new BinaryError(`download ${url}: ${declared} bytes is more than the ${maxBytes} allowed`)
  }
  const chunks = []
  let n = 0
  for await (const chunk of res.body) {
    n += chunk.length
    if (n > maxBytes) {
      throw new BinaryError(`download ${url}: more than the ${maxBytes} bytes allowed`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * installDir is where a release is installed, under the build directory
 * (Netlify's own .netlify folder, which is never deployed), one folder per
 * version so that the cache of one version never serves another.
 */
export function installDir(version, cwd = process.cwd()) {
  return resolve(cwd, '.netlify', 'hugo-pingback', `v${version}`)
}

/**
 * installed returns the path of the binary in dir when it is there whole: its
 * sha256 matches the digest written when it was installed. A missing or
 * damaged install returns "".
 */
export async function installed(dir, target = releaseTarget()) {
  const bin = join(dir, target.exe)
  let want, data
  try {
    want = (await readFile(join(dir, DIGEST_FILE), 'utf8')).split(/\s/)[0]
    data = await readFile(bin)
  } catch {
    return ''
  }
  if (sha256(data) !== want) {
    return ''
  }
  await chmod(bin, 0o755) // a cache may not keep the mode bits
  return bin
}

/**
 * installRelease downloads the release archive of version for target from
 * baseURL, checks it against the release's checksums.txt, unpacks it with tar
 * and installs the binary into dir. It returns the binary's path.
 */
export async function installRelease({ version, dir, baseURL = releaseURL(), target = releaseTarget(), fetchOptions = {} }) {
  const name = archiveName(version, target)
  const base = `${baseURL.replace(/\/+$/, '')}/v${version}`
  const sums = parseChecksums(
    (await download(`${base}/checksums.txt`, { ...fetchOptions, maxBytes: MAX_CHECKSUMS_BYTES })).toString('utf8'),
  )
  const want = sums.get(name)
  if (!want) {
    throw new BinaryError(`${base}/checksums.txt has no line for ${name}: release v${version} has no binary for ${target.os}/${target.arch}`)
  }
  const archive = await download(`${base}/${name}`, { ...fetchOptions, maxBytes: MAX_ARCHIVE_BYTES })
  const got = sha256(archive)
  if (got !== want) {
    throw new ChecksumError(
      `checksum mismatch for ${base}/${name}: its sha256 is ${got}, checksums.txt of v${version} says ${want}. ` +
        'The download is damaged or was tampered with; nothing was installed.',
    )
  }
  const tmp = await mkdtemp(join(tmpdir(), 'hugo-pingback-'))
  try {
    const file = join(tmp, name)
    await writeFile(file, archive)
    const out = join(tmp, 'x')
    await mkdir(out)
    await untar(file, out, target)
    const found = await findBinary(out, target.exe)
    if (!found) {
      throw new BinaryError(`${name} has no ${target.exe} at its top level`)
    }
    await mkdir(dir, { recursive: true })
    const bin = join(dir, target.exe)
    await copyFile(found, `${bin}.tmp`)
    await chmod(`${bin}.tmp`, 0o755)
    await rename(`${bin}.tmp`, bin)
    await writeFile(join(dir, DIGEST_FILE), `${sha256(await readFile(bin))}  ${target.exe}\n`)
    return bin
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

/** releaseURL is the base URL of release downloads: RELEASE_URL, or the environment's override. */
export function releaseURL(env = process.env) {
  return env[RELEASE_URL_ENV] || RELEASE_URL
}

// untar unpacks with the system tar: Netlify's images have GNU tar, and
// Windows 10+ ships bsdtar, which also reads the .zip of Windows releases.
async function untar(file, dir, target) {
  const flags = target.ext === 'zip' ? '-xf' : '-xzf'
  try {
    await promisify(execFile)('tar', [flags, file, '-C', dir], { maxBuffer: 1 << 20 })
  } catch (error) {
    throw new BinaryError(`unpack ${file} with tar: ${(error.stderr || error.message).trim()}`, { cause: error })
  }
}

// findBinary looks at the archive's top level, then inside a single top-level
// folder (archives that wrap their files in one).
async function findBinary(dir, exe) {
  const entries = await readdir(dir, { withFileTypes: true })
  if (entries.some((e) => e.isFile() && e.name === exe)) {
    return join(dir, exe)
  }
  const dirs = entries.filter((e) => e.isDirectory())
  if (dirs.length === 1) {
    const p = join(dir, dirs[0].name, exe)
    if (await isFile(p)) {
      return p
    }
  }
  return ''
}

async function isFile(p) {
  try {
    return (await stat(p)).isFile()
  } catch {
    return false
  }
}

/**
 * localBinary checks a binary the user named (input or environment) and
 * returns its absolute path; from says where the name came from.
 */
export async function localBinary(path, from, cwd = process.cwd()) {
  const abs = resolve(cwd, path)
  if (!(await isFile(abs))) {
    throw new BinaryError(`${from} names ${abs}, which is not a file`)
  }
  try {
    await access(abs, fsConstants.X_OK)
  } catch {
    throw new BinaryError(`${from} names ${abs}, which is not executable`)
  }
  return abs
}
