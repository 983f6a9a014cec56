// What GET /me/data holds about the volunteer, in sections a volunteer can read: their profile,
// their shifts and hours, the photos they took, their requests, and each agreement to the
// privacy notice. Every field the backend gives is shown in words; nothing as raw JSON.
const format = require('./format')

const ACCOUNT = { active: '正常', suspended: '已停用' }
const KINDS = { correction: '更正申请', missing: '补录申请' }
const OUTCOMES = { approve: '已同意', adjust: '已按核实时长调整', reject: '未同意', void: '记录已作废' }
const SHOWN_SHIFTS = 20

// "2026-11-20 09:12" from the backend's local time "2026-11-20T09:12:00+08:00".
function when(iso) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : ''
}

function located(pair) {
  return !!pair && pair[0] !== null && pair[0] !== undefined
}

function profile(p) {
  return [
    { label: '姓名', value: p.name || '（未登记）' },
    { label: '手机号', value: p.phone || '（未登记）' },
    { label: '工作单位', value: p.unit || '（未登记）' },
    { label: '微信身份标识（openid）', value: p.openid || '' },
    { label: '账号状态', value: ACCOUNT[p.status] || p.status },
    { label: '实名登记时间', value: when(p.registered_at) || '（未登记）' },
    { label: '首次使用时间', value: when(p.created_at) },
  ]
}

function shiftRow(s) {
  const end = s.ended_at ? `–${s.ended_at.slice(11, 16)}` : ''
  return {
    id: s.id,
    when: `${when(s.started_at)}${end}`,
    minutes: s.status === 'voided' || s.status === 'open' ? '' : format.minutes(s.credited_minutes || 0),
    status: [s.source === 'manual' ? '补录' : '', format.STATUS[s.status] || s.status, format.REVIEW[s.review_state] || '']
      .filter(Boolean).join('，'),
    place: located(s.start_location) || located(s.end_location) ? '记录了扫码时的位置' : '',
    note: s.note || '',
  }
}

// Counted as the backend counts hours: finished, not voided, and not waiting for or refused at review.
function sum(list) {
  return list.reduce((total, s) => total + (s.credited_minutes || 0), 0)
}

function shifts(list) {
  const finished = list.filter((s) => s.status === 'closed' || s.status === 'auto_closed')
  const pending = finished.filter((s) => s.review_state === 'pending')
  const counted = finished.filter((s) => s.review_state !== 'pending' && s.review_state !== 'rejected')
  const newest = list.slice().reverse()
  return {
    count: list.length,
    voided: list.filter((s) => s.status === 'voided').length,
    total: format.minutes(sum(counted)),
    pending: pending.length ? format.minutes(sum(pending)) : '',
    located: list.filter((s) => located(s.start_location) || located(s.end_location)).length,
    rows: newest.slice(0, SHOWN_SHIFTS).map(shiftRow),
    older: Math.max(0, list.length - SHOWN_SHIFTS),
  }
}

function photos(list) {
  const last = list.length ? list[list.length - 1] : null
  return {
    count: list.length,
    located: list.filter((p) => located(p.exif_location) || located(p.upload_location)).length,
    last: last ? when(last.uploaded_at || last.taken_at) : '',
  }
}

function corrections(list) {
  return list.map((c) => ({
    id: c.id,
    kind: KINDS[c.kind] || '申请',
    when: when(c.created_at),
    reason: c.reason || '',
    outcome: c.status === 'pending' ? '待协调员处理' : OUTCOMES[c.resolution] || '已处理',
  }))
}

function consents(list) {
  return list.map((c, i) => ({ key: `${c.version}-${i}`, text: `${when(c.at)} 同意了 ${c.version} 版说明` }))
}

function sections(data) {
  return {
    profile: profile(data.profile || {}),
    shifts: shifts(data.shifts || []),
    photos: photos(data.photos || []),
    corrections: corrections(data.corrections || []),
    consents: consents(data.consents || []),
  }
}

module.exports = { sections, when }
