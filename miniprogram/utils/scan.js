// Starting and ending a shift from one scan: read the code (or take it from the poster link),
// locate the phone, call the backend. Each tap has one client_request_id, reused on every
// retry of that tap; a tap that found no network is kept and sent later (offline.js).
const api = require('./api')
const device = require('./device')
const errors = require('./errors')
const offline = require('./offline')

const QUEUED_MESSAGE = '已保存，联网后自动提交'

function newRequestId() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
}

// The QR text from how the page was opened: a poster URL (options.q, URL-encoded) or an
// official mini-program code (options.scene, URL-encoded token). Empty when neither.
function qrFromOptions(options) {
  if (!options) return ''
  if (options.q) return decodeURIComponent(options.q)
  if (options.scene) return decodeURIComponent(options.scene)
  return ''
}

function body(scan, extra) {
  const data = {
    qr: scan.qr,
    latitude: scan.latitude,
    longitude: scan.longitude,
    accuracy: scan.accuracy,
    coordinate_system: 'gcj02',
    ...extra,
  }
  if (scan.queued) data.scanned_at = new Date(scan.scanned_at_ms).toISOString()
  return data
}

async function locate() {
  try {
    return { location: await device.location() }
  } catch (err) {
    return { outcome: { kind: 'error', message: '没有取得位置。请在“设置”中允许红马甲使用位置信息，并打开手机定位后重试' } }
  }
}

// A scan made now at the phone: the QR text plus where and when.
async function capture(qr) {
  const { location, outcome } = await locate()
  if (outcome) return { outcome }
  return { scan: { qr, ...location, client_request_id: newRequestId(), scanned_at_ms: device.now() } }
}

function refusal(err) {
  if (err.code === 'SHIFT_ALREADY_OPEN') {
    return { kind: 'already_open', shiftId: err.details.open_shift_id, message: errors.messageFor(err) }
  }
  return { kind: 'error', code: err.code, details: err.details, message: errors.messageFor(err) }
}

async function sendStart(scan) {
  try {
    const shift = await api.call('startShift', { data: body(scan, { client_request_id: scan.client_request_id }) })
    return { kind: 'started', shift }
  } catch (err) {
    if (err.offline) return { kind: 'offline' }
    return refusal(err)
  }
}

async function sendEnd(scan) {
  let shiftId = scan.shift_id
  if (!shiftId) { // the shift was itself started offline: it exists now that its start was sent
    const me = await api.call('me')
    if (!me.open_shift) return { kind: 'error', message: '没有找到进行中的上岗记录，无需下岗' }
    shiftId = me.open_shift.id
  }
  try {
    const shift = await api.call('endShift', {
      params: { id: shiftId },
      data: body(scan, { persuasions: scan.persuasions || 0, note: scan.note || undefined, allow_outside: !!scan.allow_outside }),
    })
    return { kind: 'ended', shift }
  } catch (err) {
    if (err.offline) return { kind: 'offline' }
    if (err.code === 'OUTSIDE_GEOFENCE') {
      return { kind: 'outside_end', details: err.details, message: errors.messageFor(err) }
    }
    return refusal(err)
  }
}

function keep(scan, action) {
  offline.add({ ...scan, action, queued: true })
  return { kind: 'queued', message: QUEUED_MESSAGE }
}

async function start(qr) {
  const { scan, outcome } = await capture(qr)
  if (outcome) return outcome
  const result = await sendStart(scan)
  return result.kind === 'offline' ? keep(scan, 'start') : result
}

// `form`: {persuasions, note, allowOutside}; `shiftId` null when the start is still queued.
async function end(shiftId, qr, form, previous) {
  let scan = previous
  if (!scan) {
    const captured = await capture(qr)
    if (captured.outcome) return captured.outcome
    scan = captured.scan
  }
  scan = { ...scan, shift_id: shiftId, persuasions: form.persuasions, note: form.note, allow_outside: !!form.allowOutside }
  const result = shiftId ? await sendEnd(scan) : { kind: 'offline' }
  if (result.kind === 'offline') return keep(scan, 'end')
  return { ...result, scan }
}

// Sends the kept scans in the order they were made; stops at the first network failure.
// Returns what happened to each, so the page can tell the volunteer.
async function flush() {
  const results = []
  for (const item of offline.list()) {
    let result
    try {
      result = item.action === 'start' ? await sendStart(item) : await sendEnd(item)
    } catch (err) {
      result = err.offline ? { kind: 'offline' } : refusal(err)
    }
    if (result.kind === 'offline') break
    offline.remove(item.client_request_id)
    results.push({ action: item.action, ...result })
  }
  return results
}

module.exports = { start, end, flush, qrFromOptions, newRequestId, QUEUED_MESSAGE }
