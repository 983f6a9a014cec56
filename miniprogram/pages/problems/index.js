// 我的上报: the volunteer's own reports, newest first, each with its state in words, and once it
// is with a unit, which unit and by when. A tap opens the report with its photos.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')

function deadlineText(problem) {
  if (!problem.unit) return ''
  const by = problem.deadline ? `，${format.day(problem.deadline)}前整改` : ''
  return `责任单位：${problem.unit.name}${by}`
}

function problemView(problem) {
  return {
    id: problem.id,
    category: problem.category.name,
    description: problem.description || '',
    when: format.dateTime(problem.created_at),
    status: problem.status_label,
    state: problem.status,
    deadline: problem.status === 'assigned' ? deadlineText(problem) : (problem.unit ? `责任单位：${problem.unit.name}` : ''),
    overdue: problem.overdue,
  }
}

Component({
  data: { fontSize: 18, loaded: false, problems: [], cursor: null, more: false, message: null },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize() })
    },
    // Again on every return to the page: a report just made, or a state that changed meanwhile.
    onShow() {
      return this.load()
    },
    async load() {
      try {
        const page = await api.call('problems', { query: { limit: 20 } })
        this.setData({ loaded: true, message: null, problems: page.items.map(problemView), cursor: page.next_cursor, more: !!page.next_cursor })
      } catch (err) {
        this.setData({ loaded: true, message: errors.notice(err) })
      }
    },
    async onMore() {
      if (!this.data.cursor) return
      try {
        const page = await api.call('problems', { query: { limit: 20, cursor: this.data.cursor } })
        this.setData({ problems: this.data.problems.concat(page.items.map(problemView)), cursor: page.next_cursor, more: !!page.next_cursor })
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },
    onOpen(e) {
      return device.navigate(`/pages/problems/detail?id=${e.currentTarget.dataset.id}`).catch(() => {})
    },
    onReport() {
      return device.navigate('/pages/problems/report').catch(() => {})
    },
  },
})
