// The `wx` global for tests. Network calls are real HTTP to the backend on 127.0.0.1 with
// WeChat's semantics: `success` for every HTTP status (the body may be an error envelope),
// `fail` only when nothing answered, a task object returned rather than a promise.
// Device calls (scanCode, getLocation, chooseMedia) answer the values the test sets in `state`.
const crypto = require('crypto')
const fs = require('fs')
const http = require('http')
const os = require('os')
const path = require('path')

function httpCall(method, url, headers, body) {
  const target = new URL(url)
  if (target.hostname !== '127.0.0.1') throw new Error(`tests only talk to 127.0.0.1, not ${url}`)
  return new Promise((resolve, reject) => {
    const req = http.request({ method, hostname: target.hostname, port: target.port, path: target.pathname + target.search, headers },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => resolve({ statusCode: res.statusCode, header: res.headers, body: Buffer.concat(chunks) }))
      })
    req.on('error', reject)
    if (body) req.write(body)
    req.end()
  })
}

function parseBody(res) {
  const text = res.body.toString('utf8')
  try {
    return JSON.parse(text) // WeChat's default dataType 'json': parsed when it parses
  } catch (e) {
    return text
  }
}

function multipart(fields, fileField, filePath) {
  const boundary = `----redvest${crypto.randomBytes(8).toString('hex')}`
  const parts = []
  for (const [key, value] of Object.entries(fields || {})) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`))
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${path.basename(filePath)}"\r\nContent-Type: image/jpeg\r\n\r\n`))
  parts.push(fs.readFileSync(filePath))
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`))
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}

function later(fn, value) {
  if (fn) setTimeout(() => fn(value), 0)
}

function createWx() {
  const state = {
    network: true,
    loginCode: 'dev:volunteer',
    scanResult: '',
    location: { latitude: 30.5728, longitude: 104.0668, accuracy: 10 },
    locationDenied: false, // the volunteer refused WeChat's location permission
    photoPath: '',
    subscribeAnswer: 'accept',
    confirm: true,
    modalAnswers: [], // answers for the next showModal dialogs, in order; then `confirm`
    modals: [], // every showModal: {title, content}
    storage: {},
    requests: [], // {method, url, status}
    navigations: [],
    documents: [],
    calls: {}, // options of the last call to each device API
    privacyHandler: null,
    networkHandler: null,
  }

  function netCall(kind, options, perform) {
    const done = (fn, value) => { later(fn, value); later(options.complete, value) }
    if (!state.network) {
      state.requests.push({ method: options.method || 'GET', url: options.url, status: 'offline', kind })
      done(options.fail, { errMsg: `${kind}:fail timeout` })
    } else {
      perform().then((res) => {
        state.requests.push({ method: options.method || (kind === 'request' ? 'GET' : kind === 'uploadFile' ? 'POST' : 'GET'), url: options.url, status: res.statusCode, kind })
        done(options.success, { ...res, errMsg: `${kind}:ok` })
      }, (err) => done(options.fail, { errMsg: `${kind}:fail ${err.message}` }))
    }
    return { abort() {}, onProgressUpdate() {}, offProgressUpdate() {} }
  }

  const device = (name, answer) => (options = {}) => {
    state.calls[name] = options
    let result
    try {
      result = answer(options)
    } catch (err) {
      later(options.fail, { errMsg: `${name}:fail ${err.message}` })
      return
    }
    later(options.success, { errMsg: `${name}:ok`, ...result })
    later(options.complete, result)
  }

  const wx = {
    __state: state,
    request(options) {
      return netCall('request', options, async () => {
        const method = (options.method || 'GET').toUpperCase()
        const headers = { ...(options.header || {}) }
        let body = null
        if (method !== 'GET' && options.data !== undefined) {
          body = Buffer.from(typeof options.data === 'string' ? options.data : JSON.stringify(options.data))
          headers['Content-Type'] = headers['Content-Type'] || 'application/json'
          headers['Content-Length'] = body.length
        }
        const res = await httpCall(method, options.url, headers, body)
        return { statusCode: res.statusCode, header: res.header, data: parseBody(res) }
      })
    },
    uploadFile(options) {
      return netCall('uploadFile', options, async () => {
        const { body, contentType } = multipart(options.formData, options.name, options.filePath)
        const headers = { ...(options.header || {}), 'Content-Type': contentType, 'Content-Length': body.length }
        const res = await httpCall('POST', options.url, headers, body)
        return { statusCode: res.statusCode, data: res.body.toString('utf8') } // always a string, as in WeChat
      })
    },
    downloadFile(options) {
      return netCall('downloadFile', options, async () => {
        const res = await httpCall('GET', options.url, options.header || {}, null)
        const tempFilePath = path.join(os.tmpdir(), `wxfile-${crypto.randomBytes(6).toString('hex')}`)
        fs.writeFileSync(tempFilePath, res.body)
        return { statusCode: res.statusCode, tempFilePath }
      })
    },
    login: device('login', () => ({ code: state.loginCode })),
    scanCode: device('scanCode', () => {
      if (!state.scanResult) throw new Error('cancel')
      return { result: state.scanResult, scanType: 'QR_CODE' }
    }),
    getLocation: device('getLocation', () => {
      if (state.locationDenied) throw new Error('auth deny')
      return { ...state.location, speed: 0, altitude: 0 }
    }),
    openSetting: device('openSetting', () => {
      state.locationDenied = false // the volunteer switches location on in WeChat's settings
      return { authSetting: { 'scope.userLocation': true } }
    }),
    previewImage: device('previewImage', () => ({})),
    chooseMedia: device('chooseMedia', () => {
      if (!state.photoPath) throw new Error('cancel')
      return { type: 'image', tempFiles: [{ tempFilePath: state.photoPath, size: fs.statSync(state.photoPath).size, fileType: 'image' }] }
    }),
    openDocument: device('openDocument', (options) => {
      state.documents.push({ filePath: options.filePath, head: fs.readFileSync(options.filePath).subarray(0, 5).toString() })
      return {}
    }),
    requestSubscribeMessage: device('requestSubscribeMessage', (options) => {
      const answer = {}
      options.tmplIds.forEach((id) => { answer[id] = state.subscribeAnswer })
      return answer
    }),
    showModal: device('showModal', (options) => {
      state.modals.push({ title: options.title, content: options.content })
      const confirm = state.modalAnswers.length ? state.modalAnswers.shift() : state.confirm
      return { confirm, cancel: !confirm }
    }),
    navigateTo: device('navigateTo', (options) => { state.navigations.push(options.url); return {} }),
    redirectTo: device('redirectTo', (options) => { state.navigations.push(options.url); return {} }),
    reLaunch: device('reLaunch', (options) => { state.navigations.push(options.url); return {} }),
    showToast: device('showToast', () => ({})),
    getAppBaseInfo: () => ({ fontSizeSetting: 24, fontSizeScaleFactor: 1.4, SDKVersion: '3.3.4' }),
    getStorageSync: (key) => (key in state.storage ? JSON.parse(state.storage[key]) : ''),
    setStorageSync: (key, value) => { state.storage[key] = JSON.stringify(value) },
    removeStorageSync: (key) => { delete state.storage[key] },
    clearStorageSync: () => { Object.keys(state.storage).forEach((key) => { delete state.storage[key] }) },
    onNeedPrivacyAuthorization: (handler) => { state.privacyHandler = handler },
    onNetworkStatusChange: (handler) => { state.networkHandler = handler },
  }
  return wx
}

module.exports = { createWx, httpCall }
