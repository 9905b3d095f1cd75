#!/usr/bin/env node
// A fault-injecting HTTP proxy for the network-fault tests: it listens on 127.0.0.1, forwards
// every request to Azurite and damages some answers on the way back.
//
//   node fault_proxy.js UPSTREAM_PORT PORT_FILE CONFIG_FILE COUNTS_FILE
//
// It writes the port it listens on to PORT_FILE. CONFIG_FILE (JSON, re-read on every request,
// so a test changes faults between luisy runs without a restart):
//   {"case": "reset", "seed": 7, "kinds": ["reset"], "rate": 40, "depth": 2,
//    "retry_after": 1, "rate_bps": 262144, "burst_every": 10, "burst_len": 3,
//    "match": "/ac/"}
// A change of "case" clears the counters. Kinds:
//   reset        the body is cut halfway and the connection reset (RST); an answer without a
//                body that matters (HEAD, 201, 404, 409) is cut inside its head instead (so
//                for truncate and wrong_length)
//   stall        nothing is sent back; the connection is held until the client gives up
//   503, 429     an error answer with Retry-After: retry_after seconds (not forwarded)
//   500          an error answer, not forwarded
//   burst500     500 for burst_len consecutive requests, every burst_every requests (but
//                never more than burst_len faults in a row for one request)
//   truncate     the right Content-Length, part of the body, then the connection closes
//   wrong_length a Content-Length shorter than the body (longer when it has none)
//   slow         every answer is sent at rate_bps bytes per second
// Which requests suffer is seeded and reproducible whatever the interleaving: request key =
// method + URL; a key is chosen with probability rate% from hash(seed, kind, key), and its
// first `depth` attempts get the fault (depth <= luisy's retries: every request must succeed;
// larger: luisy must give up after its bound). "match" limits faults to URLs containing it.
//
// COUNTS_FILE (JSON, rewritten after every request): requests, injected per kind, retries
// (requests for a key whose previous answer was a fault), max_fault_run (most consecutive
// faulted attempts on one key), attempts_after_fault_max (most requests seen for one faulted key).
// FAULT_PROXY_LOG=1 prints one line per request (key, attempt, fault) on stderr.
'use strict';
const http = require('http');
const fs = require('fs');

const [upstreamPort, portFile, configFile, countsFile] = process.argv.slice(2);
if (!countsFile) {
  console.error('usage: fault_proxy.js UPSTREAM_PORT PORT_FILE CONFIG_FILE COUNTS_FILE');
  process.exit(2);
}

let state = null;
function freshState(name) {
  return {case: name, requests: 0, injected: {}, retries: 0, max_fault_run: 0,
          attempts_after_fault_max: 0, seen: new Map(), run: new Map(), faulted: new Set(),
          burst_left: 0};
}

function readConfig() {
  try {
    return JSON.parse(fs.readFileSync(configFile, 'utf8'));
  } catch (e) {
    return {case: 'none', kinds: []};
  }
}

function writeCounts() {
  const out = {case: state.case, requests: state.requests, injected: state.injected,
               retries: state.retries, max_fault_run: state.max_fault_run,
               attempts_after_fault_max: state.attempts_after_fault_max,
               keys_faulted: state.faulted.size};
  const tmp = countsFile + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(out) + '\n');
  fs.renameSync(tmp, countsFile);
}

// FNV-1a, 32 bits: small, stable across Node versions.
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

// The fault for this request, or null.
function choose(config, key, attempt) {
  const kinds = config.kinds || [];
  if (kinds.length === 0) return null;
  if (config.match && !key.includes(config.match)) return null;
  if (kinds.includes('slow')) return 'slow';
  if (kinds.includes('burst500')) {
    const every = config.burst_every || 10;
    if (state.burst_left === 0 && state.requests % every === hash(`${config.seed}|burst`) % every)
      state.burst_left = config.burst_len || 3;
    if (state.burst_left > 0) {
      state.burst_left--;
      // A request alone on the wire meets a whole burst, and its next attempt may open the
      // next one: keep one request's faults in a row within burst_len, so that burst_len <=
      // the client's retries means every request succeeds whatever the interleaving.
      if ((state.run.get(key) || 0) >= (config.burst_len || 3)) return null;
      return 'burst500';
    }
    return null;
  }
  const h = hash(`${config.seed}|${key}`);
  if (h % 100 >= (config.rate === undefined ? 30 : config.rate)) return null;
  const depth = config.depth || 1;
  if (attempt >= depth) return null;
  return kinds[(h >>> 8) % kinds.length];
}

function count(kind, key) {
  state.injected[kind] = (state.injected[kind] || 0) + 1;
  state.faulted.add(key);
  const run = (state.run.get(key) || 0) + 1;
  state.run.set(key, run);
  state.max_fault_run = Math.max(state.max_fault_run, run);
}

