// Problems found at the post (问题上报): a volunteer on duty reports a broken railing with a
// photo and follows it in 我的上报; a report next to an open one of the same kind is shown as a
// likely duplicate; the command office and the unit work on it in the console and the reporter's
// pages show each new state.
const simulate = require('miniprogram-simulate')
const { open, close, until, tap, text } = require('../support/pages')
const { startCounty, standAt, registeredVolunteer, cameraPhoto, getJson, postJson } = require('../support/story')
const { httpCall } = require('../support/wx')

const config = require('../../config')

let backend
let county

beforeAll(async () => {
  ({ backend, county } = await startCounty())
})
afterAll(() => backend.stop())

function token() {
  return JSON.parse(wx.__state.storage['redvest.session']).token
}

async function tapNth(comp, selector, n) {
  comp.querySelectorAll(selector)[n].dispatchEvent('tap')
  await simulate.sleep(10)
}

async function chooseCategory(report, name) {
  const index = report.instance.data.categories.findIndex((c) => c.name === name)
  expect(index).toBeGreaterThanOrEqual(0)
  await tapNth(report, '.chip', index)
  expect(text(report, '#categories')).toContain(`✓ ${name}`)
}

async function goOnDuty(post) {
  standAt(post)
  const start = await open('scan', { q: encodeURIComponent(post.qr.url) })
  await until(() => start.instance.data.mode === 'started', 'the started shift')
  const shiftId = start.instance.data.openShift.id
  close(start)
  return shiftId
}

async function consoleUser(username, role, password, extra = []) {
  await backend.cli(['users', 'create', '--username', username, '--role', role, ...extra, '--json'], { REDVEST_PASSWORD: password })
  const login = await postJson(backend, '/api/console/v1/auth/login', { username, password })
  expect(login.status).toBe(200)
  return login.body.token
}

// The unit's "after" photo, sent as the console's page sends it (multipart, field `file`).
function uploadAfterPhoto(consoleToken, problemId, filePath) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: `${backend.baseUrl}/api/console/v1/problems/${problemId}/photos`,
      filePath,
      name: 'file',
      header: { Authorization: `Bearer ${consoleToken}` },
      success: (res) => resolve({ status: res.statusCode, body: JSON.parse(res.data) }),
      fail: reject,
    })
  })
}

