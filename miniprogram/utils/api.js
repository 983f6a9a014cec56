// Every network call of the mini-program goes through this module: it adds the bearer token,
// turns the backend's {"error": {...}} envelope into a thrown ApiError, and logs in again
// once on 401 and retries. ENDPOINTS is the whole list of paths the client calls; a test
// checks each against the backend's URL map.
const config = require('../config')
const session = require('./session')

const ENDPOINTS = {
  login: ['POST', '/auth/login'],
  privacyPolicy: ['GET', '/privacy-policy'],
  me: ['GET', '/me'],
  register: ['POST', '/me/registration'],
  consent: ['POST', '/me/consent'],
  myData: ['GET', '/me/data'],
  eraseMe: ['DELETE', '/me'],
  units: ['GET', '/units'],
  hours: ['GET', '/me/hours'],
  nearbyPosts: ['GET', '/posts/nearby'],
  startShift: ['POST', '/shifts'],
  endShift: ['POST', '/shifts/{id}/end'],
  shifts: ['GET', '/shifts'],
  shift: ['GET', '/shifts/{id}'],
  uploadPhoto: ['POST', '/shifts/{id}/photos'],
  requestCorrection: ['POST', '/shifts/{id}/correction'],
  requestMissing: ['POST', '/shifts/missing'],
  corrections: ['GET', '/corrections'],
  certificate: ['GET', '/me/certificate.pdf'],
  roster: ['GET', '/me/roster'],
  reminderConsent: ['POST', '/me/reminder-consent'],
  spotChecks: ['GET', '/me/spot-checks'],
  answerSpotCheck: ['POST', '/me/spot-checks/{id}/answer'],
  problemCategories: ['GET', '/problem-categories'],
  reportProblem: ['POST', '/problems'],
  problems: ['GET', '/problems'],
  problem: ['GET', '/problems/{id}'],
  uploadProblemPhoto: ['POST', '/problems/{id}/photos'],
  leading: ['GET', '/me/leading'],
  startGroup: ['POST', '/shifts/group'],
  endGroup: ['POST', '/shifts/group/end'],
}
const PUBLIC = { login: true, privacyPolicy: true }

class ApiError extends Error {
  constructor(code, message, status, details) {
    super(message)
    this.code = code
    this.status = status || 0
    this.details = details || {}
  }

  // No answer at all: the phone had no network (or the server could not be reached).
  get offline() {
    return this.code === 'NETWORK'
  }
}

function buildUrl(name, params, query) {
  const [, template] = ENDPOINTS[name]
  let path = template.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(params[key]))
  const pairs = Object.keys(query || {})
    .filter((key) => query[key] !== undefined && query[key] !== null && query[key] !== '')
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(query[key])}`)
  if (pairs.length) path += `?${pairs.join('&')}`
  return config.API_BASE + path
}

// A photo link from the backend is a signed path ("/photos/7/thumb.jpg?expires=…&sig=…"): the
// client puts the API's own origin in front (an <image> cannot send the token, the link is the key).
function fileUrl(path) {
  if (!path || /^https?:\/\//.test(path)) return path || ''
  return config.API_BASE.replace(/^(https?:\/\/[^/]+).*$/, '$1') + path
}

function authHeader() {
  const token = session.token()
  return token ? { Authorization: `Bearer ${token}` } : {}
}

function fromResponse(statusCode, body) {
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body)
    } catch (e) {
      body = null
    }
  }
  const error = body && body.error
  if (error && error.code) {
    const { code, message, ...details } = error
    return new ApiError(code, message, statusCode, details)
  }
  return new ApiError(`HTTP_${statusCode}`, '', statusCode)
}

function networkError(res) {
  return new ApiError('NETWORK', '', 0, { errMsg: (res && res.errMsg) || '' })
}

function send(name, { params, query, data }) {
  const [method] = ENDPOINTS[name]
  return new Promise((resolve, reject) => {
    wx.request({
      url: buildUrl(name, params || {}, query),
      method,
      data: method === 'GET' ? undefined : data || {},
      header: { 'Content-Type': 'application/json', ...authHeader() },
      timeout: config.REQUEST_TIMEOUT_MS,
      success: (res) => resolve(res),
      fail: (res) => reject(networkError(res)),
    })
  })
}

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new ApiError('LOGIN_FAILED', '', 0))),
      fail: (res) => reject(networkError(res)),
    })
  })
}

// wx.login, then our own login; the token is kept in storage. Requests that find the
// token expired at the same moment share one login.
let loggingIn = null

async function loginOnce() {
  const code = await wxLogin()
  const res = await send('login', { data: { code } })
  if (res.statusCode >= 400) throw fromResponse(res.statusCode, res.data)
  session.save(res.data)
  return res.data
}

function login() {
  if (!loggingIn) loggingIn = loginOnce().finally(() => { loggingIn = null })
  return loggingIn
}

// Runs `attempt` with the current token; on 401 logs in again once and repeats it.
async function withLogin(name, attempt) {
  if (!PUBLIC[name] && !session.token()) await login()
  const sentWith = session.token()
  let res = await attempt()
  if (res.statusCode === 401 && !PUBLIC[name]) {
    if (session.token() === sentWith) { // not already renewed by a request running alongside
      session.clear()
      await login()
    } else if (loggingIn) {
      await loggingIn
    }
    res = await attempt()
  }
  return res
}

async function call(name, options = {}) {
  const res = await withLogin(name, () => send(name, options))
  if (res.statusCode >= 400) throw fromResponse(res.statusCode, res.data)
  return res.data
}

// wx.uploadFile: multipart, the picture in the field `file`.
async function upload(name, { params, filePath, formData }) {
  const attempt = () => new Promise((resolve, reject) => {
    wx.uploadFile({
      url: buildUrl(name, params || {}),
      filePath,
      name: 'file',
      formData: formData || {},
      header: authHeader(),
      success: (res) => resolve(res),
      fail: (res) => reject(networkError(res)),
    })
  })
  const res = await withLogin(name, attempt)
  if (res.statusCode >= 400) throw fromResponse(res.statusCode, res.data)
  return typeof res.data === 'string' ? JSON.parse(res.data) : res.data
}

// wx.downloadFile: the file's temporary path on the phone.
async function download(name, { params, query }) {
  const attempt = () => new Promise((resolve, reject) => {
    wx.downloadFile({
      url: buildUrl(name, params || {}, query),
      header: authHeader(),
      success: (res) => resolve(res),
      fail: (res) => reject(networkError(res)),
    })
  })
  const res = await withLogin(name, attempt)
  if (res.statusCode !== 200) throw fromResponse(res.statusCode, null)
  return res.tempFilePath
}

module.exports = { ENDPOINTS, ApiError, call, upload, download, login, buildUrl, fileUrl }
