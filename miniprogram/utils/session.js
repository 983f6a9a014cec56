// The login state kept on the phone: our own token (never WeChat's session_key) and whether
// the volunteer has registered.
const KEY = 'redvest.session'
const OPEN_SHIFT_KEY = 'redvest.openShift'

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
  // After the account is erased: nothing of it stays on the phone (token, notice agreed, scans
  // kept offline, the open shift), so the next opening is a first run.
  forgetEverything() {
    wx.clearStorageSync()
  },
  // The open shift as last seen online, so a scan without signal still knows to end it.
  rememberOpenShift(shift) {
    if (shift) wx.setStorageSync(OPEN_SHIFT_KEY, { id: shift.id, post: shift.post, started_at: shift.started_at })
    else wx.removeStorageSync(OPEN_SHIFT_KEY)
  },
  lastOpenShift() {
    const value = wx.getStorageSync(OPEN_SHIFT_KEY)
    return value && typeof value === 'object' ? value : null
  },
}
