// One shift: its times, review state and photos; take and upload photos (a failed upload
// stays on the page with a retry button); ask for a correction once it has ended.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const config = require('../../config')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')

Component({
  data: {
    fontSize: 18, shift: null, photos: [], uploads: [], message: null, limits: '',
    canUpload: false, canCorrect: false, correction: { minutes: '', reason: '' }, sending: false,
  },
  methods: {
    onLoad(options) {
      this.shiftId = Number(options.id)
      this.setData({
        fontSize: a11y.baseFontSize(),
        limits: `每次上岗最多 ${config.PHOTO_MAX_PER_SHIFT} 张照片，只能现场拍摄；下岗后 ${config.PHOTO_UPLOAD_WINDOW_MINUTES} 分钟内还可以补传。`,
      })
      return this.load()
    },
    async load() {
      try {
        const shift = await api.call('shift', { params: { id: this.shiftId } })
        const count = shift.photos.length
        this.setData({
          shift: {
            ...shift,
            statusText: format.STATUS[shift.status] || '',
            reviewText: format.REVIEW[shift.review.state] || '',
            credited: format.minutes(shift.credited_minutes || 0),
            startedText: format.dateTime(shift.started_at),
            endedText: format.dateTime(shift.ended_at),
          },
          photos: shift.photos.map((photo) => ({ ...photo, thumb: api.fileUrl(photo.thumbnail_url) })),
          canUpload: shift.status !== 'voided' && count < config.PHOTO_MAX_PER_SHIFT,
          canCorrect: shift.status === 'closed' || shift.status === 'auto_closed',
        })
        if (count >= config.PHOTO_MAX_PER_SHIFT) {
          this.setData({ message: { kind: 'info', text: `已有 ${count} 张照片，达到每次上岗的上限` } })
        }
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },

    async onTakePhoto() {
      const photo = await device.evidencePhoto(config.PHOTO_MAX_MB,
        (text) => this.setData({ message: { kind: 'error', text } }))
      if (!photo) return
      const upload = { key: `${Date.now()}-${this.data.uploads.length}`, path: photo.tempFilePath, state: 'uploading', error: '' }
      this.setData({ uploads: this.data.uploads.concat([upload]) })
      await this.send(upload.key)
    },

    async onRetry(e) {
      await this.send(e.currentTarget.dataset.key)
    },

    setUpload(key, changes) {
      this.setData({ uploads: this.data.uploads.map((u) => (u.key === key ? { ...u, ...changes } : u)) })
    },

    async send(key) {
      const upload = this.data.uploads.find((u) => u.key === key)
      if (!upload) return
      this.setUpload(key, { state: 'uploading', error: '' })
      try {
        await api.upload('uploadPhoto', { params: { id: this.shiftId }, filePath: upload.path, formData: { kind: 'duty' } })
        this.setData({ uploads: this.data.uploads.filter((u) => u.key !== key), message: { kind: 'ok', text: '照片已上传' } })
        await this.load()
      } catch (err) {
        this.setUpload(key, { state: 'failed', error: errors.messageFor(err) })
      }
    },

    onReportProblem() {
      return device.navigate('/pages/problems/report').catch(() => {})
    },

    onMinutes(e) {
      this.setData({ 'correction.minutes': e.detail.value })
    },
    onReason(e) {
      this.setData({ 'correction.reason': e.detail.value })
    },
    async onRequestCorrection() {
      if (this.data.sending) return
      const minutes = parseInt(this.data.correction.minutes, 10)
      const reason = this.data.correction.reason.trim()
      if (!Number.isFinite(minutes) || minutes < 0) return this.setData({ message: { kind: 'error', text: '请填写您认为正确的服务时长（分钟）' } })
      if (!reason) return this.setData({ message: { kind: 'error', text: '请写明需要更正的原因' } })
      this.setData({ sending: true })
      try {
        await api.call('requestCorrection', { params: { id: this.shiftId }, data: { proposed_minutes: minutes, reason } })
        await this.load()
        this.setData({ sending: false, canCorrect: false, message: { kind: 'ok', text: '更正申请已提交，请等待协调员处理' } })
      } catch (err) {
        this.setData({ sending: false, message: errors.notice(err) })
      }
    },
  },
})
