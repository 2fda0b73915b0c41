// Running the tool: through Netlify's utils.run (execa) when the build gives
// it, else node's child_process, with the same result either way.

import { spawn } from 'node:child_process'

/**
 * runTool runs bin with args and resolves to { exitCode, stdout, stderr }
 * whatever the exit code. stdout is captured (the tool's --json report);
 * stderr, where the tool's warnings and errors go, is copied to the deploy
 * log as it comes and captured too, for the plugin's error messages. A
 * binary that cannot be started rejects with an error naming it.
 */
export async function runTool(utils, bin, args, { cwd = process.cwd(), log = (s) => process.stderr.write(s) } = {}) {
  const start = typeof utils?.run === 'function' ? startWithUtils : startWithSpawn
  const { child, done } = start(utils, bin, args, cwd)
  child.stderr?.on('data', (chunk) => log(chunk.toString()))
  const r = await done
  if (typeof r.exitCode !== 'number') {
    throw new Error(`run ${bin}: ${r.error || 'it did not start'}`)
  }
  return { exitCode: r.exitCode, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

// With stdout and stderr given, utils.run leaves them to the caller instead of
// piping them to the log itself; reject: false makes every exit a result.
function startWithUtils(utils, bin, args, cwd) {
  const child = utils.run(bin, args, { cwd, reject: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const done = Promise.resolve(child).then((r) => ({
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    error: r.shortMessage || r.message,
  }))
  return { child, done }
}

function startWithSpawn(_utils, bin, args, cwd) {
  const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const out = []
  const err = []
  child.stdout.on('data', (c) => out.push(c))
  child.stderr.on('data', (c) => err.push(c))
  const done = new Promise((resolve) => {
    child.on('error', (error) => resolve({ error: error.message }))
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? undefined,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        error: signal ? `killed by ${signal}` : undefined,
      }),
    )
  })
  return { child, done }
}

/** lastLines returns the last n non-empty lines of s, for error messages. */
export function lastLines(s, n = 8) {
  return s
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n')
}
