// After the shift: the login renewed quietly, records, a correction request that reaches the
// coordinators' queue, a 补录 request, the certificate, and reminders from a tap.
const { open, close, until, tap, text } = require('../support/pages')
const { startCounty, standAt, registeredVolunteer, cameraPhoto, getJson, postJson } = require('../support/story')

let backend
let county

beforeAll(async () => {
  ({ backend, county } = await startCounty())
})
afterAll(async () => {
  await backend.setClockOffset(0)
  await backend.stop()
})
afterEach(() => backend.setClockOffset(0))

function session() {
  return JSON.parse(wx.__state.storage['redvest.session'])
}

// Start at the east post now, end it `minutes` later by the backend's clock; the shift's id.
async function serveShift(minutes) {
  standAt(county.east)
  const q = encodeURIComponent(county.east.qr.url)
  const start = await open('scan', { q })
  await until(() => start.instance.data.mode === 'started', 'the started shift')
  const shiftId = start.instance.data.openShift.id
  close(start)
  await backend.setClockOffset(minutes * 60 + 5)
  standAt(county.east)
  const end = await open('scan', { q })
  await until(() => end.instance.data.mode === 'end', 'the end form')
  await tap(end, '#scan-end')
  await until(() => end.instance.data.mode === 'ended', 'the ended shift')
  close(end)
  return shiftId
}

test('an expired login is renewed without the volunteer noticing', async () => {
  await registeredVolunteer('eight-days', '郑华', county)
  const oldToken = session().token
  await backend.setClockOffset(8 * 24 * 3600) // the token's 7 days have passed
  const stale = await getJson(backend, '/api/mp/v1/me', oldToken)
  expect(stale.status).toBe(401)

  wx.__state.requests = []
  const history = await open('history')
  await until(() => history.instance.data.corrections, 'the records')
  expect(history.instance.data.message).toBeNull()
  expect(text(history, '#shifts')).toContain('还没有上岗记录')
  expect(session().token).not.toBe(oldToken)
  expect(session().registered).toBe(true)
  const statuses = wx.__state.requests.map((r) => `${r.status} ${r.url.replace(backend.apiBase, '')}`)
  expect(statuses).toContain('401 /shifts?limit=20')
  expect(statuses.filter((s) => s.endsWith('/auth/login'))).toEqual(['200 /auth/login']) // one login for both requests
  expect(statuses).toContain('200 /shifts?limit=20')
  close(history)
})

test('a correction request from the shift page appears in the coordinators\' review queue', async () => {
  await registeredVolunteer('correction', '冯军', county)
  const shiftId = await serveShift(20)
  await backend.setClockOffset(25 * 60)

  const page = await open('shift', { id: String(shiftId) })
  await until(() => page.instance.data.canCorrect, 'the correction form')
  page.instance.onMinutes({ detail: { value: '60' } })
  page.instance.onReason({ detail: { value: '下岗时手机没电，实际服务到 8 点半' } })
  await tap(page, '#send-correction')
  await until(() => page.instance.data.message && page.instance.data.message.kind === 'ok', 'the confirmation')
  expect(text(page, '#message')).toBe('更正申请已提交，请等待协调员处理')
  expect(text(page, '#shift')).toContain('待审核')
  close(page)

  const history = await open('history')
  await until(() => history.instance.data.corrections.length, 'the request in the records')
  expect(text(history, '#corrections')).toContain('待协调员处理')
  close(history)

  await backend.cli(['users', 'create', '--username', 'coord-a', '--role', 'coordinator', '--unit', String(county.unit.id), '--json'],
    { REDVEST_PASSWORD: 'Coordinator-Pass-2026' })
  const login = await postJson(backend, '/api/console/v1/auth/login', { username: 'coord-a', password: 'Coordinator-Pass-2026' })
  expect(login.status).toBe(200)
  const queue = await getJson(backend, '/api/console/v1/reviews', login.body.token)
  const item = queue.body.items.find((row) => row.id === shiftId || (row.shift && row.shift.id === shiftId))
  expect(item).toBeTruthy()
  expect(JSON.stringify(item)).toContain('下岗时手机没电')
})

