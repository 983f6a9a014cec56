// 岗长代签: a post's leader, on duty there, checks members without a smartphone in and out by
// scanning their printed cards one after another (or picking them from the slot's roster),
// with one group photo, and reads each card's result in plain Chinese.
const api = require('../../utils/api')
const config = require('../../config')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')

const MAX_CARDS = 20 // the backend's GROUP_CHECKIN_MAX_CARDS
const CARD = /^RVC(\d+)\.\d+\.[A-Za-z0-9_-]{12}$/
// What a card's refusal means for the member in the leader's hand (errors.js speaks to the scanner).
const FOR_MEMBER = {
  SHIFT_ALREADY_OPEN: '已在岗，无需重复上岗',
  SHIFT_NOT_OPEN: '没有在本岗位上岗，无需下岗',
  ACCOUNT_SUSPENDED: '账号已被停用，请联系协调员',
}

function label(card, name) {
  const match = CARD.exec(card)
  const number = match ? `编号 V${match[1].padStart(4, '0')}` : '志愿者卡'
  return name ? `${name}（${number}）` : number
}

function newRequestId() {
  return `group-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

function outcome(item, mode) {
  if (item.shift) {
    if (mode === 'end') return { ok: true, text: `已下岗，计入 ${format.minutes(item.shift.credited_minutes || 0)}` }
    const review = item.shift.review && item.shift.review.state === 'pending' ? '（待协调员审核）' : ''
    return { ok: true, text: item.status === 201 ? `已上岗${review}` : `已上岗（此前已提交）${review}` }
  }
  const error = item.error || {}
  const { code, message, ...details } = error
  return { ok: false, text: FOR_MEMBER[code] || errors.messageFor({ code, message, details }) }
}

Component({
  data: {
    fontSize: 18, ready: false, busy: false, message: null, mode: 'start',
    post: null, leaderShiftId: null, roster: [], members: [], photo: null, results: [],
  },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize() })
      return this.load()
    },

    async load() {
      try {
        const lead = await api.call('leading')
        const post = lead.posts.find((p) => p.id === lead.on_duty_post_id) || null
        this.setData({
          ready: true, post, leaderShiftId: lead.leader_shift_id,
          roster: lead.roster.map((m) => ({ ...m, label: label(m.card, m.name) })),
        })
        if (!post) {
          this.setData({ message: { kind: 'info', text: lead.posts.length
            ? '请先在您担任岗长的岗位扫码上岗，再为组员代签'
            : '您还不是任何岗位的岗长，如需代签请联系协调员' } })
        }
      } catch (err) {
        this.setData({ ready: true, message: errors.notice(err) })
      }
    },

    onModeStart() {
      this.setData({ mode: 'start', members: [], results: [], message: null })
    },
    onModeEnd() {
      this.setData({ mode: 'end', members: [], results: [], message: null })
    },

    add(card, name) {
      if (this.data.members.some((m) => m.card === card)) {
        this.setData({ message: { kind: 'info', text: `${label(card, name)} 已在名单中` } })
        return
      }
      if (this.data.members.length >= MAX_CARDS) {
        this.setData({ message: { kind: 'error', text: `一次最多提交 ${MAX_CARDS} 人，请先提交这一批` } })
        return
      }
      this.setData({ members: this.data.members.concat([{ card, label: label(card, name) }]), message: null })
    },

    // One scan per card; the leader taps again for the next one.
    async onScanCard() {
      let text
      try {
        text = (await device.scanCode() || '').trim()
      } catch (err) {
        if (!device.cancelled(err)) this.setData({ message: { kind: 'error', text: '没有扫到，请对准志愿者卡上的二维码重试' } })
        return
      }
      if (!CARD.test(text)) {
        this.setData({ message: { kind: 'error', text: errors.messageFor({ code: 'INVALID_CARD' }) } })
        return
      }
      const known = this.data.roster.find((m) => m.card === text)
      this.add(text, known ? known.name : '')
    },

    onPick(e) {
      const member = this.data.roster[Number(e.currentTarget.dataset.index)]
      if (member) this.add(member.card, member.name)
    },

    onRemove(e) {
      const card = e.currentTarget.dataset.card
      this.setData({ members: this.data.members.filter((m) => m.card !== card) })
    },

    async onTakePhoto() {
      const photo = await device.evidencePhoto(config.PHOTO_MAX_MB,
        (text) => this.setData({ message: { kind: 'error', text } }))
      if (!photo) return
      this.setData({ photo: { state: 'uploading', id: null } })
      try {
        const uploaded = await api.upload('uploadPhoto', {
          params: { id: this.data.leaderShiftId }, filePath: photo.tempFilePath, formData: { kind: 'duty' } })
        this.setData({ photo: { state: 'done', id: uploaded.id }, message: { kind: 'ok', text: '合影已上传' } })
      } catch (err) {
        this.setData({ photo: { state: 'failed', id: null }, message: errors.notice(err) })
      }
    },

    async onSubmit() {
      if (this.data.busy || !this.data.post) return
      if (!this.data.members.length) return this.setData({ message: { kind: 'error', text: '请先扫描组员的志愿者卡或从排班中选择' } })
      const starting = this.data.mode === 'start'
      if (starting && !(this.data.photo && this.data.photo.id)) {
        return this.setData({ message: { kind: 'error', text: errors.messageFor({ code: 'GROUP_PHOTO_REQUIRED' }) } })
      }
      this.setData({ busy: true, message: null })
      try {
        const where = await device.location()
        const data = {
          post_id: this.data.post.id, cards: this.data.members.map((m) => m.card),
          latitude: where.latitude, longitude: where.longitude, accuracy: where.accuracy, coordinate_system: 'gcj02',
        }
        if (starting) Object.assign(data, { photo_id: this.data.photo.id, client_request_id: this.requestId || (this.requestId = newRequestId()) })
        const answer = await api.call(starting ? 'startGroup' : 'endGroup', { data })
        const results = answer.items.map((item, i) => ({ label: this.data.members[i].label, ...outcome(item, this.data.mode) }))
        const done = results.filter((r) => r.ok).length
        this.requestId = null
        this.setData({
          busy: false, results, members: [],
          message: { kind: done === results.length ? 'ok' : 'info', text: `${done} 人${starting ? '上岗' : '下岗'}成功，共 ${results.length} 人` },
        })
        await this.load()
      } catch (err) {
        this.setData({ busy: false, message: errors.notice(err) })
      }
    },
  },
})
