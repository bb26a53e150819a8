import http from 'node:http';
import https from 'node:https';
import { NonPublicAddressError, nonPublicHost, publicOnlyLookup, resolveAll, type Resolve } from './public-address';

/** How much of a receiver's answer an attempt keeps. */
export const RESPONSE_EXCERPT_BYTES = 512;

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  /** The whole exchange; a receiver that has not answered by then has failed. */
  timeoutMs: number;
  /** Connect only to public addresses (live mode). */
  publicOnly: boolean;
}

/** What a receiver answered: its status and the first RESPONSE_EXCERPT_BYTES of its body. */
export interface PostAnswer {
  status: number;
  body: string | null;
}

/** POSTs a delivery; rejects on a network error, a timeout before the answer, or a refused address. */
export type Post = (url: string, options: PostOptions) => Promise<PostAnswer>;

/**
 * Deliveries over node:http(s) rather than fetch, because a public-only delivery must check the
 * address its socket connects to, which needs a `lookup` of our own (fetch takes none). Redirects
 * are not followed, as Stripe does not follow them. Public-only and unrestricted deliveries keep
 * their connections in separate pools, so a connection made without the check is never reused
 * where the check is required.
 */
export function makeHttpPost(resolve: Resolve = resolveAll): Post {
  const lookup = publicOnlyLookup(resolve);
  // An idle connection is closed after 4 s (as fetch does), before a receiver's own idle timeout
  // (commonly 5 s) can close it under a delivery being sent on it.
  const pool = { keepAlive: true, timeout: 4000 };
  const pools = {
    http: { open: new http.Agent(pool), publicOnly: new http.Agent({ ...pool, lookup }) },
    https: { open: new https.Agent(pool), publicOnly: new https.Agent({ ...pool, lookup }) },
  };

  return (url, options) =>
    new Promise<PostAnswer>((resolvePost, rejectPost) => {
      const target = new URL(url);
      const scheme = target.protocol === 'https:' ? 'https' : 'http';
      // An address literal is connected to without a lookup: checked here instead.
      const literal = options.publicOnly ? nonPublicHost(target.hostname) : undefined;
      if (literal) return rejectPost(new NonPublicAddressError(literal));

      let answered = false;
      const request = (scheme === 'https' ? https : http).request(
        target,
        {
          method: 'POST',
          headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
          agent: options.publicOnly ? pools[scheme].publicOnly : pools[scheme].open,
          signal: AbortSignal.timeout(options.timeoutMs),
        },
        (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          let size = 0;
          const settle = () => {
            const text = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
            resolvePost({ status: response.statusCode ?? 0, body: text === '' ? null : text });
          };
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.byteLength;
            if (size >= RESPONSE_EXCERPT_BYTES) response.destroy();
          });
          // The status is what counts: a body cut short (enough read, timeout, reset) keeps what arrived.
          response.on('end', settle);
          response.on('close', settle);
          response.on('error', () => undefined);
        },
      );
      request.on('error', (error) => {
        if (!answered) rejectPost(error);
      });
      request.end(options.body);
    });
}
