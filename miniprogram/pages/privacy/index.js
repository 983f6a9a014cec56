// First run: what is collected and why, from the backend's policy, then WeChat's agreement button.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const privacy = require('../../utils/privacy')

Component({
  data: { fontSize: 18, loading: true, policy: null, error: '' },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize() })
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
    onAgree() {
      privacy.accept(this.data.policy ? this.data.policy.version : '')
      return device.relaunch('/pages/home/index').catch(() => {})
    },
    onRefuse() {
      privacy.refuse()
      this.setData({ error: '不同意将无法扫码上岗。您可以随时回到这里重新阅读并同意。' })
    },
  },
})
