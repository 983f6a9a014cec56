// Per test file: a fresh `wx`, the client pointed at the test backend, a clean module registry.
const { createWx } = require('./wx')

global.wx = createWx()
global.getApp = () => ({})
