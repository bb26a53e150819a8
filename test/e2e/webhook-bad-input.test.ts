import Stripe from 'stripe';
import { beforeAll, describe, expect } from 'vitest';
import { it, useStack } from '../support/stack';
import { expectInvalid, expectStripeError, loose, rawRequest } from '../fixtures/stripe';

type CreateParams = Stripe.WebhookEndpointCreateParams;

describe('bad webhook endpoint requests', () => {
  const { stack, stripe } = useStack();
  /** An endpoint every bad update is tried on. */
  let existing: Stripe.WebhookEndpoint;

  beforeAll(async () => {
    const { secret: _secret, ...shown } = await stripe.webhookEndpoints.create({ url: 'https://example.com/hooks', enabled_events: ['customer.created'] });
    existing = shown;
  });

  /** The endpoints must be exactly the one created above, unchanged. */
  async function expectNothingWritten() {
    const list = await stripe.webhookEndpoints.list({ limit: 100 });
    expect(list.data).toEqual([existing]);
  }

  const valid: CreateParams = { url: 'https://example.com/ok', enabled_events: ['*'] };

  describe('create', () => {
    it.each([
      { name: 'a missing url', params: { enabled_events: ['*'] }, param: 'url', code: 'parameter_missing' },
      { name: 'an empty url', params: { ...valid, url: '' }, param: 'url', code: 'parameter_missing' },
      { name: 'a url that is not a url', params: { ...valid, url: 'not a url' }, param: 'url', code: 'url_invalid' },
      { name: 'a relative url', params: { ...valid, url: '/webhooks' }, param: 'url', code: 'url_invalid' },
      { name: 'an ftp url', params: { ...valid, url: 'ftp://example.com/hooks' }, param: 'url', code: 'url_invalid' },
      { name: 'a javascript: url', params: { ...valid, url: 'javascript:alert(1)' }, param: 'url', code: 'url_invalid' },
      { name: 'a url with credentials', params: { ...valid, url: 'https://user:pw@example.com/hooks' }, param: 'url', code: 'url_invalid' },
      { name: 'a url of 5001 characters', params: { ...valid, url: `https://example.com/${'a'.repeat(5001 - 20)}` }, param: 'url' },
      { name: 'missing enabled_events', params: { url: valid.url }, param: 'enabled_events', code: 'parameter_missing' },
      { name: 'empty enabled_events', params: { url: valid.url, enabled_events: [] }, param: 'enabled_events' },
      { name: 'an unknown event type', params: { ...valid, enabled_events: ['customer.created', 'customer.exploded'] }, param: 'enabled_events[1]' },
      { name: 'a Stripe type Meterline never sends', params: { ...valid, enabled_events: ['charge.succeeded'] }, param: 'enabled_events[0]' },
      { name: 'an empty event type', params: { ...valid, enabled_events: [''] }, param: 'enabled_events[0]' },
      { name: 'a malformed api_version', params: { ...valid, api_version: 'yesterday' }, param: 'api_version' },
      { name: 'connect endpoints', params: { ...valid, connect: true }, param: 'connect' },
      { name: 'an unknown parameter', params: { ...valid, disabled: true }, param: 'disabled', code: 'parameter_unknown' },
      { name: 'a description too long', params: { ...valid, description: 'x'.repeat(5001) }, param: 'description' },
      { name: 'a metadata key too long', params: { ...valid, metadata: { ['k'.repeat(41)]: 'v' } }, param: `metadata[${'k'.repeat(41)}]` },
    ])('rejects $name, naming the parameter, and writes nothing', async ({ params, param, code }) => {
      await expectInvalid(stripe.webhookEndpoints.create(loose<CreateParams>(params)), param, code);
      await expectNothingWritten();
    });

    it('names the bad event type in the message', async () => {
      const error = await expectInvalid(stripe.webhookEndpoints.create({ ...valid, enabled_events: loose(['invoice.exploded']) }), 'enabled_events[0]');
      expect(error.message).toContain("'invoice.exploded'");
    });

    it('rejects a JSON body with an empty enabled_events list', async () => {
      const response = await rawRequest(stack, 'POST', '/v1/webhook_endpoints', {
        headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: valid.url, enabled_events: [] }),
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', param: 'enabled_events' });
      await expectNothingWritten();
    });

    it('requires a live mode endpoint to be https and publicly reachable', async () => {
      const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'live', livemode: true, now: Math.floor(Date.now() / 1000) });
      const live = stack.client(secret);
      for (const url of ['http://example.com/hooks', 'https://localhost/hooks', 'https://127.0.0.1/hooks', 'https://[::1]/hooks', 'https://169.254.169.254/latest', 'https://10.0.0.8/hooks']) {
        await expectInvalid(live.webhookEndpoints.create({ ...valid, url }), 'url', 'url_invalid');
      }
      await expectNothingWritten();
      const accepted = await live.webhookEndpoints.create({ ...valid, url: 'https://hooks.example.com/in' });
      expect(accepted.livemode).toBe(true);
      await expectInvalid(live.webhookEndpoints.update(accepted.id, { url: 'https://192.168.1.20/in' }), 'url', 'url_invalid');
      await live.webhookEndpoints.del(accepted.id);
      // The local stack's test mode delivers anywhere, localhost included.
      await stripe.webhookEndpoints.del((await stripe.webhookEndpoints.create({ ...valid, url: 'http://localhost:4000/hooks' })).id);
    });

    it('requires test mode endpoints to be publicly reachable too where deployed (http still allowed)', async ({ startStack }) => {
      const deployed = await startStack({ webhookPrivateTestUrls: false });
      for (const url of ['http://localhost:4000/hooks', 'https://127.0.0.1/hooks', 'http://169.254.169.254/latest', 'http://[fd00::1]/hooks']) {
        await expectInvalid(deployed.stripe.webhookEndpoints.create({ ...valid, url }), 'url', 'url_invalid');
      }
      expect((await deployed.stripe.webhookEndpoints.list()).data).toEqual([]);
      const accepted = await deployed.stripe.webhookEndpoints.create({ ...valid, url: 'http://hooks.example.com/in' });
      await expectInvalid(deployed.stripe.webhookEndpoints.update(accepted.id, { url: 'http://192.168.1.20/in' }), 'url', 'url_invalid');
      expect((await deployed.stripe.webhookEndpoints.retrieve(accepted.id)).url).toBe('http://hooks.example.com/in');
    });

    it('stops at 16 endpoints, also when creates race for the last places', async ({ startStack }) => {
      const stack16 = await startStack();
      const create = (i: number) => stack16.stripe.webhookEndpoints.create({ url: `https://example.com/${i}`, enabled_events: ['*'] });
      for (let i = 0; i < 13; i++) await create(i);
      const racing = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => create(13 + i)));
      expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of racing.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({ statusCode: 400, param: 'url', code: 'webhook_endpoint_limit_reached' });
      }
      await expectInvalid(stack16.stripe.webhookEndpoints.create(valid), 'url', 'webhook_endpoint_limit_reached');
      expect((await stack16.stripe.webhookEndpoints.list({ limit: 100 })).data).toHaveLength(16);
      // A deletion frees a place.
      await stack16.stripe.webhookEndpoints.del((await stack16.stripe.webhookEndpoints.list({ limit: 1 })).data[0]!.id);
      await create(99);
    });
  });

  describe('update', () => {
    it.each([
      { name: 'a url that is not a url', params: { url: 'not a url' }, param: 'url' },
      { name: 'an ftp url', params: { url: 'ftp://example.com/hooks' }, param: 'url' },
      { name: 'an empty url', params: { url: '' }, param: 'url' },
      { name: 'an unknown event type', params: { enabled_events: loose(['*', 'nope']) }, param: 'enabled_events[1]' },
      { name: 'a disabled that is not a boolean', params: { disabled: loose('sometimes') }, param: 'disabled' },
      { name: 'an unknown parameter', params: { status: 'disabled' }, param: 'status', code: 'parameter_unknown' },
      { name: 'a url and a bad disabled together', params: { url: 'https://example.com/new', disabled: loose('maybe') }, param: 'disabled' },
    ])('rejects $name, naming the parameter, and changes nothing', async ({ params, param, code }) => {
      await expectInvalid(stripe.webhookEndpoints.update(existing.id, loose<Stripe.WebhookEndpointUpdateParams>(params)), param, code);
      await expectNothingWritten();
    });

    it('rejects an empty enabled_events list (the SDK drops empty arrays: sent as JSON)', async () => {
      const response = await rawRequest(stack, 'POST', `/v1/webhook_endpoints/${existing.id}`, {
        headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ enabled_events: [] }),
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', param: 'enabled_events' });
      await expectNothingWritten();
    });
  });

  describe('unknown endpoints', () => {
    const unknown = 'we_doesNotExist0000000000';
    it.each([
      ['retrieve', () => stripe.webhookEndpoints.retrieve(unknown)],
      ['update', () => stripe.webhookEndpoints.update(unknown, { description: 'x' })],
      ['delete', () => stripe.webhookEndpoints.del(unknown)],
    ])('answers 404 to %s', async (_name, call) => {
      const error = await expectStripeError(call(), Stripe.errors.StripeInvalidRequestError, { statusCode: 404, code: 'resource_missing', param: 'id' });
      expect(error.message).toContain(unknown);
      await expectNothingWritten();
    });

    it('answers 404 to the attempts of an unknown endpoint', async () => {
      const response = await rawRequest(stack, 'GET', `/v1/webhook_endpoints/${unknown}/attempts`, { headers: { authorization: `Bearer ${stack.secretKey}` } });
      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({ code: 'resource_missing' });
    });

    it('rejects an unknown list cursor', async () => {
      await expectInvalid(stripe.webhookEndpoints.list({ starting_after: unknown }), 'starting_after', 'resource_missing');
    });
  });
});