test('a volunteer on duty reports a broken railing with a photo and sees it in 我的上报, waiting to be assigned', async () => {
  await registeredVolunteer('railing', '李建国', county)
  const shiftId = await goOnDuty(county.east)

  // While on duty, the shift page offers the report.
  const shiftPage = await open('shift', { id: String(shiftId) })
  await until(() => shiftPage.instance.data.shift, 'the shift')
  await tap(shiftPage, '#report-problem')
  expect(wx.__state.navigations.pop()).toBe('/pages/problems/report')
  close(shiftPage)

  config.PROBLEM_TEMPLATE_IDS = ['tmpl-problem-fixed'] // the county set up the "problem fixed" message
  const report = await open('problems/report')
  await until(() => report.instance.data.categories.length, 'the categories')
  expect(text(report, '#notify')).toContain('整改完成后，微信通知我')
  expect(report.instance.data.categories.map((c) => c.name)).toEqual(['交通秩序', '环境卫生', '市容市貌', '公共设施', '文明行为', '其他'])
  expect(text(report, '#where')).toContain('岗位：人民路与解放路交叉口（正在上岗）')

  // The page says what is still missing, one thing at a time, and sends nothing.
  await tap(report, '#submit')
  expect(text(report, '#message')).toBe('请先选择问题类别')
  await chooseCategory(report, '公共设施')
  report.instance.onDescription({ detail: { value: '路口东侧护栏倒了两段' } })
  await tap(report, '#submit')
  expect(text(report, '#message')).toBe('请至少拍一张问题的照片')
  await cameraPhoto(backend)
  await tap(report, '#take-photo')
  await until(() => report.instance.data.photos.length === 1, 'the photo on the form')
  expect(wx.__state.calls.chooseMedia.sourceType).toEqual(['camera'])
  expect(text(report, '#photos')).toContain('现场照片（1/3）')

  // Location refused: a clear message, a way to WeChat's settings, nothing filed.
  wx.__state.locationDenied = true
  await tap(report, '#submit')
  await until(() => report.instance.data.locationRefused, 'the refusal')
  expect(text(report, '#message')).toContain('没有取得位置')
  expect((await getJson(backend, '/api/mp/v1/problems', token())).body.items).toEqual([])
  await tap(report, '#open-setting')
  expect(wx.__state.calls.openSetting).toBeTruthy()

  // Allowed now: the report is filed, then its photo is sent.
  standAt(county.east)
  await tap(report, '#submit')
  await until(() => report.instance.data.message && report.instance.data.message.kind === 'ok', 'the filed report')
  expect(wx.__state.calls.getLocation.type).toBe('gcj02')
  expect(wx.__state.calls.requestSubscribeMessage.tmplIds).toEqual(['tmpl-problem-fixed'])
  expect(text(report, '#message')).toContain('问题已上报')
  expect(text(report, '#result')).toContain('已上报：公共设施')
  expect(text(report, '#result')).toMatch(/照片 1：\s*已上传/)
  const problemId = report.instance.data.problem.id
  await tap(report, '#my-problems')
  expect(wx.__state.navigations.pop()).toBe('/pages/problems/index')
  close(report)

  const filed = await getJson(backend, `/api/mp/v1/problems/${problemId}`, token())
  expect(filed.body).toMatchObject({ status: 'open', category: { name: '公共设施' }, description: '路口东侧护栏倒了两段',
    post: { id: county.east.id } })
  expect(filed.body.photos.before).toHaveLength(1)

  // 我的上报: the report, its state in words; a tap opens it with its photo.
  const list = await open('problems/index')
  await until(() => list.instance.data.loaded, 'the list')
  expect(text(list, '#problems')).toContain('公共设施')
  expect(text(list, '#problems')).toContain('待交办')
  expect(text(list, '#problems')).toContain('路口东侧护栏倒了两段')
  await tap(list, '.problem')
  expect(wx.__state.navigations.pop()).toBe(`/pages/problems/detail?id=${problemId}`)
  close(list)

  const detail = await open('problems/detail', { id: String(problemId) })
  await until(() => detail.instance.data.before.length === 1, 'the photo')
  expect(text(detail, '#problem')).toContain('待交办')
  expect(text(detail, '#problem')).toContain('岗位：人民路与解放路交叉口')
  const thumb = detail.instance.data.before[0].thumb
  expect(thumb.startsWith(`${backend.baseUrl}/photos/`)).toBe(true) // the signed path on the API's own host
  const picture = await httpCall('GET', thumb, {}, null)
  expect(picture.statusCode).toBe(200)
  expect(picture.header['content-type']).toBe('image/jpeg')
  await tapNth(detail, '.thumb', 0)
  expect(wx.__state.calls.previewImage.urls).toEqual([detail.instance.data.before[0].url])
  // Not taken up yet: one more photo from here.
  await cameraPhoto(backend)
  await tap(detail, '#take-photo')
  await until(() => detail.instance.data.before.length === 2, 'the second photo')
  expect(text(detail, '#message')).toBe('照片已上传')
  expect(text(detail, '#before')).toContain('发现时的照片（2 张）')
  close(detail)
  config.PROBLEM_TEMPLATE_IDS = []
})

