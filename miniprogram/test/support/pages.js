// Loading the real pages into miniprogram-simulate, and the little waits a test needs.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '..', '..')
const loaded = {}

// Each page is compiled once per test file (simulate caches through require.cache).
// `name` is a folder ('home': pages/home/index) or a folder and page ('problems/report').
function page(name) {
  const file = name.includes('/') ? name : `${name}/index`
  if (!loaded[name]) loaded[name] = simulate.load(path.join(ROOT, 'pages', file), `page-${name.replace(/\W/g, '-')}`, { rootPath: ROOT })
  return loaded[name]
}

// Renders the page and runs its onLoad(options) and onShow(), as WeChat would on opening it.
async function open(name, options = {}) {
  const comp = simulate.render(page(name))
  comp.attach(document.createElement('parent-wrapper'))
  const instance = comp.instance
  if (instance.onLoad) await instance.onLoad(options)
  if (instance.onShow) await instance.onShow()
  return comp
}

function close(comp) {
  if (comp.instance.onUnload) comp.instance.onUnload()
  comp.detach()
}

async function until(check, what = 'the expected state', timeoutMs = 15000) {
  const start = Date.now()
  for (;;) {
    let value
    try {
      value = check()
    } catch (e) {
      value = false
    }
    if (value) return value
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await simulate.sleep(20)
  }
}

// A tap on the element, as the volunteer's finger makes it; resolves when the page is idle again.
async function tap(comp, selector) {
  const el = comp.querySelector(selector)
  if (!el) throw new Error(`nothing to tap at ${selector}`)
  el.dispatchEvent('tap')
  await simulate.sleep(10)
}

function text(comp, selector) {
  const el = comp.querySelector(selector)
  return el ? el.dom.textContent.replace(/\s+/g, ' ').trim() : ''
}

// A page's source file, for what simulate cannot show (a built-in button's open-type).
function readPage(name, ext) {
  return require('fs').readFileSync(path.join(ROOT, 'pages', name, `index.${ext}`), 'utf8')
}

module.exports = { page, open, close, until, tap, text, readPage, ROOT }
