// What a volunteer reads when something did not work: Chinese, and what to do next.
// A raw error code is never shown; an unknown code falls back to the server's own Chinese
// message, then to a general one. A test checks that every code the backend can raise is here.
const MESSAGES = {
  NETWORK: () => '网络不通，请检查手机信号后重试',
  UNAUTHORIZED: () => '登录已失效，请关闭小程序后重新打开',
  LOGIN_FAILED: () => '微信登录没有成功，请稍后重试',
  LOGIN_LOCKED: () => '登录尝试过多，请稍后再试',
  WECHAT_CODE_INVALID: () => '微信登录没有成功，请关闭小程序后重新打开',
  NOT_REGISTERED: () => '请先完成实名登记，再扫码上岗',
  ACCOUNT_SUSPENDED: () => '您的账号已被停用，请联系所在单位的协调员',
  PHONE_TAKEN: () => '这个手机号已被其他志愿者登记，请核对号码，或联系协调员',
  FORBIDDEN: () => '您没有权限进行此操作，如有疑问请联系协调员',
  NOT_FOUND: () => '没有找到这条记录，请返回后刷新',
  INVALID_QR: () => '这不是红马甲岗位二维码，请扫描岗位上张贴的二维码',
  QR_REVOKED: () => '这张岗位海报已作废，请不要再扫它，并告诉协调员更换新海报',
  POST_INACTIVE: () => '该岗位已停用，暂不能上岗，请联系协调员',
  OUTSIDE_GEOFENCE: (d) => (d.distance_m != null
    ? `距离岗位 ${Math.round(d.distance_m)} 米，请到岗位后再扫码`
    : '您不在岗位范围内，请到岗位后再扫码'),
  SHIFT_ALREADY_OPEN: () => '您已经在岗，正在为您打开当前的上岗记录',
  SHIFT_CONFLICT: () => '上岗没有成功，请再扫一次',
  SHIFT_NOT_OPEN: () => '这次上岗已经结束，无需再下岗',
  SHIFT_STILL_OPEN: () => '您正在上岗，请先扫码下岗，再注销账号',
  WRONG_POST: () => '请扫描您上岗时那个岗位的二维码',
  SCAN_TOO_OLD: (d) => `这次扫码超过 ${d.max_minutes || 30} 分钟没能提交，已不能计入，请向协调员申请补录`,
  SHIFT_OPEN: () => '请先下岗，再申请更正',
  SHIFT_VOIDED: () => '这条记录已作废，不能再申请更正',
  SHIFT_CHANGED: () => '这条记录刚被修改，请刷新后再试',
  SHIFT_OVERLAP: () => '补录的时间与已有的上岗记录重叠，请核对时间',
  CORRECTION_PENDING: () => '这条记录已有待处理的更正申请，请等待协调员处理',
  MANUAL_SHIFT_TOO_OLD: () => '补录申请已超过期限，请直接联系协调员',
  PHOTO_MISSING: () => '请先拍一张照片',
  PHOTO_LIMIT_REACHED: (d) => `照片已达上限（最多 ${d.limit || 9} 张），不用再传了`,
  PHOTO_WINDOW_CLOSED: () => '下岗已超过 30 分钟，不能再补传照片',
  PHOTO_FILE_MISSING: () => '照片没有找到，请重新拍摄',
  PAYLOAD_TOO_LARGE: () => '照片太大，请重新拍一张（不要选原图）',
  PHOTO_TOO_LARGE_PIXELS: () => '照片太大，请重新拍一张（不要选原图）',
  EMPTY_FILE: () => '照片没有传好，请重新拍一张',
  INVALID_IMAGE: () => '照片没有传好或已损坏，请重新拍一张',
  UNSUPPORTED_IMAGE_TYPE: () => '这种格式的照片不能上传，请用相机重新拍一张',
  STORAGE_UNAVAILABLE: () => '照片暂时存不进去，请稍后点“重新上传”',
  SPOT_CHECK_CLOSED: () => '这次抽查已经结束，无需再回复',
  RATE_LIMITED: () => '操作太频繁，请稍等一分钟再试',
  CONSENT_REQUIRED: () => '隐私政策已更新，请重新打开小程序，阅读并同意后再扫码上岗',
  CONSOLE_ACCOUNT: () => '管理账号不能以志愿者身份使用小程序，请用本人微信登录',
  WRONG_PASSWORD: () => '密码不正确，请重新输入',
  PROBLEM_CHANGED: () => '这条问题刚被处理过，请刷新后再看',
  PROBLEM_STATE: () => '这条问题当前的状态不能进行此操作，请刷新后再看',
  PROBLEM_LIKELY_DUPLICATE: () => '附近已有人上报了同类问题；如确是另一个问题，请确认后再提交',
  INVALID_CARD: () => '这不是有效的红马甲志愿者卡，请核对后再扫',
  CARD_REVOKED: () => '这张志愿者卡已作废，请让组员向协调员领取新卡',
  NOT_POST_LEADER: () => '您不是这个岗位的岗长，不能为组员代签',
  LEADER_NOT_ON_DUTY: () => '请先在本岗位扫码上岗，再为组员代签',
  GROUP_PHOTO_REQUIRED: () => '请先拍一张组员合影并上传，再提交代签',
  GROUP_LIMIT_REACHED: () => '今天代签的人次已达上限，请组员自行扫码或联系协调员',
  NO_VOLUNTEERS: () => '该单位还没有可以打印志愿者卡的志愿者',
  VALIDATION_ERROR: (d, m) => m || '填写的内容有误，请检查后重试',
  BAD_REQUEST: () => '请求有误，请退出小程序后重试',
  INTERNAL_ERROR: () => '系统出错了，这次操作没有完成，请稍后重试；如果一直不行，请联系协调员',
  SERVICE_UNAVAILABLE: () => '服务暂时不可用，请稍后重试',
  CONFLICT: () => '操作没有完成，记录可能刚被修改，请刷新后重试',
}
const FALLBACK = '操作没有成功，请稍后重试；如果一直不行，请联系协调员'

function hasChinese(text) {
  return typeof text === 'string' && /[\u4e00-\u9fa5]/.test(text)
}

function messageFor(error) {
  if (!error) return FALLBACK
  const make = MESSAGES[error.code]
  if (make) return make(error.details || {}, hasChinese(error.message) ? error.message : '')
  return hasChinese(error.message) ? error.message : FALLBACK
}

// A page's error line for a failed call: the message in the style pages show errors in.
function notice(error) {
  return { kind: 'error', text: messageFor(error) }
}

module.exports = { MESSAGES, messageFor, notice, FALLBACK }
