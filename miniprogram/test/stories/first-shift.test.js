// A first-time volunteer: the privacy notice, WeChat login, registration, a scan at the post,
// a photo, the scan out 20 minutes later, and the minutes and star progress on screen.
const { open, close, until, tap, text, readPage } = require('../support/pages')
const { startCounty, newPhone, standAt, cameraPhoto, getJson } = require('../support/story')

let backend
let county

beforeAll(async () => {
  ({ backend, county } = await startCounty())
})
afterAll(async () => {
  await backend.setClockOffset(0)
  await backend.stop()
})

test('a first-time volunteer registers, serves 20 minutes at a post with a photo, and sees the minutes and star progress', async () => {
  const phone = newPhone('first-timer')

  // First run: the home page sends the volunteer to the privacy notice.
  let home = await open('home')
  expect(phone.navigations.pop()).toBe('/pages/privacy/index')
  close(home)
  const notice = await open('privacy')
  await until(() => notice.instance.data.policy, 'the privacy notice')
  expect(text(notice, '#policy-title')).toContain('个人信息保护')
  expect(notice.instance.data.policy.items.map((i) => i.what).join()).toMatch(/位置.*照片.*手机号/)
  const agree = notice.querySelector('#agree-privacy')
  expect(readPage('privacy', 'wxml')).toMatch(/id="agree-privacy"[^>]*open-type="agreePrivacyAuthorization"\s+bindagreeprivacyauthorization="onAgree"/)
  agree.dispatchEvent('agreeprivacyauthorization')
  await until(() => phone.navigations.includes('/pages/home/index'), 'back to the home page')
  close(notice)

  // Not registered yet: the home page logs in with wx.login and sends them to register.
  home = await open('home')
  expect(phone.navigations.pop()).toBe('/pages/register/index')
  close(home)
  const register = await open('register')
  await until(() => register.instance.data.units.length, 'the unit list')
  register.instance.onName({ detail: { value: '王秀兰' } })
  register.instance.onPhone({ detail: { value: '13912345678' } })
  register.instance.onUnit({ detail: { value: String(register.instance.data.units.findIndex((u) => u.id === county.unit.id)) } })
  await tap(register, '#submit')
  await until(() => register.instance.data.done, 'registration')
  expect(phone.navigations.pop()).toBe('/pages/home/index')
  close(register)

  // At the post: one tap on 扫码上岗 scans the poster (the text the CLI prints) and starts.
  home = await open('home')
  expect(text(home, '#scan-start')).toBe('扫码上岗')
  standAt(county.east)
  phone.scanResult = county.east.qr.url
  await tap(home, '#scan-start')
  await until(() => home.instance.data.openShift, 'the open shift')
  expect(phone.calls.scanCode.onlyFromCamera).toBe(true)
  expect(phone.calls.getLocation.type).toBe('gcj02')
  expect(text(home, '#message')).toContain('已在「人民路与解放路交叉口」上岗')
  expect(text(home, '#duty')).toContain('扫码下岗')
  await until(() => /^00:00:0\d$/.test(home.instance.data.elapsed), 'the live timer')
  const shiftId = home.instance.data.openShift.id

  // A photo from the open shift.
  await tap(home, '#photos')
  expect(phone.navigations.pop()).toBe(`/pages/shift/index?id=${shiftId}`)
  close(home)
  const shiftPage = await open('shift', { id: String(shiftId) })
  await until(() => shiftPage.instance.data.shift, 'the shift')
  expect(text(shiftPage, '#photos')).toContain('每次上岗最多 9 张照片')
  await cameraPhoto(backend)
  phone.network = false // the first try finds no signal: the photo stays, with a retry button
  await tap(shiftPage, '#take-photo')
  await until(() => shiftPage.instance.data.uploads.length && shiftPage.instance.data.uploads[0].state === 'failed', 'the failed upload')
  expect(text(shiftPage, '#photos')).toContain('上传失败：网络不通，请检查手机信号后重试')
  phone.network = true
  await tap(shiftPage, '.retry')
  await until(() => shiftPage.instance.data.photos.length === 1, 'the uploaded photo')
  expect(shiftPage.instance.data.uploads).toEqual([])
  expect(phone.calls.chooseMedia.sourceType).toEqual(['camera'])
  expect(shiftPage.instance.data.photos[0].thumbnail_url).toBeTruthy()
  close(shiftPage)

  // 20 minutes later (the backend's clock moves), 扫码下岗 with 劝导人次 and a note.
  await backend.setClockOffset(20 * 60 + 5)
  standAt(county.east)
  const end = await open('scan', { action: 'end' })
  await until(() => end.instance.data.mode === 'end', 'the end form')
  await tap(end, '#plus')
  await tap(end, '#plus')
  await tap(end, '#plus')
  end.instance.onNote({ detail: { value: '早高峰' } })
  await tap(end, '#scan-end')
  await until(() => end.instance.data.mode === 'ended', 'the end of the shift')
  expect(end.instance.data.result.creditedMinutes).toBe(20)
  expect(text(end, '#credited')).toBe('计入 20 分钟')
  expect(end.instance.data.result.review).toBe('') // nothing sent it to a coordinator: it counts now
  expect(text(end, '#star')).toContain('再服务 99 小时 40 分钟可达一星')

  // The backend agrees.
  const token = JSON.parse(phone.storage['redvest.session']).token
  const shift = await getJson(backend, `/api/mp/v1/shifts/${shiftId}`, token)
  expect(shift.body).toMatchObject({ status: 'closed', credited_minutes: 20, persuasions: 3, note: '早高峰' })
  expect(shift.body.photos).toHaveLength(1)
  close(end)
})
