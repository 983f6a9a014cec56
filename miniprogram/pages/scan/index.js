// Opened from a poster (options.q, the poster's URL) or an official code (options.scene), or
// from the home page's 扫码下岗 (action=end). With no open shift a poster starts one at once;
// with one open, the volunteer enters 劝导人次 and a note, and the scan ends it.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')
const privacy = require('../../utils/privacy')
const scan = require('../../utils/scan')
const session = require('../../utils/session')

Component({
  data: {
    fontSize: 18, mode: 'loading', busy: false, message: null, fromPoster: false,
    openShift: null, startedText: '', persuasions: 0, note: '', outside: null, result: null,
  },
  methods: {
    async onLoad(options) {
      this.qr = scan.qrFromOptions(options)
      this.setData({ fontSize: a11y.baseFontSize(), fromPoster: !!this.qr })
      try {
        if (!privacy.accepted()) return device.relaunch('/pages/privacy/index').catch(() => {})
        if (!session.token()) await api.login()
        if (!session.registered()) return device.relaunch('/pages/register/index').catch(() => {})
        await scan.flush()
        const openShift = await this.currentShift()
        if (openShift) {
          this.setData({ mode: 'end', openShift, startedText: format.dateTime(openShift.started_at) })
        } else if (this.qr) {
          this.setData({ mode: 'start' })
          await this.onStart()
        } else {
          this.setData({ mode: 'start' })
        }
      } catch (err) {
        this.setData({ mode: 'error', message: errors.notice(err) })
      }
    },

    // The open shift, from the backend; without signal, as last seen (the scan is then kept).
    async currentShift() {
      try {
        const me = await api.call('me')
        session.rememberOpenShift(me.open_shift)
        return me.open_shift
      } catch (err) {
        if (!err.offline) throw err
        return session.lastOpenShift()
      }
    },

    async readCode() {
      if (this.qr) return this.qr
      try {
        return await device.scanCode()
      } catch (err) {
        if (!device.cancelled(err)) this.setData({ message: { kind: 'error', text: '没有扫到二维码，请对准岗位上的二维码再试一次' } })
        return ''
      }
    },

    async onStart() {
      if (this.data.busy) return
      this.setData({ busy: true, message: null })
      try {
        const qr = await this.readCode()
        if (!qr) return
        const outcome = await scan.start(qr)
        if (outcome.kind === 'started') {
          session.rememberOpenShift(outcome.shift)
          this.setData({ mode: 'started', openShift: outcome.shift, message: { kind: 'ok', text: `已在「${outcome.shift.post.name}」上岗，${format.time(outcome.shift.started_at)} 开始计时` } })
        } else if (outcome.kind === 'queued') {
          this.setData({ mode: 'queued', message: { kind: 'info', text: outcome.message } })
        } else if (outcome.kind === 'already_open') {
          const me = await api.call('me')
          this.setData({ mode: 'end', openShift: me.open_shift, startedText: format.dateTime(me.open_shift.started_at), message: { kind: 'info', text: outcome.message } })
        } else {
          this.setData({ message: { kind: 'error', text: outcome.message } })
        }
      } finally {
        this.setData({ busy: false })
      }
    },

    onMinus() {
      this.setData({ persuasions: Math.max(0, this.data.persuasions - 1) })
    },
    onPlus() {
      this.setData({ persuasions: this.data.persuasions + 1 })
    },
    onPersuasions(e) {
      const value = parseInt(e.detail.value, 10)
      this.setData({ persuasions: Number.isFinite(value) && value >= 0 ? value : 0 })
    },
    onNote(e) {
      this.setData({ note: e.detail.value })
    },

    async onEnd() {
      if (this.data.busy) return
      this.setData({ busy: true, message: null, outside: null })
      try {
        const qr = await this.readCode()
        if (!qr) return
        await this.finish(await scan.end(this.data.openShift.id, qr, this.form()))
      } finally {
        this.setData({ busy: false })
      }
    },

    // Already walked away: end it anyway, and a coordinator reviews it (the confirmed path).
    async onEndOutside() {
      if (this.data.busy || !this.lastScan) return
      this.setData({ busy: true, message: null })
      try {
        await this.finish(await scan.end(this.data.openShift.id, this.lastScan.qr, { ...this.form(), allowOutside: true }, this.lastScan))
      } finally {
        this.setData({ busy: false })
      }
    },

    form() {
      return { persuasions: this.data.persuasions, note: this.data.note.trim() }
    },

    async finish(outcome) {
      if (outcome.scan) this.lastScan = outcome.scan
      if (outcome.kind === 'ended') {
        session.rememberOpenShift(null)
        const hours = await api.call('hours', { query: {} }).catch(() => null)
        const shift = outcome.shift
        this.setData({
          mode: 'ended',
          result: {
            post: shift.post.name,
            duration: format.minutes(shift.duration_minutes || 0),
            credited: format.minutes(shift.credited_minutes),
            creditedMinutes: shift.credited_minutes,
            review: shift.review.state === 'pending' ? '本次记录需协调员审核，通过后计入时长' : '',
            star: hours ? format.star(hours.star_level) : '',
            next: hours ? format.nextStar(hours.next_star) : '',
            lifetime: hours ? format.minutes(hours.lifetime_minutes) : '',
          },
          message: { kind: 'ok', text: `已下岗，本次计入 ${format.minutes(shift.credited_minutes)}` },
        })
      } else if (outcome.kind === 'outside_end') {
        this.setData({
          message: { kind: 'error', text: outcome.message },
          outside: { distance: Math.round(outcome.details.distance_m || 0) },
        })
      } else if (outcome.kind === 'queued') {
        this.setData({ mode: 'queued', message: { kind: 'info', text: outcome.message } })
      } else {
        this.setData({ message: { kind: 'error', text: outcome.message } })
      }
    },

    onHome() {
      return device.relaunch('/pages/home/index').catch(() => {})
    },
  },
})
