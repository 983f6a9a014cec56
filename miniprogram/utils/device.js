// The phone's own abilities (camera, GPS, page navigation) behind one small module, as
// promises. Tests replace the wx calls underneath with test values; nothing else changes.
function promisify(fn, options = {}) {
  return new Promise((resolve, reject) => {
    fn({ ...options, success: resolve, fail: (err) => reject(Object.assign(new Error((err && err.errMsg) || 'fail'), err)) })
  })
}

function cancelled(err) {
  return !!(err && /cancel/.test(err.errMsg || err.message || ''))
}

module.exports = {
  cancelled,
  // The camera only: a poster on the wall, not a picture of one in the album.
  scanCode: () => promisify(wx.scanCode, { onlyFromCamera: true, scanType: ['qrCode'] }).then((res) => res.result),
  // GCJ-02, the system the backend's posts use.
  location: () => promisify(wx.getLocation, { type: 'gcj02', isHighAccuracy: true, highAccuracyExpireTime: 4000 })
    .then((res) => ({ latitude: res.latitude, longitude: res.longitude, accuracy: res.accuracy })),
  takePhoto: () => promisify(wx.chooseMedia, { count: 1, mediaType: ['image'], sourceType: ['camera'], sizeType: ['compressed'] })
    .then((res) => res.tempFiles[0]),
  navigate: (url) => promisify(wx.navigateTo, { url }),
  relaunch: (url) => promisify(wx.reLaunch, { url }),
  openDocument: (filePath) => promisify(wx.openDocument, { filePath, fileType: 'pdf', showMenu: true }),
  subscribe: (tmplIds) => promisify(wx.requestSubscribeMessage, { tmplIds }),
  confirm: (title, content, confirmText) => promisify(wx.showModal, { title, content, confirmText: confirmText || '确定' })
    .then((res) => !!res.confirm),
  now: () => Date.now(),
}
