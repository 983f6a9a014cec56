// 补录申请: a shift the volunteer served but could not scan (a dead phone, no signal for hours).
// The posts offered are the ones on the volunteer's roster and recent shifts.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')

function today(nowMs) {
  return new Date(nowMs + 8 * 3600 * 1000).toISOString().slice(0, 10) // the county's date (UTC+8)
}

Component({
  data: { fontSize: 18, posts: [], postIndex: -1, date: '', start: '07:00', end: '09:00', reason: '', message: null, sending: false, sent: false },
  methods: {
    async onLoad() {
      this.setData({ fontSize: a11y.baseFontSize(), date: today(device.now()) })
      try {
        const [shifts, roster] = await Promise.all([api.call('shifts', { query: { limit: 50 } }), api.call('roster', { query: { days: 7 } })])
        const seen = {}
        const posts = []
        shifts.items.map((s) => s.post).concat(roster.items.map((r) => r.post)).forEach((post) => {
          if (!seen[post.id]) {
            seen[post.id] = true
            posts.push({ id: post.id, name: post.name })
          }
        })
        this.setData({ posts })
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },
    onPost(e) {
      this.setData({ postIndex: Number(e.detail.value) })
    },
    onDate(e) {
      this.setData({ date: e.detail.value })
    },
    onStart(e) {
      this.setData({ start: e.detail.value })
    },
    onEnd(e) {
      this.setData({ end: e.detail.value })
    },
    onReason(e) {
      this.setData({ reason: e.detail.value })
    },
    async onSubmit() {
      if (this.data.sending) return
      const post = this.data.posts[this.data.postIndex]
      const reason = this.data.reason.trim()
      if (!post) return this.setData({ message: { kind: 'error', text: '请选择岗位' } })
      if (this.data.end <= this.data.start) return this.setData({ message: { kind: 'error', text: '下岗时间要晚于上岗时间' } })
      if (!reason) return this.setData({ message: { kind: 'error', text: '请写明没能扫码的原因' } })
      this.setData({ sending: true, message: null })
      try {
        await api.call('requestMissing', {
          data: {
            post_id: post.id,
            started_at: `${this.data.date}T${this.data.start}:00`,
            ended_at: `${this.data.date}T${this.data.end}:00`,
            reason,
          },
        })
        this.setData({ sending: false, sent: true, message: { kind: 'ok', text: '补录申请已提交，协调员核实后计入时长' } })
      } catch (err) {
        this.setData({ sending: false, message: errors.notice(err) })
      }
    },
  },
})
