// The $lib alias for dependency-cruiser (see architecture.cjs), as a webpack-style resolve config.
const { resolve } = require('node:path');

module.exports = { resolve: { alias: { $lib: resolve(__dirname, '../app/lib') } } };
