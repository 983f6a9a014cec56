// Text follows the WeChat font setting (关怀模式 included): the page's base size in px.
function baseFontSize() {
  let factor = 1
  try {
    const info = wx.getAppBaseInfo ? wx.getAppBaseInfo() : wx.getSystemInfoSync()
    factor = Number(info.fontSizeScaleFactor) || 1
  } catch (e) {
    factor = 1
  }
  return Math.round(18 * Math.max(1, Math.min(factor, 2)))
}

module.exports = { baseFontSize }
