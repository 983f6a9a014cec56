// Numbers as a volunteer reads them.
const STAR_NAMES = ['', '一星', '二星', '三星', '四星', '五星']

function pad(n) {
  return n < 10 ? `0${n}` : String(n)
}

module.exports = {
  // "01:05:09" since `startedIso`, by the server's start time and the phone's clock.
  elapsed(startedIso, nowMs) {
    const seconds = Math.max(0, Math.floor((nowMs - Date.parse(startedIso)) / 1000))
    return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`
  },
  time(iso) {
    return iso ? iso.slice(11, 16) : ''
  },
  dateTime(iso) {
    return iso ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : ''
  },
  // "12月5日" from a date "2026-12-05" (a deadline).
  day(isoDate) {
    return isoDate ? `${Number(isoDate.slice(5, 7))}月${Number(isoDate.slice(8, 10))}日` : ''
  },
  minutes(total) {
    const h = Math.floor(total / 60)
    const m = total % 60
    return h ? `${h} 小时 ${m} 分钟` : `${m} 分钟`
  },
  star(level) {
    return level ? STAR_NAMES[level] + '志愿者' : '尚未评星'
  },
  // "再服务 99 小时 40 分钟可达一星"
  nextStar(next) {
    if (!next) return '已达到最高星级'
    const h = Math.floor(next.minutes_needed / 60)
    const m = next.minutes_needed % 60
    return `再服务 ${h} 小时 ${m} 分钟可达${STAR_NAMES[next.level]}`
  },
  REVIEW: { none: '', pending: '待审核', approved: '已通过', adjusted: '已调整', rejected: '未通过' },
  STATUS: { open: '进行中', closed: '已结束', auto_closed: '未下岗，系统自动结束', voided: '已作废' },
}
