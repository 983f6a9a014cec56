// Scans kept on the phone when the network failed: the QR text, the location and the phone's
// time of the scan, sent later with the same client_request_id (so a scan that did reach the
// server is not counted twice). The backend accepts them for OFFLINE_SCAN_MAX_MINUTES.
const KEY = 'redvest.offlineScans'

function list() {
  const value = wx.getStorageSync(KEY)
  return Array.isArray(value) ? value : []
}

function save(items) {
  if (items.length) wx.setStorageSync(KEY, items)
  else wx.removeStorageSync(KEY)
}

module.exports = {
  list,
  add(entry) {
    save(list().concat([entry]))
  },
  remove(requestId) {
    save(list().filter((item) => item.client_request_id !== requestId))
  },
  update(requestId, changes) {
    save(list().map((item) => (item.client_request_id === requestId ? { ...item, ...changes } : item)))
  },
}
