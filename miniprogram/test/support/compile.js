// Compiles every WXML and WXSS file with WeChat's offline compilers (wcc, wcsc from the
// miniprogram-compiler package) and fails on the first template or style error, with file:line.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..', '..')
const BIN = path.join(path.dirname(require.resolve('miniprogram-compiler/package.json')), 'bin', 'linux')
const SKIP = new Set(['node_modules', 'test', 'miniprogram_npm', 'coverage'])

function filesWith(ext, dir = ROOT, found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name) && !entry.name.startsWith('.')) filesWith(ext, path.join(dir, entry.name), found)
    } else if (entry.name.endsWith(ext)) {
      found.push(path.relative(ROOT, path.join(dir, entry.name)))
    }
  }
  return found.sort()
}

function run(binary, args) {
  const file = path.join(BIN, binary)
  fs.chmodSync(file, 0o755) // npm ci unpacks the binaries without the exec bit
  return spawnSync(file, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
}

function check(label, result, files) {
  if (result.error) throw result.error
  if (result.status !== 0) {
    process.stderr.write(`${label} failed:\n${result.stderr.toString()}\n`)
    process.exit(1)
  }
  console.log(`${label}: ${files.length} files compiled`)
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.log('wcc/wcsc ship for Linux x86-64 here; skipping the template compile on this machine')
    return
  }
  const wxml = filesWith('.wxml')
  const wxs = filesWith('.wxs')
  // wcc wants the page list without the extension's effect on components: "0" = no custom components.
  check('WXML (wcc)', run('wcc', ['-d', '-cc', '0', ...wxml, ...wxs, '-gn', '$gwx']), wxml)
  const wxss = filesWith('.wxss')
  const pages = wxss.filter((f) => fs.existsSync(path.join(ROOT, f.replace(/\.wxss$/, '.json'))))
  const rest = wxss.filter((f) => !pages.includes(f))
  check('WXSS (wcsc)', run('wcsc', ['-db', '-pc', String(pages.length), ...pages, ...rest]), wxss)
}

main()
