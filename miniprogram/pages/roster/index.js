// 我的排班 and 订阅提醒: WeChat allows one message per acceptance, and only from a tap.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const config = require('../../config')
const device = require('../../utils/device')
const errors = require('../../utils/errors')

Component({
  data: { fontSize: 18, slots: [], message: null, subscribing: false },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize() })
      return this.load()
    },
    async load() {
      try {
        const roster = await api.call('roster', { query: { days: 30 } })
        this.setData({ slots: roster.items })
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      }
    },
    async onSubscribe() {
      if (this.data.subscribing) return
      this.setData({ subscribing: true, message: null })
      try {
        const answer = await device.subscribe(config.SUBSCRIBE_TEMPLATE_IDS)
        const accepted = config.SUBSCRIBE_TEMPLATE_IDS.some((id) => answer[id] === 'accept')
        if (!accepted) {
          this.setData({ message: { kind: 'info', text: '您没有订阅提醒。需要时可以再点一次“订阅上岗提醒”。' } })
          return
        }
        await api.call('reminderConsent', { data: { template_ids: config.SUBSCRIBE_TEMPLATE_IDS } })
        this.setData({ message: { kind: 'ok', text: '已订阅：下一次排班开始前会提醒您（每订阅一次提醒一次）' } })
        await this.load()
      } catch (err) {
        this.setData({ message: { kind: 'error', text: err.code ? errors.messageFor(err) : '订阅没有成功，请稍后再试' } })
      } finally {
        this.setData({ subscribing: false })
      }
    },
  },
})
