#!/usr/bin/env node
// `npm run playground`: builds the playground and serves it on localhost (static files
// only; the simulator runs in the page).
//
//   npm run playground -- [--port N] [--host ADDR] [--no-build]
'use strict';
const { createReadStream, statSync } = require('node:fs');
const { createServer } = require('node:http');
const { extname, join, normalize, resolve, sep } = require('node:path');
const { buildPlayground } = require('./build.cjs');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8' };

/** A static file server for `dir`; resolves when it listens. */
function serveDir(dir, { port = 8321, host = '127.0.0.1' } = {}) {
  const rootDir = resolve(dir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file = normalize(join(rootDir, decodeURIComponent(url.pathname)));
    if (file !== rootDir && !file.startsWith(rootDir + sep)) {
      res.writeHead(403).end('forbidden\n');
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

module.exports = { serveDir };

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : def;
  };
  const port = Number(opt('--port', '8321'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`playground: --port takes a port number, not '${opt('--port')}'`);
    process.exit(2);
  }
  const host = opt('--host', '127.0.0.1');
  const pkg = resolve(__dirname, '..');
  try {
    const out = args.includes('--no-build') ? join(pkg, 'dist') : (await buildPlayground({ minify: true })).out;
    const server = await serveDir(out, { port, host });
    const a = server.address();
    console.log(`playground: http://${host}:${a.port}/  (strict CSP, interpreter only: http://${host}:${a.port}/strict.html; Ctrl-C stops)`);
  } catch (e) {
    console.error(`playground: ${e.code === 'EADDRINUSE' ? `port ${port} is in use (--port N picks another)` : e.message.split('\n')[0]}`);
    process.exit(2);
  }
}

if (require.main === module) void main();
