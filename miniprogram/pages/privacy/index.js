// First run: what is collected and why, from the backend's policy, then WeChat's agreement button.
// Opened from 我的信息 with mode=read: the same notice to read again, without the buttons.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const privacy = require('../../utils/privacy')
const session = require('../../utils/session')

Component({
  data: { fontSize: 18, loading: true, policy: null, error: '', readOnly: false },
  methods: {
    onLoad(options) {
      this.setData({ fontSize: a11y.baseFontSize(), readOnly: !!options && options.mode === 'read' })
      return this.load()
    },
    async load() {
      try {
        const policy = await api.call('privacyPolicy')
        this.setData({ policy, loading: false, error: '' })
      } catch (err) {
        this.setData({ loading: false, error: errors.messageFor(err) })
      }
    },
    // bindagreeprivacyauthorization: WeChat has recorded the agreement.
    async onAgree() {
      const version = this.data.policy ? this.data.policy.version : ''
      privacy.accept(version)
      // A registered volunteer agreeing to a changed notice: the backend records it, and scans work again.
      if (version && session.token() && session.registered()) {
        await api.call('consent', { data: { privacy_version: version } }).catch(() => {})
      }
      return device.relaunch('/pages/home/index').catch(() => {})
    },
    onRefuse() {
      privacy.refuse()
      this.setData({ error: '不同意将无法扫码上岗。您可以随时回到这里重新阅读并同意。' })
    },
  },
})
