/** The console's one API client: the same Stripe-shaped HTTP API the SDK uses, with plain fetch. */

export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** A Stripe-shaped error answer: its message is what the console shows. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

type Params = Record<string, unknown>;

/** Stripe's form encoding: `a[b][0]=c`. */
export function encodeParams(params: Params, prefix = ''): string[] {
  return Object.entries(params).flatMap(([key, value]) => {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (value === undefined || value === null) return [];
    if (typeof value === 'object') return encodeParams(value as Params, name);
    return [`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`];
  });
}

export interface Api {
  get<T>(path: string, params?: Params): Promise<T>;
  post<T>(path: string, params?: Params): Promise<T>;
  /** DELETE (an object the API deletes outright, such as a webhook endpoint): answers the deletion record. */
  del<T>(path: string): Promise<T>;
  /** Every object of a list, page by page (for small lists only: at most `max`). */
  all<T extends { id: string }>(path: string, params?: Params, max?: number): Promise<T[]>;
}

/** A client for `key`; `onUnauthorized` runs on a 401 (the key was revoked or mistyped). */
export function createApi(key: string, onUnauthorized: () => void, fetcher: typeof fetch = fetch): Api {
  async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, params: Params = {}): Promise<T> {
    const encoded = encodeParams(params).join('&');
    const url = method === 'GET' && encoded ? `${path}?${encoded}` : path;
    const response = await fetcher(url, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: method === 'POST' ? encoded : undefined,
    });
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string; code?: string; param?: string } };
    if (response.status === 401) onUnauthorized();
    if (!response.ok) throw new ApiError(response.status, body.error?.message ?? `The API answered ${response.status}.`, body.error?.code, body.error?.param);
    return body as T;
  }
  return {
    get: (path, params) => request('GET', path, params),
    post: (path, params) => request('POST', path, params),
    del: (path) => request('DELETE', path),
    async all<T extends { id: string }>(path: string, params: Params = {}, max = 500) {
      const found: T[] = [];
      let after: string | undefined;
      do {
        const page: List<T> = await request('GET', path, { ...params, limit: 100, starting_after: after });
        found.push(...page.data);
        after = page.has_more ? page.data.at(-1)?.id : undefined;
      } while (after && found.length < max);
      return found;
    },
  };
}

/** The mode of a key, from its prefix (as Stripe's keys say it). */
export function modeOfKey(key: string): 'test' | 'live' | undefined {
  const match = /^(sk|rk)_(test|live)_/.exec(key);
  return match ? (match[2] as 'test' | 'live') : undefined;
}

/** Restricted keys can read (`read_only`) or send meter events: the console offers no action to either. */
export const canWrite = (key: string) => key.startsWith('sk_');
