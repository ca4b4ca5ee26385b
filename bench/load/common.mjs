// Shared helpers for the load generator and the soak test: argument parsing, starting a local
// `gemma3 serve`, one streamed request with timings, percentiles, and the server's memory.
// Plain Node (fetch); no dependencies. Only ever talks to the loopback interface.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** --key value / --flag arguments into an object (numbers converted), with defaults. */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const key = a.slice(2);
    if (!(key in defaults)) throw new Error(`unknown option --${key} (known: ${Object.keys(defaults).join(', ')})`);
    if (typeof defaults[key] === 'boolean') { out[key] = true; continue; }
    const v = argv[++i];
    if (v === undefined) throw new Error(`--${key} needs a value`);
    out[key] = typeof defaults[key] === 'number' ? Number(v) : v;
    if (typeof defaults[key] === 'number' && !Number.isFinite(out[key])) throw new Error(`--${key}: not a number: ${v}`);
  }
  return out;
}

/** Refuses anything but a loopback URL: this tool must never load someone else's server. */
export function checkLocal(base) {
  const u = new URL(base);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    throw new Error(`refusing to target ${u.hostname}: only 127.0.0.1 / localhost are allowed`);
  }
  return base.replace(/\/$/, '');
}

/**
 * The server to target: --base URL (with --pid for memory readings), or --bin + --model-dir to
 * start `gemma3 serve --port 0` here (stopped by the returned stop()).
 */
export async function acquireServer(opts, extraServeArgs = [], { quiet = true } = {}) {
  if (opts.base) {
    return { base: checkLocal(opts.base), pid: opts.pid || 0, stop: async () => {} };
  }
  if (!opts.bin || !opts['model-dir']) throw new Error('give --base URL [--pid PID], or --bin PATH --model-dir DIR');
  const args = ['serve', '-m', opts['model-dir'], '--port', '0', ...(quiet ? ['--quiet'] : []), ...extraServeArgs];
  if (opts.threads) args.push('-t', String(opts.threads));
  const proc = spawn(opts.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; ++i) {
    const r = await fetch(`${base}/health`).catch(() => null);
    if (r && r.status === 200) break;
    if (i > 6000) throw new Error('server did not become ready:\n' + log);
    await sleep(50);
  }
  const stop = async () => {
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.on('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(15000)]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  };
  return { base, pid: proc.pid, proc, stop, log: () => log };
}

/** VmHWM (peak) and VmRSS of a process in MiB, or null when unknown. */
export function memoryMiB(pid) {
  if (!pid) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number((status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]);
    return { peak: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

/**
 * One streamed request. Returns { ok, status, ttftMs, gapsMs, tokens, text, finish, error }.
 * ttft: request start -> first non-empty content. first: the same, or the finish if that comes
 * first (a first token that decodes to no text yet still ends the wait). gaps: time between consecutive content
 * chunks (a chunk normally carries one token; a slow reader may see merged ones). tokens: usage.
 * slowReadMs: pause this long before taking each piece of the body (a slow reader).
 */
export async function streamRequest(base, path, body, { apiKey, signal, slowReadMs = 0 } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const t0 = performance.now();
  const result = { ok: false, status: 0, ttftMs: NaN, firstMs: NaN, gapsMs: [], tokens: 0, text: '', finish: null, error: null };
  let res;
  try {
    res = await fetch(`${base}${path}`, {
      method: 'POST', headers, signal,
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }) });
  } catch (e) {
    result.error = String(e.cause ?? e);
    return result;
  }
  result.status = res.status;
  if (res.status !== 200) {
    result.error = await res.text();
    return result;
  }
  const decoder = new TextDecoder();
  let buffer = '', last = NaN, done = false;
  try {
    for await (const bytes of res.body) {
      if (slowReadMs > 0) await sleep(slowReadMs);   // a slow reader: the server must not wait on it
      buffer += decoder.decode(bytes, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!event.startsWith('data: ')) continue;   // SSE comments (keep-alives)
        const data = event.slice(6);
        if (data === '[DONE]') { done = true; continue; }
        const chunk = JSON.parse(data);
        if (chunk.error) { result.error = chunk.error.message; continue; }
        if (chunk.usage) result.tokens = chunk.usage.completion_tokens;
        const choice = chunk.choices[0];
        if (!choice) continue;
        const piece = choice.delta ? (choice.delta.content ?? '') : (choice.text ?? '');
        if (piece.length > 0) {
          const now = performance.now();
          if (Number.isNaN(result.ttftMs)) result.ttftMs = now - t0;
          else result.gapsMs.push(now - last);
          last = now;
          result.text += piece;
        }
        if (choice.finish_reason) result.finish = choice.finish_reason;
        if (Number.isNaN(result.firstMs) && (piece.length > 0 || choice.finish_reason)) result.firstMs = performance.now() - t0;
      }
    }
  } catch (e) {
    result.error = String(e.cause ?? e);
    return result;
  }
  result.ok = done && result.finish !== null && result.error === null;
  if (!result.ok && !result.error) result.error = `stream ended without ${done ? 'finish_reason' : '[DONE]'}`;
  return result;
}

export async function metric(base, name) {
  const r = await fetch(`${base}/metrics`);
  const m = (await r.text()).match(new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}