function rawHead(status, message, headers, length) {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  if (length !== null) head += `Content-Length: ${length}\r\n`;
  return head + 'Connection: close\r\n\r\n';
}

function errorAnswer(res, status, code, retryAfter) {
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code>` +
               `<Message>injected by fault_proxy</Message></Error>`;
  const headers = {'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body),
                   'x-ms-error-code': code};
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  res.writeHead(status, headers);
  res.end(body);
}

function forward(req, body, done) {
  const headers = Object.assign({}, req.headers);
  headers.host = `127.0.0.1:${upstreamPort}`;
  const up = http.request({host: '127.0.0.1', port: Number(upstreamPort), method: req.method,
                           path: req.url, headers}, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => done(null, res, Buffer.concat(chunks)));
    res.on('error', (e) => done(e));
  });
  up.on('error', (e) => done(e));
  up.end(body);
}

function handle(req, res, body) {
  const config = readConfig();
  if (!state || state.case !== config.case) state = freshState(config.case);
  const key = `${req.method} ${req.url}`;
  const attempt = state.seen.get(key) || 0;
  state.seen.set(key, attempt + 1);
  state.requests++;
  if (state.run.get(key) > 0) state.retries++;  // the last answer to this key was a fault
  if (state.faulted.has(key))
    state.attempts_after_fault_max = Math.max(state.attempts_after_fault_max, attempt + 1);
  const fault = choose(config, key, attempt);
  if (fault && fault !== 'slow') count(fault, key);
  else state.run.set(key, 0);
  writeCounts();
  if (process.env.FAULT_PROXY_LOG) console.error(`${state.requests} ${key} attempt=${attempt} fault=${fault}`);

  if (fault === '503' || fault === '429') {
    return errorAnswer(res, Number(fault), fault === '503' ? 'ServerBusy' : 'TooManyRequests',
                       config.retry_after === undefined ? 1 : config.retry_after);
  }
  if (fault === '500' || fault === 'burst500') return errorAnswer(res, 500, 'InternalError');

  forward(req, body, (error, up, data) => {
    if (error) {
      res.writeHead(502);
      return res.end();
    }
    const headers = [];
    for (let i = 0; i < up.rawHeaders.length; i += 2) {
      const name = up.rawHeaders[i].toLowerCase();
      if (name === 'transfer-encoding' || name === 'connection' || name === 'keep-alive' ||
          (name === 'content-length' && req.method !== 'HEAD'))
        continue;
      headers.push([up.rawHeaders[i], up.rawHeaders[i + 1]]);
    }
    const socket = req.socket;
    const head = (length) => rawHead(up.statusCode, up.statusMessage, headers,
                                     req.method === 'HEAD' ? null : length);
    switch (fault) {
      case 'stall':
        return;  // hold the socket: the client's low-speed timeout must fire
      case 'reset':
      case 'truncate':
      case 'wrong_length': {
        // Without a body that matters (HEAD, an empty or error answer) the head itself is cut.
        if (req.method === 'HEAD' || data.length === 0 || up.statusCode >= 300) {
          const whole = head(0);
          const half = Buffer.from(whole.slice(0, whole.length >> 1), 'latin1');
          if (fault === 'reset') return socket.write(half, () => socket.resetAndDestroy());
          return socket.end(half);
        }
        if (fault === 'reset') {
          return socket.write(Buffer.concat([Buffer.from(head(data.length), 'latin1'),
                                             data.subarray(0, data.length >> 1)]),
                              () => socket.resetAndDestroy());
        }
        if (fault === 'truncate') {  // the right Content-Length, half the body, then FIN
          return socket.end(Buffer.concat([Buffer.from(head(data.length), 'latin1'),
                                           data.subarray(0, data.length >> 1)]));
        }
        const shorter = data.length - Math.max(1, Math.floor(data.length / 3));
        return socket.end(Buffer.concat([Buffer.from(head(shorter), 'latin1'), data]));
      }
      default:
        break;
    }
    const plain = {};
    for (const [name, value] of headers) plain[name] = value;
    if (req.method !== 'HEAD') plain['Content-Length'] = data.length;
    res.writeHead(up.statusCode, up.statusMessage, plain);
    if (fault !== 'slow' || data.length === 0) return res.end(req.method === 'HEAD' ? undefined : data);
    state.injected.slow = (state.injected.slow || 0) + 1;  // slowed, not failed: no retry due
    const perTick = Math.max(1, Math.floor((config.rate_bps || 262144) / 20));
    let offset = 0;
    const tick = () => {
      if (res.destroyed) return;
      const end = Math.min(data.length, offset + perTick);
      res.write(data.subarray(offset, end));
      offset = end;
      if (offset >= data.length) res.end();
      else setTimeout(tick, 50);
    };
    tick();
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  req.on('error', () => {});
});
server.keepAliveTimeout = 5000;
server.on('clientError', (err, socket) => socket.destroy());
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => process.exit(0));
