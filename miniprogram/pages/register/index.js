// First time: name, mobile number and unit (from /units); then straight to the home page.
const api = require('../../utils/api')
const privacy = require('../../utils/privacy')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const session = require('../../utils/session')

const PHONE = /^1[3-9]\d{9}$/

Component({
  data: { fontSize: 18, units: [], unitIndex: -1, name: '', phone: '', error: '', saving: false, done: false },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize() })
      return this.load()
    },
    async load() {
      try {
        if (!session.token()) await api.login()
        const units = await api.call('units')
        this.setData({ units: units.items, error: '' })
      } catch (err) {
        this.setData({ error: errors.messageFor(err) })
      }
    },
    onName(e) {
      this.setData({ name: e.detail.value })
    },
    onPhone(e) {
      this.setData({ phone: e.detail.value })
    },
    onUnit(e) {
      this.setData({ unitIndex: Number(e.detail.value) })
    },
    async onSubmit() {
      if (this.data.saving) return
      const name = this.data.name.trim()
      const phone = this.data.phone.trim()
      const unit = this.data.units[this.data.unitIndex]
      if (!name) return this.setData({ error: '请填写您的姓名' })
      if (!PHONE.test(phone)) return this.setData({ error: '请填写 11 位手机号码' })
      if (!unit) return this.setData({ error: '请选择您所在的单位' })
      this.setData({ saving: true, error: '' })
      try {
        // The consent the notice page recorded; an older phone without it reads the current version.
        const version = privacy.version() || (await api.call('privacyPolicy')).version
        const user = await api.call('register', { data: { name, phone, unit_id: unit.id, privacy_version: version } })
        session.markRegistered(user)
        this.setData({ saving: false, done: true })
        await device.relaunch('/pages/home/index').catch(() => {})
      } catch (err) {
        this.setData({ saving: false, error: errors.messageFor(err) })
      }
    },
  },
})