test('a report next to an open one of the same kind is shown as a likely duplicate; filed as another problem, its photo is sent again after the signal drops', async () => {
  await registeredVolunteer('first-finder', '周梅', county)
  const earlier = await postJson(backend, '/api/mp/v1/problems', {
    category: '环境卫生', description: '广场西门垃圾桶满溢', latitude: county.west.latitude, longitude: county.west.longitude,
  }, token())
  expect(earlier.status).toBe(201)

  await registeredVolunteer('second-finder', '吴涛', county)
  standAt(county.west, 20)
  const report = await open('problems/report')
  await until(() => report.instance.data.categories.length, 'the categories')
  expect(text(report, '#where')).not.toContain('正在上岗') // not on duty: no post goes with it
  await chooseCategory(report, '环境卫生')
  report.instance.onDescription({ detail: { value: '花坛边堆了一堆建筑垃圾' } })
  await cameraPhoto(backend)
  await tap(report, '#take-photo')
  await until(() => report.instance.data.photos.length === 1, 'the photo on the form')
  await tap(report, '#submit')
  await until(() => report.instance.data.duplicate, 'the likely duplicate')
  expect(text(report, '#duplicate')).toContain('附近已有人上报了同类问题')
  expect(text(report, '#duplicate')).toContain('广场西门垃圾桶满溢')
  expect(text(report, '#duplicate')).toContain('离这里约 20 米')
  expect(text(report, '#duplicate')).toContain('待交办')
  expect(report.querySelector('#submit')).toBeFalsy() // one decision at a time
  expect((await getJson(backend, '/api/mp/v1/problems', token())).body.items).toEqual([])

  // Filed as another problem; the signal drops just as its photo starts: the report stands and
  // the photo waits on the page with a retry.
  const uploadFile = wx.uploadFile
  wx.uploadFile = (options) => {
    wx.uploadFile = uploadFile
    wx.__state.network = false
    try {
      return uploadFile(options)
    } finally {
      wx.__state.network = true
    }
  }
  await tap(report, '#confirm-new')
  await until(() => report.instance.data.message, 'the answer')
  expect(text(report, '#message')).toBe('问题已上报，但有 1 张照片没有传上去，请点“重新上传”')
  expect(text(report, '#result')).toContain('上传失败：网络不通，请检查手机信号后重试')
  await tap(report, '.retry')
  await until(() => report.instance.data.message.kind === 'ok', 'the photo sent again')
  expect(text(report, '#result')).toMatch(/照片 1：\s*已上传/)
  close(report)
  const mine = (await getJson(backend, '/api/mp/v1/problems', token())).body.items
  expect(mine.map((p) => p.description)).toEqual(['花坛边堆了一堆建筑垃圾'])
  expect(mine[0].id).not.toBe(earlier.body.id)
  expect((await getJson(backend, `/api/mp/v1/problems/${mine[0].id}`, token())).body.photos.before).toHaveLength(1)
})

test('a reporter who sees the problem was already reported gives up, and nothing is filed', async () => {
  await registeredVolunteer('third-finder', '郑强', county)
  standAt(county.west, 10)
  const report = await open('problems/report')
  await until(() => report.instance.data.categories.length, 'the categories')
  await chooseCategory(report, '环境卫生')
  report.instance.onDescription({ detail: { value: '垃圾桶满了' } })
  await cameraPhoto(backend)
  await tap(report, '#take-photo')
  await until(() => report.instance.data.photos.length === 1, 'the photo on the form')
  await tap(report, '#submit')
  await until(() => report.instance.data.duplicate, 'the likely duplicate')
  await tap(report, '#same-problem')
  expect(text(report, '#message')).toBe('好的，这个问题已经有人上报，不再重复上报。谢谢您！')
  expect(report.querySelector('#duplicate')).toBeFalsy()
  close(report)
  expect((await getJson(backend, '/api/mp/v1/problems', token())).body.items).toEqual([])
})

