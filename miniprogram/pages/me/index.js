// 我的信息: the volunteer's profile, the privacy notice again, everything held about them
// (GET /me/data) in words, and erasing the account (DELETE /me) after two confirmations.
const api = require('../../utils/api')
const a11y = require('../../utils/a11y')
const device = require('../../utils/device')
const errors = require('../../utils/errors')
const format = require('../../utils/format')
const personalData = require('../../utils/personal-data')
const session = require('../../utils/session')

const ERASED = '姓名、手机号、微信身份标识，上岗时拍的照片，扫码时记录的位置和备注，以后的排班和提醒。'
const KEPT = '您的服务时长会保留在所在单位的统计中，但不再带有您的姓名（匿名），也不能再找回到您名下。'

function eraseExplanation() {
  return `注销后将删除：${ERASED}\n${KEPT}`
}

Component({
  data: {
    fontSize: 18, loaded: false, user: null, hours: '', pending: '', onDuty: false,
    held: null, loadingData: false, erasing: false, message: null,
  },
  methods: {
    onLoad() {
      this.setData({ fontSize: a11y.baseFontSize() })
    },
    onShow() {
      return this.load()
    },
    async load() {
      try {
        const me = await api.call('me')
        this.setData({
          loaded: true,
          message: null,
          user: { name: me.user.name || '', phone: me.user.phone || '', unit: me.user.unit ? me.user.unit.name : '' },
          hours: format.minutes(me.hours.credited_minutes),
          pending: me.hours.pending_minutes ? format.minutes(me.hours.pending_minutes) : '',
          onDuty: !!me.open_shift,
        })
      } catch (err) {
        this.setData({ loaded: true, message: errors.notice(err) })
      }
    },

    onPrivacy() {
      return device.navigate('/pages/privacy/index?mode=read').catch(() => {})
    },

    // Read when asked (the backend limits exports), again on each tap: photo links expire.
    async onViewData() {
      if (this.data.loadingData) return
      this.setData({ loadingData: true, message: null })
      try {
        const data = await api.call('myData')
        this.setData({ held: personalData.sections(data) })
      } catch (err) {
        this.setData({ message: errors.notice(err) })
      } finally {
        this.setData({ loadingData: false })
      }
    },

    async onErase() {
      if (this.data.erasing) return
      this.setData({ message: null })
      if (this.data.onDuty) {  // the server refuses too (SHIFT_STILL_OPEN): this shift's hours come first
        await device.confirm({
          title: '正在上岗', content: '您正在上岗，请先扫码下岗，再注销账号。这次上岗的时长不会丢失。',
          showCancel: false, confirmText: '知道了',
        }).catch(() => false)
        return
      }
      const first = await device.confirm({
        title: '注销账号', content: eraseExplanation(),
        confirmText: '继续', cancelText: '不注销', confirmColor: '#C4161C',
      }).catch(() => false)
      if (!first) return
      const second = await device.confirm({
        title: '最后确认', content: '注销后无法恢复。确定注销账号并删除您的个人信息吗？',
        confirmText: '确定注销', cancelText: '不注销', confirmColor: '#C4161C',
      }).catch(() => false)
      if (!second) return
      this.setData({ erasing: true })
      try {
        await api.call('eraseMe')
      } catch (err) {
        this.setData({ erasing: false, message: { kind: 'error', text: `注销没有完成：${errors.messageFor(err)}` } })
        return
      }
      session.forgetEverything()
      this.setData({ user: null, held: null, loaded: false })
      await device.confirm({
        title: '已注销', content: '您的账号已注销，个人信息已删除。感谢您参加红马甲志愿服务！',
        showCancel: false, confirmText: '知道了',
      }).catch(() => false)
      await device.relaunch('/pages/home/index').catch(() => {})
    },
  },
})
