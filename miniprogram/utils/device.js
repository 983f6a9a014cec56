// The phone's own abilities (camera, GPS, page navigation) behind one small module, as
// promises. Tests replace the wx calls underneath with test values; nothing else changes.
function promisify(name, options = {}) {
  return new Promise((resolve, reject) => {
    wx[name]({ ...options, success: resolve, fail: (err) => reject(Object.assign(new Error((err && err.errMsg) || 'fail'), err)) })
  })
}

function cancelled(err) {
  return !!(err && /cancel/.test(err.errMsg || err.message || ''))
}

function takePhoto() {
  return promisify('chooseMedia', { count: 1, mediaType: ['image'], sourceType: ['camera'], sizeType: ['compressed'] })
    .then((res) => res.tempFiles[0])
}

// A photo from the camera as evidence, or null: cancelled (nothing said), or the camera refused
// or the photo over maxMb, said in plain Chinese through refused(text).
async function evidencePhoto(maxMb, refused) {
  let photo
  try {
    photo = await takePhoto()
  } catch (err) {
    if (!cancelled(err)) refused('没有拍到照片，请允许使用相机后重试')
    return null
  }
  if (maxMb && photo.size && photo.size > maxMb * 1024 * 1024) {
    refused(`照片超过 ${maxMb} MB，请重新拍一张`)
    return null
  }
  return photo
}

module.exports = {
  cancelled,
  evidencePhoto,
  // The camera only: a poster on the wall, not a picture of one in the album.
  scanCode: () => promisify('scanCode', { onlyFromCamera: true, scanType: ['qrCode'] }).then((res) => res.result),
  // GCJ-02, the system the backend's posts use.
  location: () => promisify('getLocation', { type: 'gcj02', isHighAccuracy: true, highAccuracyExpireTime: 4000 })
    .then((res) => ({ latitude: res.latitude, longitude: res.longitude, accuracy: res.accuracy })),
  takePhoto,
  navigate: (url) => promisify('navigateTo', { url }),
  relaunch: (url) => promisify('reLaunch', { url }),
  openDocument: (filePath) => promisify('openDocument', { filePath, fileType: 'pdf', showMenu: true }),
  subscribe: (tmplIds) => promisify('requestSubscribeMessage', { tmplIds }),
  // WeChat's own settings page, where a refused location permission is given back (from a tap).
  openSetting: () => promisify('openSetting'),
  // WeChat's own dialog; true when the volunteer pressed the confirm button.
  confirm: (options) => promisify('showModal', options).then((res) => !!res.confirm),
  preview: (urls, current) => promisify('previewImage', { urls, current }),
  now: () => Date.now(),
}
