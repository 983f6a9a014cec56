// 上报问题: a problem found at the post (a broken railing, litter, a dead traffic light). The
// volunteer picks a kind, says what it is and takes 1–3 photos; the phone's location is read
// when they submit, and the post of their open shift goes with it. The report is created
// first, then the photos are sent one by one (a failed one keeps a retry button). A report
// near an open one of the same kind is answered with that one: the volunteer says whether it
// is the same problem (nothing is written) or another one (sent again as new).
// A report sent again unchanged (its first answer lost to a weak signal) carries the same
// client_request_id, so the backend answers with the problem it already made.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const config = require('../../config')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')
const scan = require('../../utils/scan')
const uploads = require('../../utils/uploads')

const LOCATION_REFUSED = '没有取得位置，问题无法交给责任单位。请点下面的“打开设置”，允许红马甲使用位置信息，并打开手机定位后再提交。'

function duplicateView(found) {
  return {
    id: found.id,
    description: found.description || '',
    status: found.status_label || '',
    distance: Math.max(1, Math.round(found.distance_m || 0)),
    when: format.dateTime(found.created_at),
  }
}

Component({
  data: {
    fontSize: 18, categories: [], categoryIndex: -1, description: '', post: null, photos: [],
    maxPhotos: 3, canNotify: false, notify: true, message: null, sending: false, locationRefused: false,
    duplicate: null, problem: null, uploads: [], gaveUp: false,
  },
  methods: {
    async onLoad() {
      this.setData({
        fontSize: a11y.baseFontSize(),
        maxPhotos: config.PROBLEM_PHOTO_MAX,
        canNotify: (config.PROBLEM_TEMPLATE_IDS || []).length > 0,
      })
      try {
        const [list, me] = await Promise.all([api.call('problemCategories'), api.call('me')])
        this.setData({ categories: list.items, post: me.open_shift ? me.open_shift.post : null })
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },

    onCategory(e) {
      this.setData({ categoryIndex: Number(e.currentTarget.dataset.index) })
    },
    onDescription(e) {
      this.setData({ description: e.detail.value })
    },
    onNotify(e) {
      this.setData({ notify: !!(e.detail.value && e.detail.value.length) })
    },

    async onTakePhoto() {
      if (this.data.photos.length >= this.data.maxPhotos) return
      const photo = await device.evidencePhoto(config.PHOTO_MAX_MB,
        (text) => this.setData({ message: { kind: 'error', text } }))
      if (!photo) return
      this.setData({ photos: this.data.photos.concat([{ key: `${Date.now()}-${this.data.photos.length}`, path: photo.tempFilePath }]), message: null })
    },
    onRemovePhoto(e) {
      const key = e.currentTarget.dataset.key
      this.setData({ photos: this.data.photos.filter((p) => p.key !== key) })
    },

    // What is missing from the form, in words; '' when it can be sent.
    missing() {
      if (this.data.categoryIndex < 0) return '请先选择问题类别'
      if (!this.data.description.trim()) return '请写一句话说明是什么问题、在哪个位置'
      if (!this.data.photos.length) return '请至少拍一张问题的照片'
      return ''
    },

    async onSubmit() {
      if (this.data.sending || this.data.problem) return
      const missing = this.missing()
      if (missing) return this.setData({ message: { kind: 'error', text: missing } })
      this.setData({ sending: true, message: null, locationRefused: false })
      try {
        const notify = await this.askNotify() // WeChat allows the request only straight from a tap
        let place
        try {
          place = await device.location()
        } catch (err) {
          this.setData({ locationRefused: true, message: { kind: 'error', text: LOCATION_REFUSED } })
          return
        }
        const report = {
          category: this.data.categories[this.data.categoryIndex].id,
          description: this.data.description.trim(),
          post_id: this.data.post ? this.data.post.id : undefined,
        }
        const same = this.report && ['category', 'description', 'post_id'].every((k) => this.report[k] === report[k])
        report.client_request_id = same ? this.report.client_request_id : scan.newRequestId()
        this.report = { ...report, latitude: place.latitude, longitude: place.longitude, notify }
        await this.create(false)
      } finally {
        this.setData({ sending: false })
      }
    },

    async askNotify() {
      if (!this.data.canNotify || !this.data.notify) return false
      try {
        const answer = await device.subscribe(config.PROBLEM_TEMPLATE_IDS)
        return config.PROBLEM_TEMPLATE_IDS.some((id) => answer[id] === 'accept')
      } catch (err) {
        return false // no message then; the report itself goes ahead
      }
    },

    async create(confirmNew) {
      let problem
      try {
        problem = await api.call('reportProblem', { data: { ...this.report, confirm_new: confirmNew || undefined } })
      } catch (err) {
        if (err.code === 'PROBLEM_LIKELY_DUPLICATE' && err.details.duplicate_of) {
          this.setData({ duplicate: duplicateView(err.details.duplicate_of) })
        } else {
          this.setData({ message: errors.notice(err) })
        }
        return
      }
      this.setData({
        duplicate: null,
        problem: { id: problem.id, category: problem.category.name, status: problem.status_label, post: problem.post ? problem.post.name : '' },
        uploads: this.data.photos.map((p) => uploads.entry(p.path)),
      })
      await this.sendPhotos()
    },

    // Same problem as the one shown: nothing is sent, the volunteer's photos stay on the phone.
    onSameProblem() {
      this.setData({ duplicate: null, gaveUp: true, message: { kind: 'ok', text: '好的，这个问题已经有人上报，不再重复上报。谢谢您！' } })
    },
    async onConfirmNew() {
      if (this.data.sending) return
      this.setData({ sending: true, message: null })
      try {
        await this.create(true)
      } finally {
        this.setData({ sending: false })
      }
    },

    uploadOne(path) {
      const report = this.report
      return api.upload('uploadProblemPhoto', {
        params: { id: this.data.problem.id },
        filePath: path,
        formData: { latitude: String(report.latitude), longitude: String(report.longitude) },
      })
    },
    async sendPhotos() {
      const failed = await uploads.sendAll(this, (path) => this.uploadOne(path))
      this.showResult(failed)
    },
    async onRetry(e) {
      await uploads.send(this, e.currentTarget.dataset.key, (path) => this.uploadOne(path))
      this.showResult(this.data.uploads.filter((u) => u.state !== 'done').length)
    },
    showResult(failed) {
      if (failed) {
        this.setData({ message: { kind: 'error', text: `问题已上报，但有 ${failed} 张照片没有传上去，请点“重新上传”` } })
      } else {
        this.setData({ message: { kind: 'ok', text: '问题已上报，指挥部会交给责任单位整改。可以在“我的上报”里查看进展。' } })
      }
    },

    onOpenSetting() {
      return device.openSetting().catch(() => {})
    },
    onMyProblems() {
      return device.navigate('/pages/problems/index').catch(() => {})
    },
    onHome() {
      return device.relaunch('/pages/home/index').catch(() => {})
    },
  },
})
