// The login state kept on the phone: our own token (never WeChat's session_key) and whether
// the volunteer has registered.
const KEY = 'redvest.session'

function read() {
  const value = wx.getStorageSync(KEY)
  return value && typeof value === 'object' ? value : {}
}

module.exports = {
  token: () => read().token || '',
  registered: () => !!read().registered,
  user: () => read().user || null,
  save(login) {
    wx.setStorageSync(KEY, { token: login.token, registered: !!login.registered, user: login.user || null })
  },
  markRegistered(user) {
    wx.setStorageSync(KEY, { ...read(), registered: true, user })
  },
  clear() {
    wx.removeStorageSync(KEY)
  },
}
