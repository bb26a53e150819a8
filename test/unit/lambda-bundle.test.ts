import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as esbuild from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../cdk/bundling/lambda-bundle';
import { parseRequest } from '../../lib/http/request';

/*
 * The Lambda bundles replace a few modules by smaller ones (lambdaBundle.alias). Tests run the
 * sources unbundled, with the real modules, so the replacements are checked here: the request
 * parser, bundled as the functions bundle it, reads every form as the unbundled one does.
 */

type Parse = typeof parseRequest;

const work = mkdtempSync(path.join(os.tmpdir(), 'meterline-bundle-test-'));
let bundledParse: Parse;

beforeAll(async () => {
  const outfile = path.join(work, 'request.mjs');
  // Unminified, so that errors keep their class names for the comparison.
  await esbuild.build({ ...esbuildOptions(path.resolve(import.meta.dirname, '../../lib/http/request.ts'), outfile), minify: false, logLevel: 'silent' });
  ({ parseRequest: bundledParse } = (await import(pathToFileURL(outfile).href)) as { parseRequest: Parse });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function formRequest(body: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/billing/meter_events',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    requestContext: { http: { method: 'POST' } },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

/** What a parse gives: its input (as JSON, null-prototype objects included) or its error. */
function outcome(parse: Parse, body: string): unknown {
  try {
    return { input: JSON.parse(JSON.stringify(parse(formRequest(body)).input)) as unknown };
  } catch (error) {
    return { error: String(error), param: (error as { param?: string }).param };
  }
}

/** Parameter names with brackets, indexes (some past qs's arrayLimit), `[]` and repeats. */
const arbName = fc
  .tuple(
    fc.constantFrom('event_name', 'payload', 'events', 'cancel', 'a'),
    fc.array(fc.constantFrom('[0]', '[1]', '[2]', '[999]', '[1000]', '[1001]', '[5000]', '[]', '[value]', '[payload]', '[x]'), { maxLength: 4 }),
  )
  .map(([head, brackets]) => head + brackets.join(''));
const arbForm = fc
  .array(fc.tuple(arbName, fc.constantFrom('1', 'cus_1', '', 'a%20b', '%E2%9C%93')), { minLength: 1, maxLength: 12 })
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('&'));

describe('the Lambda bundles', () => {
  it('parse forms as the sources do, with side-channel replaced', () => {
    const samples = [
      'event_name=tokens&payload[stripe_customer_id]=cus_1&payload[value]=3&identifier=id-1&timestamp=1790000000',
      // Arrays past arrayLimit become objects, and repeated or conflicting keys combine: what qs tracks with side channels.
      `a[1001]=x&a[1002]=y&a[]=z`,
      'a=1&a=2&a=3',
      'a=1&a[b]=2&a[c]=3',
      'a[b]=1&a=2&a=3',
      'events[0][event_name]=x&events[1000][event_name]=y&events[][payload][value]=1',
      'a[b][c][d][e][f][g][h]=too-deep',
    ];
    for (const body of samples) expect(outcome(bundledParse, body)).toEqual(outcome(parseRequest, body));
    fc.assert(
      fc.property(arbForm, (body) => {
        expect(outcome(bundledParse, body)).toEqual(outcome(parseRequest, body));
      }),
      { numRuns: 500 },
    );
  });
});
