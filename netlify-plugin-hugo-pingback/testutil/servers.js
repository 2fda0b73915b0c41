// Loopback servers for the plugin's tests: the deployed site, the blogs its
// posts link to (with their Webmention and pingback endpoints), and a
// release download server. Every one listens on 127.0.0.1 only.

import { createServer } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { join, normalize } from 'node:path'

/** listen serves handler on 127.0.0.1 and returns { url, close }. */
export async function listen(handler) {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${server.address().port}`
  return {
    url,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections()
        server.close(r)
      }),
  }
}

/**
 * liveSite serves the files under dir as a static host does: /a/b/ is
 * a/b/index.html, anything missing is 404. It stands for the deployed site.
 */
export async function liveSite(dir) {
  const requests = []
  const srv = await listen(async (req, res) => {
    requests.push(`${req.method} ${req.url}`)
    let p = decodeURIComponent(new URL(req.url, 'http://x').pathname)
    if (p.endsWith('/')) p += 'index.html'
    const file = join(dir, normalize(p).replace(/^(\.\.[/\\])+/, ''))
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file')
      res.setHeader('content-type', file.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/octet-stream')
      res.end(await readFile(file))
    } catch {
      res.statusCode = 404
      res.end('not found')
    }
  })
  return { ...srv, requests }
}

/**
 * linkbackPeer is the rest of the web: blog posts under /wm/… advertise a
 * Webmention endpoint (<link rel="webmention">), posts under /pb/… a
 * pingback server (X-Pingback header); POST /webmention and POST /xmlrpc
 * record each notification as { protocol, source, target }. The site under
 * test also names these endpoints as its own receiver. With refuse, every
 * notification is turned down for good (400, and pingback fault 33).
 */
export async function linkbackPeer({ refuse = false } = {}) {
  const received = []
  const requests = []
  let url
  const srv = await listen(async (req, res) => {
    requests.push(`${req.method} ${req.url}`)
    const body = await new Promise((r) => {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => r(Buffer.concat(chunks).toString()))
    })
    const path = new URL(req.url, 'http://x').pathname
    if (req.method === 'GET' && path.startsWith('/wm/')) {
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.end(`<!doctype html><html><head><title>A post</title><link rel="webmention" href="/webmention"></head><body><p>A post.</p></body></html>`)
    } else if (req.method === 'GET' && path.startsWith('/pb/')) {
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.setHeader('x-pingback', `${url}/xmlrpc`)
      res.end(`<!doctype html><html><head><title>A post</title></head><body><p>A post.</p></body></html>`)
    } else if (req.method === 'POST' && path === '/webmention') {
      const form = new URLSearchParams(body)
      received.push({ protocol: 'webmention', source: form.get('source'), target: form.get('target') })
      res.statusCode = refuse ? 400 : 202
      res.end(refuse ? 'target does not accept mentions' : 'accepted')
    } else if (req.method === 'POST' && path === '/xmlrpc') {
      const [source, target] = [...body.matchAll(/<value>\s*(?:<string>)?([^<]*)/g)].map((m) => unescapeXML(m[1].trim()))
      received.push({ protocol: 'pingback', source, target })
      res.setHeader('content-type', 'text/xml')
      res.end(
        refuse
          ? '<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>33</int></value></member><member><name>faultString</name><value><string>pingbacks are closed</string></value></member></struct></value></fault></methodResponse>'
          : '<?xml version="1.0"?><methodResponse><params><param><value><string>Pingback registered.</string></value></param></params></methodResponse>',
      )
    } else {
      res.statusCode = 404
      res.end('not found')
    }
  })
  url = srv.url
  return { ...srv, received, requests }
}

function unescapeXML(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')
}

/**
 * releaseServer serves files (a Map of URL path to Buffer) as GitHub serves
 * release assets; failFirst answers that many requests 503 first. requests
 * lists every request, for "nothing was downloaded" checks.
 */
export async function releaseServer(files, { failFirst = 0 } = {}) {
  const requests = []
  let failures = failFirst
  const srv = await listen((req, res) => {
    requests.push(req.url)
    if (failures > 0) {
      failures--
      res.statusCode = 503
      res.end('try again')
      return
    }
    const data = files.get(new URL(req.url, 'http://x').pathname)
    if (!data) {
      res.statusCode = 404
      res.end('Not Found')
      return
    }
    res.setHeader('content-length', data.length)
    res.end(data)
  })
  return { ...srv, requests }
}
