// The client and the backend agree: every path the client calls exists with that method, no
// page calls the network except through the API module, and every error code the backend
// can raise has a Chinese message for the volunteer.
const fs = require('fs')
const path = require('path')
const { startBackend, REPO } = require('./support/backend')
const { ROOT } = require('./support/pages')

const api = require('../utils/api')
const errors = require('../utils/errors')

let backend
let routes

beforeAll(async () => {
  backend = await startBackend()
  routes = await backend.routes()
})
afterAll(() => backend.stop())

// Flask's "/api/mp/v1/shifts/<int:shift_id>/end" as a pattern over concrete paths.
function routePattern(rule) {
  const source = rule.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<(?:(\w+):)?\w+>/g, (_, converter) => (converter === 'int' ? '\\d+' : '[^/]+'))
  return new RegExp(`^${source}$`)
}

function backendHas(method, urlPath) {
  return routes.some((route) => route.methods.includes(method) && routePattern(route.rule).test(urlPath))
}

function sourceFiles(dir, found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'test'].includes(entry.name)) continue
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) sourceFiles(full, found)
    else if (entry.name.endsWith('.js')) found.push(full)
  }
  return found
}

test('every endpoint in the client\'s API module exists in the backend with that method', () => {
  const prefix = new URL(require('../config').API_BASE).pathname
  const missing = Object.entries(api.ENDPOINTS)
    .map(([name, [method, template]]) => [name, method, prefix + template.replace(/\{\w+\}/g, '1')])
    .filter(([, method, urlPath]) => !backendHas(method, urlPath))
  expect(missing).toEqual([])
})

test('the check itself fails for an endpoint the backend does not have', () => {
  expect(backendHas('GET', '/api/mp/v1/me')).toBe(true)
  expect(backendHas('POST', '/api/mp/v1/shifts/12/end')).toBe(true)
  expect(backendHas('GET', '/api/mp/v1/shifts/12/end')).toBe(false) // wrong method
  expect(backendHas('POST', '/api/mp/v1/shifts/12/pause')).toBe(false) // no such path
})

test('only the API module calls wx.request, wx.uploadFile or wx.downloadFile, and each page call names a known endpoint', () => {
  const offenders = []
  const unknown = []
  for (const file of sourceFiles(ROOT)) {
    const source = fs.readFileSync(file, 'utf8')
    const rel = path.relative(ROOT, file)
    if (rel !== path.join('utils', 'api.js') && /wx\.(request|uploadFile|downloadFile)\s*\(/.test(source)) offenders.push(rel)
    for (const match of source.matchAll(/api\.(?:call|upload|download)\(\s*'(\w+)'/g)) {
      if (!api.ENDPOINTS[match[1]]) unknown.push(`${rel}: ${match[1]}`)
    }
  }
  expect(offenders).toEqual([])
  expect(unknown).toEqual([])
})

test('every error code the backend raises has a message for the volunteer, never the code itself', () => {
  const codes = new Set()
  // A code is raised by name (code="X") or is an error class's own (status, code, message = 422, "X", ...).
  const collect = (source) => {
    for (const m of source.matchAll(/code="([A-Z_]+)"|\bcode, message = (?:\d+, )?"([A-Z_]+)"/g)) codes.add(m[1] || m[2])
  }
  const scan = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) scan(full)
      else if (entry.name.endsWith('.py')) collect(fs.readFileSync(full, 'utf8'))
    }
  }
  // What the mini-program's API can answer: its views, the services under them, the platform.
  scan(path.join(REPO, 'miniprogram_api'))
  for (const pkg of ['checkin', 'evidence', 'records', 'problems', 'duty']) scan(path.join(REPO, 'server', pkg))
  for (const file of ['callers.py', 'accounts.py', 'errors.py', 'inputs.py', 'tokens.py', 'login_throttle.py']) {
    const full = path.join(REPO, 'server', file)
    if (fs.existsSync(full)) collect(fs.readFileSync(full, 'utf8'))
  }
  const consoleOnly = new Set(['SLOT_STARTED', 'SLOT_FULL', 'SLOT_ENDED', 'DOUBLE_BOOKED', 'ROSTER_REFUSED', 'ROSTER_CONFLICT',
    'STATUS_UNCHANGED', 'SHIFT_NOT_REVIEWABLE', 'POSTER_TEXT_UNPRINTABLE', 'POSTER_FONT_MISSING', 'PUSH_SIGNATURE_INVALID',
    'PHOTO_URL_INVALID', 'PHOTO_URL_EXPIRED', 'NO_POSTS'])
  const missing = [...codes].filter((code) => !consoleOnly.has(code) && !errors.MESSAGES[code]).sort()
  expect(missing).toEqual([])
  for (const [code, make] of Object.entries(errors.MESSAGES)) {
    const text = make({ distance_m: 230, max_minutes: 30, limit: 9 }, '')
    expect(text).toMatch(/[\u4e00-\u9fa5]/)
    expect(text).not.toContain(code)
  }
  expect(errors.messageFor({ code: 'OUTSIDE_GEOFENCE', details: { distance_m: 230.4 } })).toBe('距离岗位 230 米，请到岗位后再扫码')
  expect(errors.messageFor({ code: 'SOMETHING_NEW', message: 'internal' })).toBe(errors.FALLBACK)
})
