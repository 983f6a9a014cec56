// Opened straight from a poster: WeChat's own scanner hands the page the poster's URL
// (options.q) or an official code's scene (options.scene); refusals say what to do.
const { open, close, until, tap, text } = require('../support/pages')
const { startCounty, standAt, registeredVolunteer, getJson } = require('../support/story')

let backend
let county

beforeAll(async () => {
  ({ backend, county } = await startCounty())
})
afterAll(() => backend.stop())

function token() {
  return JSON.parse(wx.__state.storage['redvest.session']).token
}

async function openShift() {
  return (await getJson(backend, '/api/mp/v1/me', token())).body.open_shift
}

test('a volunteer opened from a poster URL (options.q) starts at once, and the same poster ends the shift', async () => {
  await registeredVolunteer('poster-q', '李建国', county)
  standAt(county.east)
  const q = encodeURIComponent(county.east.qr.url) // how WeChat passes it: the whole URL, encoded
  const page = await open('scan', { q, scancode_time: '1764600000' })
  await until(() => page.instance.data.mode === 'started', 'the started shift')
  expect(wx.__state.calls.scanCode).toBeUndefined() // no second scan
  expect(text(page, '#message')).toContain('已在「人民路与解放路交叉口」上岗')
  expect((await openShift()).post.name).toBe('人民路与解放路交叉口')
  close(page)

  // Scanning the poster again with WeChat opens the end form, already holding the code.
  standAt(county.east)
  const again = await open('scan', { q })
  await until(() => again.instance.data.mode === 'end', 'the end form')
  expect(text(again, '#scan-end')).toBe('确认下岗')
  await tap(again, '#scan-end')
  await until(() => again.instance.data.mode === 'ended', 'the ended shift')
  expect(await openShift()).toBeNull()
  close(again)
})

test('a volunteer opened from an official mini-program code (options.scene) starts at once', async () => {
  await registeredVolunteer('poster-scene', '赵敏', county)
  standAt(county.west)
  const page = await open('scan', { scene: encodeURIComponent(county.west.qr.scene) })
  await until(() => page.instance.data.mode === 'started', 'the started shift')
  expect((await openShift()).post.name).toBe('文化广场')
  close(page)
})

test('a scan 300 m from the post names the distance and creates nothing', async () => {
  await registeredVolunteer('far-away', '孙丽', county)
  standAt(county.east, 300)
  wx.__state.scanResult = county.east.qr.url
  const home = await open('home')
  await tap(home, '#scan-start')
  await until(() => home.instance.data.message && home.instance.data.message.kind === 'error', 'the refusal')
  expect(text(home, '#message')).toBe('距离岗位 300 米，请到岗位后再扫码')
  expect(text(home, '#duty')).toContain('当前未上岗')
  expect(await openShift()).toBeNull()
  const shifts = await getJson(backend, '/api/mp/v1/shifts', token())
  expect(shifts.body.items).toHaveLength(0)
  close(home)
})

test('a revoked poster tells the volunteer to report it, and creates nothing', async () => {
  await registeredVolunteer('old-poster', '周强', county)
  const oldUrl = county.east.qr.url
  const rotated = await backend.cli(['posts', 'rotate-qr', String(county.east.id), '--reason', 'poster stolen', '--json'])
  expect(rotated.url).not.toBe(oldUrl)
  standAt(county.east)
  const page = await open('scan', { q: encodeURIComponent(oldUrl) })
  await until(() => page.instance.data.message && page.instance.data.message.kind === 'error', 'the refusal')
  expect(text(page, '#message')).toBe('这张岗位海报已作废，请不要再扫它，并告诉协调员更换新海报')
  expect(text(page, '#message')).not.toMatch(/QR_REVOKED|[A-Z]{4,}/)
  expect(await openShift()).toBeNull()
  close(page)
})

test('outside the fence at the end offers the reviewed path, explains it, and ends the shift for review', async () => {
  await registeredVolunteer('walked-away', '吴芳', county)
  const west = await backend.cli(['posts', 'qr', String(county.west.id), '--json'])
  standAt(county.west)
  const start = await open('scan', { q: encodeURIComponent(west.url) })
  await until(() => start.instance.data.mode === 'started', 'the started shift')
  close(start)

  standAt(county.west, 500)
  wx.__state.scanResult = west.url
  const end = await open('scan', { action: 'end' })
  await until(() => end.instance.data.mode === 'end', 'the end form')
  await tap(end, '#scan-end')
  await until(() => end.instance.data.outside, 'the outside-the-fence offer')
  expect(text(end, '#message')).toBe('距离岗位 500 米，请到岗位后再扫码')
  expect(text(end, '#outside')).toContain('交协调员审核，审核通过后才计入时长')
  await tap(end, '#end-outside')
  await until(() => end.instance.data.mode === 'ended', 'the ended shift')
  expect(text(end, '#result')).toContain('需协调员审核')
  const shifts = await getJson(backend, '/api/mp/v1/shifts', token())
  expect(shifts.body.items[0].flags).toContain('outside_geofence_end')
  expect(shifts.body.items[0].review.state).toBe('pending')
  close(end)
})