test('a volunteer asks for a missing shift to be recorded (补录申请)', async () => {
  await registeredVolunteer('missing', '何静', county)
  await serveShift(20) // the post now appears in the form's list
  const page = await open('missing')
  await until(() => page.instance.data.posts.length, 'the posts')
  page.instance.onPost({ detail: { value: '0' } })
  const yesterday = new Date(Date.now() + 8 * 3600e3 - 24 * 3600e3).toISOString().slice(0, 10)
  page.instance.onDate({ detail: { value: yesterday } })
  page.instance.onStart({ detail: { value: '07:00' } })
  page.instance.onEnd({ detail: { value: '08:30' } })
  page.instance.onReason({ detail: { value: '手机没电，无法扫码' } })
  await tap(page, '#submit')
  await until(() => page.instance.data.message, 'the answer')
  expect(text(page, '#message')).toBe('补录申请已提交，协调员核实后计入时长')
  const token = session().token
  const corrections = await getJson(backend, '/api/mp/v1/corrections', token)
  expect(corrections.body.items.map((c) => c.kind)).toContain('missing')
  close(page)
})

test('the certificate is downloaded and opened as a PDF', async () => {
  await registeredVolunteer('certificate', '马丽', county)
  await serveShift(30)
  const history = await open('history')
  await until(() => history.instance.data.shifts.length, 'the records')
  expect(text(history, '#shifts')).toContain('30 分钟')
  history.instance.onPeriod({ detail: { value: '1' } }) // this year
  await tap(history, '#certificate')
  // The PDF's CJK font is cut from a 30 MB font: seconds of CPU, much longer on a busy machine.
  await until(() => !history.instance.data.downloading, 'the download', 150000)
  await until(() => wx.__state.documents.length, 'the opened document')
  expect(wx.__state.documents[0].head).toBe('%PDF-')
  expect(wx.__state.calls.openDocument.fileType).toBe('pdf')
  const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear()
  const download = wx.__state.requests.find((r) => r.kind === 'downloadFile')
  expect(download.url).toContain(`/me/certificate.pdf?from=${year}-01-01&to=${year}-12-31`)
  expect(download.status).toBe(200)
  close(history)
}, 180000)

test('subscribing to reminders from a tap tells the backend', async () => {
  await registeredVolunteer('reminders', '高峰', county)
  const roster = await open('roster')
  await tap(roster, '#subscribe')
  await until(() => roster.instance.data.message, 'the answer')
  expect(wx.__state.calls.requestSubscribeMessage.tmplIds).toEqual(['tmpl-roster-reminder'])
  expect(text(roster, '#message')).toContain('已订阅')
  const consent = wx.__state.requests.find((r) => r.url.endsWith('/me/reminder-consent'))
  expect(consent.status).toBe(200)
  close(roster)
})

test('a spot check shows on the home page and is answered with a live photo from the post', async () => {
  await registeredVolunteer('spot-check', '林涛', county)
  standAt(county.west)
  const start = await open('scan', { q: encodeURIComponent(county.west.qr.url) })
  await until(() => start.instance.data.mode === 'started', 'the started shift')
  close(start)

  await backend.cli(['users', 'create', '--username', 'leader-1', '--role', 'leader', '--json'], { REDVEST_PASSWORD: 'Leader-Pass-2026!' })
  const login = await postJson(backend, '/api/console/v1/auth/login', { username: 'leader-1', password: 'Leader-Pass-2026!' })
  const check = await postJson(backend, '/api/console/v1/spot-checks', { post_id: county.west.id, minutes: 10 }, login.body.token)
  expect(check.status).toBe(201)

  const home = await open('home')
  await until(() => home.instance.data.spotChecks.length === 1, 'the pending spot check')
  expect(text(home, '.spot-check')).toContain('督查抽查：文化广场')
  await cameraPhoto(backend)
  await tap(home, '.answer-spot-check')
  await until(() => home.instance.data.message && home.instance.data.message.kind !== 'info', 'the answer')
  expect(text(home, '#message')).toBe('抽查已回复，谢谢')
  expect(home.instance.data.spotChecks).toHaveLength(0)
  const result = await getJson(backend, `/api/console/v1/spot-checks/${check.body.id}`, login.body.token)
  expect(result.body.counts.answered).toBe(1)
  close(home)
})
