// One of my reports: its state, the unit and deadline once assigned, the unit's note once fixed,
// the reason when it was sent back or not taken up, and its photos before and after (signed
// links that expire: read again each time the page shows). While nobody has taken it up yet the
// reporter may add photos up to the report's limit. The fixed-problem message opens this page.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const config = require('../../config')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')
const uploads = require('../../utils/uploads')

function photoViews(list) {
  return list.map((photo) => ({ id: photo.id, thumb: api.fileUrl(photo.thumbnail_url), url: api.fileUrl(photo.url) }))
}

// The steps so far, oldest first: what happened and when.
function steps(problem) {
  const done = [{ what: '上报', when: problem.created_at }]
  if (problem.assigned_at) done.push({ what: `交办给${problem.unit ? problem.unit.name : '责任单位'}`, when: problem.assigned_at })
  if (problem.fixed_at) done.push({ what: '责任单位整改完成', when: problem.fixed_at })
  if (problem.closed_at) done.push({ what: problem.status === 'rejected' ? '不予受理' : '指挥部验收通过，已办结', when: problem.closed_at })
  return done.map((step) => ({ what: step.what, when: format.dateTime(step.when) }))
}

function reasonText(problem) {
  if (!problem.status_reason) return ''
  if (problem.status === 'rejected') return `不予受理的原因：${problem.status_reason}`
  if (problem.status === 'assigned') return `整改未通过验收，已退回责任单位：${problem.status_reason}`
  return `说明：${problem.status_reason}`
}

function problemView(problem) {
  return {
    id: problem.id,
    category: problem.category.name,
    status: problem.status_label,
    state: problem.status,
    description: problem.description || '',
    post: problem.post ? problem.post.name : '',
    when: format.dateTime(problem.created_at),
    unit: problem.unit ? problem.unit.name : '',
    deadline: problem.deadline ? format.day(problem.deadline) : '',
    overdue: problem.overdue,
    fixNote: problem.fix_note || '',
    reason: reasonText(problem),
    steps: steps(problem),
  }
}

Component({
  data: { fontSize: 18, problem: null, before: [], after: [], uploads: [], canAdd: false, message: null },
  methods: {
    onLoad(options) {
      this.problemId = Number(options.id)
      this.setData({ fontSize: a11y.baseFontSize() })
    },
    onShow() {
      return this.load()
    },
    async load() {
      try {
        const problem = await api.call('problem', { params: { id: this.problemId } })
        this.open = problem.status === 'open'
        this.setData({
          problem: problemView(problem),
          before: photoViews(problem.photos.before),
          after: photoViews(problem.photos.after),
        })
        this.updateCanAdd()
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },

    // More photos while nobody has taken the report up, counting those still on their way.
    updateCanAdd() {
      this.setData({ canAdd: !!this.open && this.data.before.length + this.data.uploads.length < config.PROBLEM_PHOTO_MAX })
    },

    onPreview(e) {
      const { group, url } = e.currentTarget.dataset
      return device.preview(this.data[group].map((p) => p.url), url).catch(() => {})
    },

    async onTakePhoto() {
      const photo = await device.evidencePhoto(config.PHOTO_MAX_MB,
        (text) => this.setData({ message: { kind: 'error', text } }))
      if (!photo) return
      const entry = uploads.entry(photo.tempFilePath)
      this.setData({ uploads: this.data.uploads.concat([entry]), message: null })
      this.updateCanAdd()
      await this.send(entry.key)
    },
    onRetry(e) {
      return this.send(e.currentTarget.dataset.key)
    },
    async send(key) {
      const sent = await uploads.send(this, key, (path) => api.upload('uploadProblemPhoto', { params: { id: this.problemId }, filePath: path }))
      if (!sent) return
      this.setData({ uploads: this.data.uploads.filter((u) => u.key !== key), message: { kind: 'ok', text: '照片已上传' } })
      await this.load()
    },
  },
})
