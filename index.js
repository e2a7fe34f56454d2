// Zapier's runtime (zapierwrapper.js) and the CLI load <root>/index.js.
// The app is written in TypeScript (index.ts) and compiled to dist/ by `npm run build`.
module.exports = require('./dist/index.js').default;
