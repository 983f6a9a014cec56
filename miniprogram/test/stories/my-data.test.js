// A volunteer's own personal data (PIPL): 我的信息 from the home page, the privacy notice read
// again, everything held about them in words, and erasing the account after two confirmations.
const { open, close, until, tap, text } = require('../support/pages')
const { startCounty, standAt, cameraPhoto, registeredVolunteer, getJson, postJson } = require('../support/story')
const { httpCall } = require('../support/wx')

let backend
let county
let leaderToken

beforeAll(async () => {
  ({ backend, county } = await startCounty())
  await backend.cli(['users', 'create', '--username', 'leader-pipl', '--role', 'leader', '--json'], { REDVEST_PASSWORD: 'Leader-Pass-2026!' })
  leaderToken = (await postJson(backend, '/api/console/v1/auth/login', { username: 'leader-pipl', password: 'Leader-Pass-2026!' })).body.token
})
afterAll(async () => {
  await backend.setClockOffset(0)
  await backend.stop()
})
afterEach(() => backend.setClockOffset(0))

function token() {
  return JSON.parse(wx.__state.storage['redvest.session']).token
}

// Scan in at the east post, take a photo on duty, scan out `minutes` later; the shift's id.
async function serveShiftWithPhoto(minutes) {
  standAt(county.east)
  const q = encodeURIComponent(county.east.qr.url)
  const start = await open('scan', { q })
  await until(() => start.instance.data.mode === 'started', 'the started shift')
  const shiftId = start.instance.data.openShift.id
  close(start)
  const shiftPage = await open('shift', { id: String(shiftId) })
  await until(() => shiftPage.instance.data.shift, 'the shift')
  await cameraPhoto(backend)
  await tap(shiftPage, '#take-photo')
  await until(() => shiftPage.instance.data.photos.length === 1, 'the uploaded photo')
  close(shiftPage)
  await backend.setClockOffset(minutes * 60 + 5)
  standAt(county.east)
  const end = await open('scan', { q })
  await until(() => end.instance.data.mode === 'end', 'the end form')
  await tap(end, '#scan-end')
  await until(() => end.instance.data.mode === 'ended', 'the ended shift')
  close(end)
  return shiftId
}

async function openMyInfo() {
  const home = await open('home')
  await until(() => home.instance.data.user, 'the home page')
  await tap(home, '#my-info')
  expect(wx.__state.navigations.pop()).toBe('/pages/me/index')
  close(home)
  const page = await open('me')
  await until(() => page.instance.data.loaded, 'my information')
  return page
}

test('a volunteer reads what is held about them, then erases the account after confirming twice', async () => {
  await registeredVolunteer('pipl-erase', '赵桂芳', county)
  const shiftId = await serveShiftWithPhoto(30)
  const before = await getJson(backend, `/api/console/v1/shifts/${shiftId}`, leaderToken)
  expect(before.body.volunteer.name).toBe('赵桂芳')
  expect(before.body.credited_minutes).toBe(30)

  const page = await openMyInfo()
  expect(text(page, '#profile')).toContain('赵桂芳')
  expect(text(page, '#profile')).toContain('城关镇人民政府')
  expect(text(page, '#hours')).toBe('30 分钟')

  // The notice again, to read only: no agree or refuse buttons.
  await tap(page, '#privacy')
  expect(wx.__state.navigations.pop()).toBe('/pages/privacy/index?mode=read')
  const notice = await open('privacy', { mode: 'read' })
  await until(() => notice.instance.data.policy, 'the privacy notice')
  expect(text(notice, '#policy-title')).toContain('个人信息保护')
  expect(text(notice, '#policy-version')).toContain(notice.instance.data.policy.version)
  expect(notice.querySelector('#agree-privacy')).toBeFalsy()
  expect(notice.querySelector('#refuse')).toBeFalsy()
  close(notice)

  // What the backend holds, in words.
  await tap(page, '#view-data')
  await until(() => page.instance.data.held, 'my data')
  expect(text(page, '#data-profile')).toMatch(/姓名\s*赵桂芳/)
  expect(text(page, '#data-profile')).toMatch(/工作单位\s*城关镇人民政府/)
  expect(text(page, '#data-profile')).toMatch(/（openid）\s*pipl-erase/) // dev:<id> logs in as openid <id>
  expect(text(page, '#data-shifts')).toContain('共 1 次')
  expect(text(page, '#data-shifts')).toContain('计入的服务时长合计：30 分钟')
  expect(text(page, '#data-shifts')).toContain('1 次记录了扫码时的位置')
  expect(text(page, '#data-photos')).toContain('您上传的照片共 1 张')
  expect(text(page, '#data-consents')).toMatch(/同意了 \S+ 版说明/)
  expect(text(page, '#data')).not.toContain('{')
  const exported = await getJson(backend, '/api/mp/v1/me/data', token())
  const photoLink = backend.baseUrl + exported.body.photos[0].url
  expect((await httpCall('GET', photoLink, {}, null)).statusCode).toBe(200)

  // 注销: the first dialog says what goes and what stays, the second asks once more.
  const oldToken = token()
  wx.__state.modals = []
  wx.__state.modalAnswers = [true, true, true]
  await tap(page, '#erase')
  await until(() => wx.__state.navigations.includes('/pages/home/index'), 'back to the first run')
  const [first, second, done] = wx.__state.modals
  expect(first.content).toContain('姓名、手机号')
  expect(first.content).toContain('照片')
  expect(first.content).toContain('服务时长会保留')
  expect(first.content).toContain('匿名')
  expect(second.content).toContain('无法恢复')
  expect(done.title).toBe('已注销')
  close(page)

  // The phone keeps nothing of the account; the next opening is a first run.
  expect(wx.__state.storage).toEqual({})
  const home = await open('home')
  expect(wx.__state.navigations.pop()).toBe('/pages/privacy/index')
  close(home)

  // The backend refuses the old token, the photo is gone, the unit keeps the 30 minutes without the name.
  expect((await getJson(backend, '/api/mp/v1/me', oldToken)).status).toBe(401)
  expect((await httpCall('GET', photoLink, {}, null)).statusCode).not.toBe(200)
  const after = await getJson(backend, `/api/console/v1/shifts/${shiftId}`, leaderToken)
  expect(after.status).toBe(200)
  expect(after.body.credited_minutes).toBe(30)
  expect(after.body.photos).toEqual([])
  expect(JSON.stringify(after.body)).not.toContain('赵桂芳')
})

test('cancelling either confirmation erases nothing', async () => {
  await registeredVolunteer('pipl-cancel', '孙建国', county)
  const page = await openMyInfo()
  const erases = () => wx.__state.requests.filter((r) => r.method === 'DELETE')

  // The button's handler, awaited, so that nothing it might still send goes unseen (the first
  // story taps the same button).
  wx.__state.modals = []
  wx.__state.modalAnswers = [false] // 不注销 at the first dialog
  await page.instance.onErase()
  expect(wx.__state.modals.map((m) => m.title)).toEqual(['注销账号'])

  wx.__state.modals = []
  wx.__state.modalAnswers = [true, false] // 继续, then 不注销 at the last confirmation
  await page.instance.onErase()
  expect(wx.__state.modals.map((m) => m.title)).toEqual(['注销账号', '最后确认'])
  expect(page.instance.data.message).toBeNull()
  expect(text(page, '#profile')).toContain('孙建国')
  close(page)

  expect(erases()).toEqual([])
  expect(token()).toBeTruthy()
  const me = await getJson(backend, '/api/mp/v1/me', token())
  expect(me.status).toBe(200)
  expect(me.body.user.name).toBe('孙建国')
})
