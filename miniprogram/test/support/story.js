// What most stories share: the backend with a county made by the CLI, and a phone.
const os = require('os')
const path = require('path')
const { startBackend, seedCounty } = require('./backend')
const { httpCall } = require('./wx')

const config = require('../../config')

let photoCount = 0

async function startCounty() {
  const backend = await startBackend()
  const county = await seedCounty(backend)
  config.API_BASE = backend.apiBase
  config.SUBSCRIBE_TEMPLATE_IDS = ['tmpl-roster-reminder']
  return { backend, county }
}

// A new phone: empty storage, network on, logging in as dev:<key>.
function newPhone(key) {
  const state = wx.__state
  state.storage = {}
  state.network = true
  state.loginCode = `dev:${key}`
  state.requests = []
  state.navigations = []
  state.documents = []
  state.scanResult = ''
  state.locationDenied = false
  return state
}

// The volunteer standing at `post` (GCJ-02): `metresNorth` away from it, or when not given, a
// few metres from the surveyed point and never twice at the same spot, as a real phone's fix
// is (the backend flags a fix exactly on the post, or one that never moves, for review).
function standAt(post, metresNorth) {
  const north = metresNorth === undefined ? 10 + Math.random() * 20 : metresNorth
  const east = metresNorth === undefined ? 10 + Math.random() * 20 : 0
  wx.__state.location = {
    latitude: post.latitude + north / 111195,
    longitude: post.longitude + east / (111195 * Math.cos((post.latitude * Math.PI) / 180)),
    accuracy: 10,
  }
}

async function cameraPhoto(backend) {
  photoCount += 1
  const file = path.join(os.tmpdir(), `redvest-photo-${process.pid}-${photoCount}.jpg`)
  await backend.command({ jpeg: file, seed: photoCount + Math.floor(Math.random() * 1e6) })
  wx.__state.photoPath = file
  return file
}

// A volunteer who registered on an earlier day, through the client's own API module.
async function registeredVolunteer(key, name, county) {
  const api = require('../../utils/api')
  newPhone(key)
  const { version } = await api.call('privacyPolicy')
  wx.setStorageSync('redvest.privacyAccepted', version)
  await api.login()
  const user = await api.call('register', {
    data: { name, phone: `139${String(1e8 + Math.floor(Math.random() * 9e7)).slice(1)}`, unit_id: county.unit.id,
            privacy_version: version } })
  require('../../utils/session').markRegistered(user)
  return user
}

// The backend's JSON, asked directly (as the console or a coordinator would see it).
async function getJson(backend, pathAndQuery, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {}
  const res = await httpCall('GET', backend.baseUrl + pathAndQuery, headers, null)
  return { status: res.statusCode, body: JSON.parse(res.body.toString('utf8')) }
}

async function postJson(backend, pathAndQuery, data, token) {
  const body = Buffer.from(JSON.stringify(data))
  const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length }
  if (token) headers.Authorization = `Bearer ${token}`
  const res = await httpCall('POST', backend.baseUrl + pathAndQuery, headers, body)
  return { status: res.statusCode, body: JSON.parse(res.body.toString('utf8')) }
}

module.exports = { startCounty, newPhone, standAt, cameraPhoto, registeredVolunteer, getJson, postJson }
