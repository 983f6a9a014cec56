// A post's leader (岗长) checks in a volunteer who has no smartphone: the coordinator added him
// and printed his card (CLI); the leader scans in at the post, opens 岗长代签 from the home page,
// scans the card, takes the group photo, submits, and reads the result; 30 minutes later ends
// the group the same way. A revoked card and a member already on duty are answered in plain Chinese.
const { open, close, until, tap, text } = require('../support/pages')
const { startCounty, standAt, registeredVolunteer, cameraPhoto } = require('../support/story')

let backend
let county

beforeAll(async () => {
  ({ backend, county } = await startCounty())
})
afterAll(async () => {
  await backend.setClockOffset(0)
  await backend.stop()
})

test('a post leader checks a volunteer without a smartphone in and out with his printed card', async () => {
  // The coordinator's side, on the command line: a volunteer without WeChat, his card, another's revoked card.
  const wang = await backend.cli(['volunteers', 'add', '--name', '王大爷', '--phone', '13900007777',
    '--unit', String(county.unit.id), '--json'])
  const li = await backend.cli(['volunteers', 'add', '--name', '李阿姨', '--phone', '13900008888',
    '--unit', String(county.unit.id), '--json'])
  const wangCard = (await backend.cli(['cards', 'code', String(wang.id), '--json'])).code
  const liOldCard = (await backend.cli(['cards', 'code', String(li.id), '--json'])).code
  await backend.cli(['cards', 'revoke', String(li.id), '--json'])

  // The leader registered earlier and is named leader of the east post.
  const leader = await registeredVolunteer('post-leader', '陈岗长', county)
  await backend.cli(['posts', 'leaders', 'add', String(county.east.id), String(leader.id), '--json'])

  // Not on duty yet: the page says what to do first.
  let page = await open('leader')
  await until(() => page.instance.data.ready, 'the leader page')
  expect(text(page, '#message')).toBe('请先在您担任岗长的岗位扫码上岗，再为组员代签')
  close(page)

  // The leader scans in at the post; the home page now offers 岗长代签.
  standAt(county.east)
  const start = await open('scan', { q: encodeURIComponent(county.east.qr.url) })
  await until(() => start.instance.data.mode === 'started', 'the leader on duty')
  close(start)
  const home = await open('home')
  await until(() => home.instance.data.leadsHere, 'the 岗长代签 button')
  await tap(home, '#leader')
  await until(() => wx.__state.navigations.includes('/pages/leader/index'), 'the way to the leader page')
  close(home)

  page = await open('leader')
  await until(() => page.instance.data.post, 'the post the leader is on duty at')
  expect(text(page, '#post')).toContain('岗长代签：人民路与解放路交叉口')

  // Submitting without a photo is refused on the phone, before anything is sent.
  wx.__state.scanResult = wangCard
  await tap(page, '#scan-card')
  await until(() => page.instance.data.members.length === 1, 'the first card in the list')
  expect(page.instance.data.members.map((m) => m.label)).toEqual([`编号 V${String(wang.id).padStart(4, '0')}`])
  await tap(page, '#submit')
  await until(() => text(page, '#message') === '请先拍一张组员合影并上传，再提交代签', 'the refusal without a photo')

  // Two more cards: the revoked one and a post code by mistake (not a card at all).
  wx.__state.scanResult = liOldCard
  await tap(page, '#scan-card')
  await until(() => page.instance.data.members.length === 2, 'the second card in the list')
  wx.__state.scanResult = county.east.qr.url
  await tap(page, '#scan-card')
  await until(() => text(page, '#message') === '这不是有效的红马甲志愿者卡，请核对后再扫', 'the post code refused as a card')
  expect(page.instance.data.members).toHaveLength(2)

  await cameraPhoto(backend)
  await tap(page, '#take-photo')
  await until(() => page.instance.data.photo && page.instance.data.photo.state === 'done', 'the group photo')
  standAt(county.east)
  await tap(page, '#submit')
  await until(() => page.instance.data.results.length === 2, 'each card\'s result')
  expect(text(page, '#results')).toContain('已上岗')
  expect(text(page, '#results')).toContain('这张志愿者卡已作废，请让组员向协调员领取新卡')
  expect(text(page, '#message')).toBe('1 人上岗成功，共 2 人')

  // Scanned twice by mistake: the member is already on duty, and the page says so.
  wx.__state.scanResult = wangCard
  await tap(page, '#scan-card')
  await until(() => page.instance.data.members.length === 1, 'the card scanned again')
  await tap(page, '#submit')
  await until(() => page.instance.data.results.length === 1, 'the second answer')
  expect(text(page, '#results')).toContain('已在岗，无需重复上岗')

  // 30 minutes later the leader ends the group.
  await backend.setClockOffset(30 * 60 + 5)
  await tap(page, '#mode-end')
  await until(() => page.instance.data.mode === 'end' && !page.instance.data.results.length, 'the end mode')
  wx.__state.scanResult = wangCard
  await tap(page, '#scan-card')
  await until(() => page.instance.data.members.length === 1, 'the card to end')
  standAt(county.east)
  await tap(page, '#submit')
  await until(() => page.instance.data.results.length === 1 && !page.instance.data.busy, 'the end')
  expect(text(page, '#results')).toContain('已下岗，计入 30 分钟')
  close(page)
})
