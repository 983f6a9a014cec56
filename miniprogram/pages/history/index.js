// My shifts (paged, with review state and reasons), my correction requests and their outcomes,
// and the service-hour certificate (downloaded, then opened in WeChat's document viewer).
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')

const OUTCOMES = { approve: '已同意', adjust: '已按核实时长调整', reject: '未同意', void: '记录已作废' }

function outcome(c) {
  return c.status === 'pending' ? '待协调员处理' : OUTCOMES[c.resolution] || '已处理'
}

// The certificate's period: all hours, this year or last year (the county's year, UTC+8).
function periods(nowMs) {
  const year = new Date(nowMs + 8 * 3600 * 1000).getUTCFullYear()
  return [
    { label: '全部服务时长', query: {} },
    { label: `${year} 年`, query: { from: `${year}-01-01`, to: `${year}-12-31` } },
    { label: `${year - 1} 年`, query: { from: `${year - 1}-01-01`, to: `${year - 1}-12-31` } },
  ]
}

function shiftView(shift) {
  return {
    id: shift.id,
    post: shift.post.name,
    when: format.dateTime(shift.started_at),
    status: format.STATUS[shift.status] || '',
    credited: format.minutes(shift.credited_minutes || 0),
    review: format.REVIEW[shift.review.state] || '',
    reason: shift.review.reason || '',
    leader: shift.leader ? `岗长代签：${shift.leader.name || ''}` : '',
  }
}

Component({
  data: {
    fontSize: 18, shifts: [], cursor: null, more: false, corrections: [], message: null, downloading: false,
    periods: [], periodIndex: 0,
  },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize(), periods: periods(device.now()) })
      return this.load()
    },
    async load() {
      try {
        const [page, corrections] = await Promise.all([api.call('shifts', { query: { limit: 20 } }), api.call('corrections')])
        this.setData({
          shifts: page.items.map(shiftView),
          cursor: page.next_cursor,
          more: !!page.next_cursor,
          corrections: corrections.items.map((c) => ({ ...c, stateText: outcome(c) })),
        })
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },
    async onMore() {
      if (!this.data.cursor) return
      try {
        const page = await api.call('shifts', { query: { limit: 20, cursor: this.data.cursor } })
        this.setData({ shifts: this.data.shifts.concat(page.items.map(shiftView)), cursor: page.next_cursor, more: !!page.next_cursor })
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },
    onOpen(e) {
      return device.navigate(`/pages/shift/index?id=${e.currentTarget.dataset.id}`).catch(() => {})
    },
    onMissing() {
      return device.navigate('/pages/missing/index').catch(() => {})
    },
    onPeriod(e) {
      this.setData({ periodIndex: Number(e.detail.value) })
    },
    async onCertificate() {
      if (this.data.downloading) return
      this.setData({ downloading: true, message: null })
      try {
        const period = this.data.periods[this.data.periodIndex]
        const path = await api.download('certificate', { query: period ? period.query : {} })
        await device.openDocument(path)
        this.setData({ message: { kind: 'ok', text: '证明已打开，可在右上角菜单中保存或转发' } })
      } catch (err) {
        this.setData({ message: { kind: 'error', text: err.code ? errors.messageFor(err) : '证明没有打开，请稍后重试' } })
      } finally {
        this.setData({ downloading: false })
      }
    },
  },
})
