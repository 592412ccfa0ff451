import http from 'node:http';
import { readSseBlocks } from './sse-blocks.ts';

/** Resolves with the receipt time of every `action` event of the stream, once `count` have arrived. */
export function actionTimes(url: string, token: string, count: number): { ready: Promise<void>; done: Promise<number[]>; close(): void } {
  const times: number[] = [];
  let request: http.ClientRequest;
  let ready!: () => void;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  const done = new Promise<number[]>((resolve, reject) => {
    request = http.get(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`SSE: ${response.statusCode}`));
      ready();
      readSseBlocks(response, (block, at) => {
        if (/^event: action$/m.test(block)) times.push(at);
        if (/^event: state$/m.test(block) && /"state":"(error|idle|stopped)"/.test(block)) reject(new Error(`the run ended early: ${block}`));
        if (times.length === count) resolve(times);
      });
    });
    request.on('error', reject);
  });
  return { ready: readyPromise, done, close: () => request.destroy() };
}
