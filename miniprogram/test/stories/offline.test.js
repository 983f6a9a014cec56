// Weak signal at the crossing: a scan that found no network is kept on the phone and sent
// when the network returns, with its original client_request_id and the phone's time.
const path = require('path')
const { open, close, until, tap, text, ROOT } = require('../support/pages')
const { startCounty, standAt, registeredVolunteer, getJson } = require('../support/story')

let backend
let county

beforeAll(async () => {
  ({ backend, county } = await startCounty())
})
afterAll(async () => {
  await backend.setClockOffset(0)
  await backend.stop()
})

function token() {
  return JSON.parse(wx.__state.storage['redvest.session']).token
}

function launchApp() {
  let definition
  global.App = (def) => { definition = def }
  require(path.join(ROOT, 'app.js'))
  definition.onLaunch()
}

test('a scan without network is kept, and when the network returns exactly one shift is made, flagged offline_sync', async () => {
  await registeredVolunteer('no-signal', '陈桂英', county)
  launchApp()
  const home = await open('home')
  standAt(county.east)
  wx.__state.scanResult = county.east.qr.url

  wx.__state.network = false
  const scannedAt = Date.now()
  await tap(home, '#scan-start')
  await until(() => home.instance.data.message && home.instance.data.message.kind === 'info', 'the kept scan')
  expect(text(home, '#message')).toBe('已保存，联网后自动提交')
  expect(text(home, '#queued')).toContain('有 1 次扫码已保存在手机上')
  const kept = JSON.parse(wx.__state.storage['redvest.offlineScans'])
  expect(kept).toHaveLength(1)
  expect(kept[0]).toMatchObject({ action: 'start', qr: county.east.qr.url, latitude: wx.__state.location.latitude })
  const requestId = kept[0].client_request_id

  // Four minutes later by the server's clock the signal is back; WeChat reports it.
  await backend.setClockOffset(4 * 60)
  wx.__state.network = true
  wx.__state.networkHandler({ isConnected: true, networkType: '4g' })
  await until(() => !wx.__state.storage['redvest.offlineScans'], 'the queue to be sent')
  // The home page shown again flushes too: nothing left to send twice.
  await home.instance.onShow()
  await until(() => home.instance.data.openShift, 'the open shift on the home page')
  expect(text(home, '#queued')).toBe('')

  const shifts = (await getJson(backend, '/api/mp/v1/shifts', token())).body.items
  expect(shifts).toHaveLength(1)
  expect(shifts[0].flags).toEqual(['offline_sync'])
  expect(shifts[0].review.state).toBe('pending')
  // It started when the volunteer scanned, not when the phone found the network.
  expect(Math.abs(Date.parse(shifts[0].started_at) - scannedAt)).toBeLessThan(3000)
  const starts = wx.__state.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/mp/v1/shifts') && r.status !== 'offline')
  expect(starts.map((r) => r.status)).toEqual([201])
  expect(requestId).toBeTruthy()
  close(home)
})

test('a kept scan sent after the backend stops accepting it says so and creates nothing', async () => {
  await backend.setClockOffset(0)
  await registeredVolunteer('too-late', '刘洋', county)
  const home = await open('home')
  standAt(county.west)
  wx.__state.scanResult = county.west.qr.url
  wx.__state.network = false
  await tap(home, '#scan-start')
  await until(() => home.instance.data.message && home.instance.data.message.kind === 'info', 'the kept scan')

  await backend.setClockOffset(31 * 60)
  wx.__state.network = true
  await home.instance.onShow()
  await until(() => home.instance.data.message && home.instance.data.message.kind === 'error', 'the refusal')
  expect(text(home, '#message')).toContain('超过 30 分钟没能提交，已不能计入，请向协调员申请补录')
  expect((await getJson(backend, '/api/mp/v1/shifts', token())).body.items).toHaveLength(0)
  expect(wx.__state.storage['redvest.offlineScans']).toBeUndefined()
  close(home)
})

test('a poster scanned to end a shift without signal is kept, and ends the shift when the network returns', async () => {
  await backend.setClockOffset(0)
  await registeredVolunteer('end-offline', '黄磊', county)
  const q = encodeURIComponent(county.east.qr.url)
  standAt(county.east)
  const start = await open('scan', { q })
  await until(() => start.instance.data.mode === 'started', 'the started shift')
  const shiftId = start.instance.data.openShift.id
  close(start)

  // 20 minutes later by both the server's and the phone's clock.
  const realNow = Date.now.bind(Date)
  const phoneClock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 20 * 60 * 1000)
  await backend.setClockOffset(20 * 60)
  wx.__state.network = false
  standAt(county.east)
  const end = await open('scan', { q })
  await until(() => end.instance.data.mode === 'end', 'the end form, from the shift last seen online')
  await tap(end, '#plus')
  await tap(end, '#scan-end')
  await until(() => end.instance.data.mode === 'queued', 'the kept scan')
  expect(text(end, '#message')).toBe('已保存，联网后自动提交')
  close(end)

  phoneClock.mockImplementation(() => realNow() + 22 * 60 * 1000)
  await backend.setClockOffset(22 * 60)
  wx.__state.network = true
  const home = await open('home')
  await until(() => home.instance.data.ready && !wx.__state.storage['redvest.offlineScans'], 'the kept scan sent')
  expect(home.instance.data.openShift).toBeNull()
  const shift = (await getJson(backend, `/api/mp/v1/shifts/${shiftId}`, token())).body
  expect(shift).toMatchObject({ status: 'closed', persuasions: 1, flags: ['offline_sync'] })
  expect(shift.credited_minutes).toBe(20) // ended when scanned, not when sent two minutes later
  close(home)
  phoneClock.mockRestore()
})
