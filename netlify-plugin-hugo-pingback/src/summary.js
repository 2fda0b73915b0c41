// The deploy summary of a send: utils.status.show's title, one summary line
// and a Markdown text, made from the report of `hugo-pingback send --json`.

/** TITLE heads every status the plugin shows. */
export const TITLE = 'Linkbacks (hugo-pingback)'

/** MAX_ROWS bounds the table of notifications in the status text. */
export const MAX_ROWS = 50

// What each ledger status means to a reader, in the order rows are listed.
const STATUS_WORDS = [
  ['failed', 'failed'],
  ['retry', 'waiting for retry'],
  ['deferred', 'deferred (source not live yet)'],
  ['notified', 'notified'],
  ['no-endpoint', 'no endpoint'],
]

/**
 * countsLine says in one line what a send did, e.g. "3 notified, 1 failed,
 * 2 with no endpoint"; a run with nothing to send says so.
 */
export function countsLine(r) {
  if (r.mode === 'baseline') {
    return `baseline: ${r.baseline ?? 0} links recorded as handled, nothing sent`
  }
  const parts = []
  const add = (n, words) => n > 0 && parts.push(`${n} ${words}`)
  add(r.notified, 'notified')
  add(r.failed, 'failed')
  add(r.retry, 'waiting for retry')
  add(r.deferred, 'deferred (source not live yet)')
  add(r.no_endpoint, 'with no endpoint')
  add(r.unsent, 'left for the next run')
  if (parts.length === 0) {
    return `nothing new to notify (${r.pages ?? 0} pages scanned)`
  }
  return parts.join(', ')
}

/**
 * sendStatus turns a send report into utils.status.show's argument. notes
 * are extra lines (such as "no receiver configured") put before the table.
 */
export function sendStatus(r, notes = []) {
  const lines = [`**${countsLine(r)}**`, '']
  lines.push(
    `Pages: ${r.pages ?? 0} scanned, ${r.new_pages ?? 0} new, ${r.changed ?? 0} changed, ${r.deleted ?? 0} deleted. ` +
      `New links: ${r.new_links ?? 0}${r.self_ping ? `, ${r.self_ping} skipped as self-ping` : ''}${r.excluded ? `, ${r.excluded} excluded` : ''}.`,
  )
  for (const n of notes) {
    lines.push('', n)
  }
  const items = (r.items ?? []).filter((it) => STATUS_WORDS.some(([s]) => s === it.status))
  if (items.length > 0) {
    const order = new Map(STATUS_WORDS.map(([s], i) => [s, i]))
    items.sort((a, b) => order.get(a.status) - order.get(b.status))
    lines.push('', '| status | source | target | via | detail |', '|---|---|---|---|---|')
    for (const it of items.slice(0, MAX_ROWS)) {
      const words = STATUS_WORDS.find(([s]) => s === it.status)[1]
      lines.push(`| ${cell(words)} | ${cell(it.source)} | ${cell(it.target)} | ${cell(it.protocol)} | ${cell(it.error || it.answer)} |`)
    }
    if (items.length > MAX_ROWS) {
      lines.push('', `…and ${items.length - MAX_ROWS} more: run \`hugo-pingback status\` for all of them.`)
    }
  }
  if (r.retry > 0 || r.deferred > 0 || r.unsent > 0) {
    lines.push('', 'Notifications waiting for a retry or for the page to go live are sent by the next production deploy.')
  }
  if (r.budget_exhausted) {
    lines.push('', "The run's time budget (--max-time) ran out; the rest waits for the next deploy.")
  }
  for (const s of r.services ?? []) {
    lines.push('', `${s.protocol} ${s.endpoint}: ${s.status}${s.error ? ` (${s.error})` : ''}`)
  }
  for (const w of r.warnings ?? []) {
    lines.push('', `Warning: ${w}`)
  }
  return { title: TITLE, summary: countsLine(r), text: lines.join('\n') }
}

// cell makes a value safe inside a Markdown table cell.
function cell(v) {
  return String(v ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
}
