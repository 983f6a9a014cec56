// 我的岗: am I on duty, where, since when; one big button that says what it will do.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')
const offline = require('../../utils/offline')
const privacy = require('../../utils/privacy')
const scan = require('../../utils/scan')
const session = require('../../utils/session')

function yearStart(nowMs) {
  return `${new Date(nowMs + 8 * 3600 * 1000).getUTCFullYear()}-01-01` // the county's year (UTC+8)
}

function slotsView(items) {
  const today = items.filter((slot) => slot.date === items[0].date)
  return { today: today.slice(0, 3), next: items.find((slot) => !slot.now) || null }
}

Component({
  data: {
    fontSize: 18, ready: false, busy: false, message: null,
    user: null, openShift: null, startedText: '', elapsed: '', hours: null, slots: { today: [], next: null },
    spotChecks: [], queued: 0, nearby: [], nearbyError: '', leadsHere: false,
  },
  lifetimes: {
    detached() {
      this.stopTimer()
    },
  },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize() })
    },
    onShow() {
      return this.refresh()
    },
    onHide() {
      this.stopTimer()
    },
    onUnload() {
      this.stopTimer()
    },

    // Privacy notice first, then login, then registration; false when another page took over.
    async ensureReady() {
      if (!privacy.accepted()) {
        await device.relaunch('/pages/privacy/index').catch(() => {})
        return false
      }
      if (!session.token()) await api.login()
      if (!session.registered()) {
        await device.relaunch('/pages/register/index').catch(() => {})
        return false
      }
      return true
    },

    async refresh() {
      try {
        if (!(await this.ensureReady())) return
        const sent = await scan.flush()
        const [me, hours, roster, checks] = await Promise.all([
          api.call('me'),
          api.call('hours', { query: { from: yearStart(device.now()) } }),
          api.call('roster', { query: { days: 7 } }),
          api.call('spotChecks'),
        ])
        session.rememberOpenShift(me.open_shift)
        if (me.privacy && me.privacy.consent_needed) {  // the notice changed: read and agree again
          privacy.forget()
          await device.relaunch('/pages/privacy/index').catch(() => {})
          return
        }
        this.setData({
          ready: true,
          user: me.user,
          openShift: me.open_shift,
          startedText: me.open_shift ? format.dateTime(me.open_shift.started_at) : '',
          hours: {
            text: format.minutes(hours.credited_minutes),
            pending: hours.pending_minutes ? format.minutes(hours.pending_minutes) : '',
            star: format.star(hours.star_level),
            next: format.nextStar(hours.next_star),
          },
          slots: roster.items.length ? slotsView(roster.items) : { today: [], next: null },
          spotChecks: checks.items.filter((task) => task.state === 'pending'),
          queued: offline.list().length,
        })
        if (sent.length) this.showSent(sent)
        this.startTimer()
        if (me.open_shift) await this.loadLeading()
      } catch (err) {
        this.setData({ ready: true, message: errors.notice(err) })
      }
    },

    // A post's leader on duty there gets the way to 岗长代签 (pages/leader).
    async loadLeading() {
      try {
        const lead = await api.call('leading')
        this.setData({ leadsHere: !!lead.on_duty_post_id })
      } catch (err) {
        this.setData({ leadsHere: false })
      }
    },
    onLeader() {
      return device.navigate('/pages/leader/index').catch(() => {})
    },

    showSent(sent) {
      const failed = sent.filter((item) => item.kind === 'error')
      if (failed.length) this.setData({ message: { kind: 'error', text: `离线保存的扫码未能提交：${failed[0].message}` } })
      else this.setData({ message: { kind: 'ok', text: '离线保存的扫码已提交' } })
    },

    startTimer() {
      this.stopTimer()
      if (!this.data.openShift) return
      const tick = () => this.setData({ elapsed: format.elapsed(this.data.openShift.started_at, device.now()) })
      tick()
      this.timer = setInterval(tick, 1000)
    },
    stopTimer() {
      if (this.timer) clearInterval(this.timer)
      this.timer = null
    },

    async onScanStart() {
      if (this.data.busy) return
      this.setData({ busy: true, message: null })
      try {
        let qr
        try {
          qr = await device.scanCode()
        } catch (err) {
          this.setData({ message: device.cancelled(err) ? null : { kind: 'error', text: '没有扫到二维码，请对准岗位上的二维码再试一次' } })
          return
        }
        await this.showOutcome(await scan.start(qr))
      } finally {
        this.setData({ busy: false })
      }
    },

    async showOutcome(outcome) {
      if (outcome.kind === 'started') {
        this.setData({ message: { kind: 'ok', text: `已在「${outcome.shift.post.name}」上岗，${format.time(outcome.shift.started_at)} 开始计时` } })
        await this.refresh()
      } else if (outcome.kind === 'queued') {
        this.setData({ message: { kind: 'info', text: outcome.message }, queued: offline.list().length })
      } else if (outcome.kind === 'already_open') {
        this.setData({ message: { kind: 'info', text: outcome.message } })
        await device.navigate(`/pages/shift/index?id=${outcome.shiftId}`).catch(() => {})
      } else {
        this.setData({ message: { kind: 'error', text: outcome.message } })
      }
    },

    onScanEnd() {
      return device.navigate('/pages/scan/index?action=end').catch(() => {})
    },
    onOpenShift() {
      return device.navigate(`/pages/shift/index?id=${this.data.openShift.id}`).catch(() => {})
    },
    onHistory() {
      return device.navigate('/pages/history/index').catch(() => {})
    },
    onRoster() {
      return device.navigate('/pages/roster/index').catch(() => {})
    },
    onReportProblem() {
      return device.navigate('/pages/problems/report').catch(() => {})
    },
    onMyProblems() {
      return device.navigate('/pages/problems/index').catch(() => {})
    },
    onMyInfo() {
      return device.navigate('/pages/me/index').catch(() => {})
    },

    // Nearby posts need the location: read only when asked, as the privacy notice promises.
    async onNearby() {
      try {
        const here = await device.location()
        const posts = await api.call('nearbyPosts', { query: { latitude: here.latitude, longitude: here.longitude, limit: 5 } })
        this.setData({ nearby: posts.items.map((p) => ({ ...p, distance: Math.round(p.distance_m) })), nearbyError: '' })
      } catch (err) {
        this.setData({ nearbyError: err.code ? errors.messageFor(err) : '没有取得位置，请允许使用位置信息后重试' })
      }
    },

    // 督查抽查: a live photo from the post, with the location.
    async onAnswerSpotCheck(e) {
      const taskId = e.currentTarget.dataset.id
      try {
        const photo = await device.takePhoto()
        const here = await device.location()
        await api.upload('answerSpotCheck', {
          params: { id: taskId },
          filePath: photo.tempFilePath,
          formData: { latitude: String(here.latitude), longitude: String(here.longitude), accuracy: String(here.accuracy || '') },
        })
        await this.refresh()
        this.setData({ message: { kind: 'ok', text: '抽查已回复，谢谢' } })
      } catch (err) {
        if (device.cancelled(err)) return
        this.setData({ message: { kind: 'error', text: err.code ? errors.messageFor(err) : '没有拍到照片或取得位置，请重试' } })
      }
    },
  },
})
