// Write load for the tests of several servers and of outages (multi.test.mjs,
// restart.test.mjs): `workers` loops post graffiti reports inside the service area, report i
// to servers[i % servers.length], until stop() is called; every answer is kept.
import { setTimeout as sleep } from 'node:timers/promises';
import { api, startServer, LOOP, offset } from '../api/lib.mjs';

/**
 * Starts the loops. Returns { answers, stop() }: answers[k] = { server, status, retryAfter,
 * id, tag, at, text } in the order they came (status 0: the connection failed); stop()
 * resolves when every loop has had its last answer. Tags are `${prefix}${i}`, the report's
 * description. After an answer other than 201 a loop waits `pauseMs`.
 */
export function writeLoad(servers, { workers = 8, prefix = 'r', pauseMs = 50 } = {}) {
  const answers = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const i = n++;
      const server = i % servers.length;
      const p = offset(LOOP, (i % 10) * 200, -(w * 100)); // inside the service area
      const tag = `${prefix}${i}`;
      let a;
      try {
        a = await api(servers[server].url, 'POST', '/api/v1/reports',
          { json: { category: 'graffiti', lat: p.lat, lon: p.lon, description: tag } });
      } catch {
        a = { status: 0, headers: new Headers(), text: 'connection failed' };
      }
      answers.push({ server, status: a.status, retryAfter: a.headers.get('retry-after'),
        id: a.body?.report?.id, tag, at: Date.now(), text: a.text });
      if (a.status !== 201) await sleep(pauseMs);
    }
  });
  return { answers, stop: async () => { running = false; await Promise.all(loops); } };
}

/** The tags of answers answered 201 whose report is not stored in db under the answered id. */
export function lost201(answers, stored) {
  return answers.filter((a) => a.status === 201 && stored.get(a.tag) !== String(a.id)).map((a) => a.tag);
}

/**
 * Starts n servers on one database (opts as startServer's), one after the other: each is in
 * servers as soon as it listens, so that the caller's clean-up stops every one that started,
 * also when a later one fails (a server left running would keep node, and the test, alive).
 * The first creates the schema; the others find it.
 */
export async function startServers(servers, n, opts) {
  for (let i = 0; i < n; i++) servers.push(await startServer(opts));
}
