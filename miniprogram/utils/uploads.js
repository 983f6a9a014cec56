// Photos on their way to the backend, one entry each in the page's `uploads`: the state shows
// on the page in words, and a failed upload keeps its picture so one tap sends it again.
const errors = require('./errors')

let counter = 0

function entry(path) {
  counter += 1
  return { key: `${Date.now().toString(36)}-${counter}`, path, state: 'waiting', error: '' }
}

function change(page, key, changes) {
  page.setData({ uploads: page.data.uploads.map((u) => (u.key === key ? { ...u, ...changes } : u)) })
}

// Sends one entry with `upload(path)`; true when the backend has the photo.
async function send(page, key, upload) {
  const item = page.data.uploads.find((u) => u.key === key)
  if (!item || item.state === 'uploading' || item.state === 'done') return !!item && item.state === 'done'
  change(page, key, { state: 'uploading', error: '' })
  try {
    await upload(item.path)
    change(page, key, { state: 'done' })
    return true
  } catch (err) {
    change(page, key, { state: 'failed', error: errors.messageFor(err) })
    return false
  }
}

// Sends every entry not yet sent, one after another (a phone at a crossing has little bandwidth).
async function sendAll(page, upload) {
  for (const item of page.data.uploads) {
    if (item.state !== 'done') await send(page, item.key, upload)
  }
  return page.data.uploads.filter((u) => u.state !== 'done').length
}

module.exports = { entry, send, sendAll }
