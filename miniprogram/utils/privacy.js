// The mini-program privacy agreement (2023 rules) and our own first-run notice.
// WeChat calls onNeedPrivacyAuthorization before the first privacy API (getLocation,
// chooseMedia, scanCode); we open the notice page, and its agree button resolves the call.
const device = require('./device')

const ACCEPTED_KEY = 'redvest.privacyAccepted'
let pending = null

module.exports = {
  accepted(version) {
    const value = wx.getStorageSync(ACCEPTED_KEY)
    return !!value && (!version || value === version)
  },
  // The notice version the volunteer agreed to, which registration and /me/consent name.
  version() {
    const value = wx.getStorageSync(ACCEPTED_KEY)
    return value && value !== 'accepted' ? value : ''
  },
  forget() {
    wx.removeStorageSync(ACCEPTED_KEY)
  },
  accept(version) {
    wx.setStorageSync(ACCEPTED_KEY, version || 'accepted')
    if (pending) {
      pending({ buttonId: 'agree-privacy', event: 'agree' })
      pending = null
    }
  },
  refuse() {
    if (pending) {
      pending({ event: 'disagree' })
      pending = null
    }
  },
  listen() {
    if (!wx.onNeedPrivacyAuthorization) return
    wx.onNeedPrivacyAuthorization((resolve) => {
      pending = resolve
      device.navigate('/pages/privacy/index').catch(() => {})
    })
  },
}