test('a report whose answer is lost to a weak signal is sent again and filed once, with its photo', async () => {
  await registeredVolunteer('weak-signal', '冯丽', county)
  standAt(county.west, 500)
  const report = await open('problems/report')
  await until(() => report.instance.data.categories.length, 'the categories')
  await chooseCategory(report, '其他')
  report.instance.onDescription({ detail: { value: '路灯杆上的广告牌松动' } })
  await cameraPhoto(backend)
  await tap(report, '#take-photo')
  await until(() => report.instance.data.photos.length === 1, 'the photo on the form')

  // The report reaches the backend, but its answer never comes back to the phone.
  const request = wx.request
  wx.request = (options) => {
    if ((options.method || 'GET') !== 'POST' || !options.url.endsWith('/problems')) return request(options)
    wx.request = request
    return request({ ...options, success: () => options.fail({ errMsg: 'request:fail timeout' }) })
  }
  await tap(report, '#submit')
  await until(() => report.instance.data.message, 'the failure')
  expect(report.instance.data.message.kind).toBe('error')
  const filed = (await getJson(backend, '/api/mp/v1/problems', token())).body.items
  expect(filed.map((p) => p.description)).toEqual(['路灯杆上的广告牌松动']) // it was written

  // Sent again: the same report, not a likely duplicate of itself, and the photo follows.
  await tap(report, '#submit')
  await until(() => report.instance.data.message && report.instance.data.message.kind === 'ok', 'the report filed')
  expect(report.instance.data.duplicate).toBeNull()
  expect(report.instance.data.problem.id).toBe(filed[0].id)
  close(report)
  const mine = (await getJson(backend, '/api/mp/v1/problems', token())).body.items
  expect(mine.map((p) => p.id)).toEqual([filed[0].id])
  expect((await getJson(backend, `/api/mp/v1/problems/${filed[0].id}`, token())).body.photos.before).toHaveLength(1)
})

test('as the command office assigns it, the unit fixes it and the office verifies it, the reporter sees each new state', async () => {
  await registeredVolunteer('follower', '孙丽', county)
  const filed = await postJson(backend, '/api/mp/v1/problems', {
    category: '交通秩序', description: '非机动车乱停占用盲道', latitude: county.east.latitude + 0.0001, longitude: county.east.longitude,
  }, token())
  expect(filed.status).toBe(201)
  const problemId = filed.body.id
  const leader = await consoleUser('leader-p', 'leader', 'Leader-Pass-2026!')
  const coordinator = await consoleUser('coord-p', 'coordinator', 'Coordinator-Pass-2026', ['--unit', String(county.unit.id)])

  // From the home page to 我的上报.
  const home = await open('home')
  await until(() => home.instance.data.ready, 'the home page')
  await tap(home, '#my-problems')
  expect(wx.__state.navigations.pop()).toBe('/pages/problems/index')
  close(home)

  // Assigned to the unit, with the category's deadline in working days.
  const assigned = await postJson(backend, `/api/console/v1/problems/${problemId}/assign`, { unit_id: county.unit.id }, leader)
  expect(assigned.status).toBe(200)
  const [, month, day] = assigned.body.deadline.split('-').map(Number)
  let list = await open('problems/index')
  await until(() => list.instance.data.loaded, 'the list')
  expect(text(list, '#problems')).toContain('整改中')
  expect(text(list, '#problems')).toContain(`责任单位：城关镇人民政府，${month}月${day}日前整改`)
  close(list)

  // The unit fixes it with an "after" photo; the reporter sees the note and the photo.
  const after = await uploadAfterPhoto(coordinator, problemId, await cameraPhoto(backend))
  expect(after.status).toBe(201)
  const fixed = await postJson(backend, `/api/console/v1/problems/${problemId}/fix`, { note: '已清理，加装了隔离桩', photo_id: after.body.id }, coordinator)
  expect(fixed.status).toBe(200)
  const detail = await open('problems/detail', { id: String(problemId) })
  await until(() => detail.instance.data.problem, 'the report')
  expect(text(detail, '#problem')).toContain('待验收')
  expect(text(detail, '#fix-note')).toBe('整改说明：已清理，加装了隔离桩')
  expect(text(detail, '#steps')).toContain('交办给城关镇人民政府')
  expect(text(detail, '#steps')).toContain('责任单位整改完成')
  expect(detail.instance.data.after).toHaveLength(1)
  expect(detail.querySelector('#take-photo')).toBeFalsy() // taken up: no more photos from the reporter
  close(detail)

  // The command office accepts the fix.
  const verified = await postJson(backend, `/api/console/v1/problems/${problemId}/verify`, { accepted: true }, leader)
  expect(verified.status).toBe(200)
  list = await open('problems/index')
  await until(() => list.instance.data.loaded, 'the list')
  expect(text(list, '#problems')).toContain('已办结')
  expect(text(list, '#problems')).not.toContain('整改中')
  close(list)
})
