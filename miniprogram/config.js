// The one file a county edits before uploading (see README.md).
module.exports = {
  // The backend's mini-program API. Its host must be in 小程序后台 → 开发管理 → 服务器域名
  // (request, uploadFile and downloadFile), over HTTPS with an ICP-filed domain.
  API_BASE: 'https://redvest.example.gov.cn/api/mp/v1',
  // 订阅消息 template ids for roster reminders: the backend's WECHAT_REMINDER_TEMPLATE_ID.
  SUBSCRIBE_TEMPLATE_IDS: ['REPLACE_WITH_TEMPLATE_ID'],
  // 订阅消息 template id for "your report was fixed": the backend's WECHAT_PROBLEM_TEMPLATE_ID
  // (empty: the report page does not offer the message).
  PROBLEM_TEMPLATE_IDS: [],
  // Photos a volunteer takes for one problem report (the backend's own cap is PHOTO_MAX_PER_SHIFT).
  PROBLEM_PHOTO_MAX: 3,
  // Limits explained before a volunteer hits them; keep equal to the backend's settings.
  PHOTO_MAX_PER_SHIFT: 9, // PHOTO_MAX_PER_SHIFT
  PHOTO_MAX_MB: 10, // MAX_CONTENT_LENGTH
  PHOTO_UPLOAD_WINDOW_MINUTES: 30, // PHOTO_UPLOAD_WINDOW_MINUTES
  OFFLINE_SCAN_MAX_MINUTES: 30, // OFFLINE_SCAN_MAX_MINUTES
  // Tests only: point the client at a test server. Never set in a release build.
  REQUEST_TIMEOUT_MS: 15000,
}
