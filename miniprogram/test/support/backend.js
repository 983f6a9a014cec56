// Starts the real Flask backend (backend.py) for one test file and talks to its control channel.
const { spawn } = require('child_process')
const fs = require('fs')
const path = require('path')
const readline = require('readline')

const REPO = path.resolve(__dirname, '..', '..', '..')

function pythonPath() {
  if (process.env.REDVEST_PYTHON) return process.env.REDVEST_PYTHON
  const venv = path.join(REPO, '.venv', 'bin', 'python')
  return fs.existsSync(venv) ? venv : 'python3'
}

async function startBackend() {
  const child = spawn(pythonPath(), [path.join(__dirname, 'backend.py')], {
    cwd: REPO,
    env: { ...process.env, REDVEST_ENV: 'development', WECHAT_APPID: '', FLASK_DEBUG: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const lines = readline.createInterface({ input: child.stdout })
  const waiting = []
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-20000)
  })
  lines.on('line', (line) => {
    const next = waiting.shift()
    if (next) next.resolve(JSON.parse(line))
  })
  child.on('exit', (code) => {
    while (waiting.length) waiting.shift().reject(new Error(`backend exited (${code}):\n${stderr}`))
  })
  const nextLine = () => new Promise((resolve, reject) => waiting.push({ resolve, reject }))

  const hello = await nextLine()
  const backend = {
    port: hello.port,
    baseUrl: `http://127.0.0.1:${hello.port}`,
    apiBase: `http://127.0.0.1:${hello.port}/api/mp/v1`,
    stderr: () => stderr,
    command(obj) {
      const answer = nextLine()
      child.stdin.write(JSON.stringify(obj) + '\n')
      return answer
    },
    // A `flask --app server ...` command; returns its parsed --json output.
    async cli(args, env) {
      const result = await backend.command({ cli: args, env })
      if (result.exit_code !== 0) throw new Error(`flask ${args.join(' ')} failed: ${result.output} ${result.error || ''}`)
      return JSON.parse(result.output.trim().split('\n').pop())
    },
    setClockOffset(seconds) {
      return backend.command({ clock: seconds })
    },
    async routes() {
      return (await backend.command({ routes: true })).routes
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        const killer = setTimeout(() => child.kill('SIGTERM'), 3000)
        child.on('exit', () => {
          clearTimeout(killer)
          resolve()
        })
        child.stdin.end()
      })
    },
  }
  return backend
}

// A county with one unit, one district and two posts 2 km apart, made with the CLI;
// each post's QR text is what `flask posts qr <id>` prints.
async function seedCounty(backend) {
  const unit = await backend.cli(['units', 'add', '城关镇人民政府', '--json'])
  const district = await backend.cli(['districts', 'add', '城关片区', '--json'])
  const east = await backend.cli(['posts', 'add', '--name', '人民路与解放路交叉口', '--district', String(district.id),
    '--lat', '30.5728', '--lng', '104.0668', '--radius', '100', '--json'])
  const west = await backend.cli(['posts', 'add', '--name', '文化广场', '--district', String(district.id),
    '--lat', '30.5728', '--lng', '104.0460', '--radius', '100', '--json'])
  const qr = async (post) => backend.cli(['posts', 'qr', String(post.id), '--json'])
  return { unit, district, east: { ...east, qr: await qr(east) }, west: { ...west, qr: await qr(west) } }
}

module.exports = { startBackend, seedCounty, REPO }
