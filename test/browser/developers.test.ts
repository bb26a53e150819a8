import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { attemptsOf, eventAbout, Receiver } from '../fixtures/webhooks';
import { nowSeconds } from '../fixtures/stripe';
import { checkAndCapture, launchChromium, SCREENSHOTS, signedIn } from './support';

/** The story's deadline: a failed delivery, its retry a second later, a resend, in a browser on a loaded machine. */
const STORY_TIMEOUT_MS = 180_000;

describe('the console\'s developer pages in a real browser', () => {
  // Retries a second after a failure (30 s by default), so that the console shows the retry within the story.
  const { stack, stripe } = useStack({ webhookFirstRetrySeconds: 1, webhookTimeoutMs: 2000 });
  let browser: Browser;
  let receiver: Receiver;
  const checked: string[] = [];

  beforeAll(async () => {
    // The first delivery fails; every later one succeeds.
    receiver = await Receiver.start((n) => (n === 1 ? 500 : 200));
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
  });

  /** Opens a console route, waits for `ready`, checks accessibility and saves a screenshot. */
  async function visit(page: Page, hash: string, ready: () => Promise<unknown>, name: string) {
    await page.goto(`${stack.url}/#${hash}`);
    await ready();
    await checkAndCapture(page, name);
    checked.push(name);
  }

  /** The rows of the delivery attempts table that hold all of `texts`. */
  const attemptRows = (page: Page, ...texts: string[]) =>
    texts.reduce((rows, text) => rows.filter({ hasText: text }), page.getByRole('table').getByRole('row'));

  /** Presses Refresh until `count` attempt rows hold all of `texts`. */
  async function refreshUntil(page: Page, count: number, ...texts: string[]) {
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          await page.waitForTimeout(300);
          return attemptRows(page, ...texts).count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(count);
  }

  it('adds an endpoint, shows a failed delivery and its retry, the event and its JSON, and resends it to a receiver that verifies it', { timeout: STORY_TIMEOUT_MS }, async () => {
    const page = await signedIn(browser, stack.url, stack.secretKey);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhook endpoints yet.').waitFor();

    // Add the endpoint from the console; its signing secret is shown this once, and the receiver verifies with it.
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Only these types').check();
    await page.getByLabel('Event types, separated by commas').fill('customer.created, customer.updated');
    await page.getByLabel('Description (optional)').fill('Local receiver');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    receiver.secret = await page.getByLabel('Signing secret').inputValue();
    expect(receiver.secret).toMatch(/^whsec_/);
    const [endpoint] = (await stripe.webhookEndpoints.list()).data;
    expect(endpoint).toMatchObject({ url: receiver.url, enabled_events: ['customer.created', 'customer.updated'], description: 'Local receiver', status: 'enabled' });
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('Signing secret').count()).toBe(0);
    await visit(page, '/webhooks', () => page.getByRole('link', { name: receiver.url }).waitFor(), 'webhooks');

    // An event: its first delivery fails (500), the retry a second later succeeds.
    const customer = await stripe.customers.create({ name: 'Grace Webhook' });
    const event = await eventAbout(stripe, 'customer.created', customer.id);
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: 'Delivery attempts' }).waitFor();
    await refreshUntil(page, 1, 'customer.created', 'failed', '500');
    await refreshUntil(page, 1, 'customer.created', 'succeeded', '200');
    await visit(page, `/webhooks/${endpoint!.id}`, () => attemptRows(page, 'succeeded').first().waitFor(), 'webhook-endpoint');
    // The failed attempt showed when the retry was due.
    const failed = (await attemptsOf(stack, endpoint!.id)).find((a) => a.status === 'failed')!;
    expect(failed).toMatchObject({ attempt: 1, http_status: 500, next_retry_at: expect.any(Number) });

    // The events list, filtered by a type pattern and today's UTC date, and the event's page with its JSON.
    await visit(page, '/events', () => page.getByRole('link', { name: 'customer.created' }).waitFor(), 'events');
    const today = new Date(nowSeconds() * 1000).toISOString().slice(0, 10);
    await page.getByLabel('Type').fill('customer.*');
    await page.getByLabel('From (UTC)').fill(today);
    await page.getByLabel('To (UTC)').fill(today);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/#\/events\?type=customer\.\*/);
    await page.getByRole('link', { name: 'customer.created' }).waitFor();
    // A type nothing has: the empty state.
    await page.getByLabel('Type').fill('invoice.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No events match these filters.').waitFor();
    await page.getByRole('link', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByLabel('Type').inputValue()).toBe('');
    await page.getByRole('link', { name: 'customer.created' }).click();
    await page.getByRole('heading', { name: 'customer.created' }).waitFor();
    await visit(page, `/events/${event.id}`, () => page.getByRole('region', { name: 'Event data' }).waitFor(), 'event');
    const json = JSON.parse((await page.getByRole('region', { name: 'Event data' }).textContent())!) as Stripe.Event;
    expect(json).toMatchObject({ id: event.id, type: 'customer.created', data: { object: { id: customer.id, name: 'Grace Webhook' } } });
    await page.getByRole('link', { name: customer.id }).click();
    await page.getByRole('heading', { name: 'Grace Webhook' }).waitFor();

    // Resend from the endpoint's page: one more attempt, which the receiver verifies with constructEvent.
    await page.goto(`${stack.url}/#/webhooks/${endpoint!.id}`);
    await attemptRows(page, 'succeeded').first().getByRole('button', { name: 'Resend' }).click();
    await page.getByText(`Resent customer.created (${event.id}).`).waitFor({ timeout: 20_000 });
    const deliveries = await receiver.waitFor(event.id, 3);
    expect(receiver.rejected).toBe(0);
    expect(deliveries.map((d) => d.event.id)).toEqual([event.id, event.id, event.id]);
    await refreshUntil(page, 1, 'Manual resend', 'succeeded', '200');
    expect(await attemptRows(page, 'customer.created').count()).toBe(3);
    await page.context().close();
  });

  it('shows a read_only key the developer pages and no action', async () => {
    const { secret } = await stack.services.apiKeys.create({ type: 'restricted', name: 'support', livemode: false, scopes: ['read_only'], now: nowSeconds() });
    const [endpoint] = (await stripe.webhookEndpoints.list()).data;
    const page = await signedIn(browser, stack.url, secret);
    await page.goto(`${stack.url}/#/webhooks`);
    await page.getByRole('link', { name: receiver.url }).waitFor();
    expect(await page.getByRole('button', { name: 'Add endpoint' }).count()).toBe(0);
    await page.goto(`${stack.url}/#/webhooks/${endpoint!.id}`);
    await attemptRows(page, 'succeeded').first().waitFor();
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Resend|Disable|Enable|Delete/ }).count()).toBe(0);
    await page.context().close();
  });

  it('disables, enables and deletes an endpoint, each confirmed; unknown ids show the API\'s error', async () => {
    const [endpoint] = (await stripe.webhookEndpoints.list()).data;
    const page = await signedIn(browser, stack.url, stack.secretKey);
    await page.goto(`${stack.url}/#/webhooks/${endpoint!.id}`);
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Yes, disable' }).click();
    await page.getByText('Enable the endpoint to resend events to it.').waitFor();
    expect(await page.getByRole('button', { name: 'Resend' }).count()).toBe(0);
    expect((await stripe.webhookEndpoints.retrieve(endpoint!.id)).status).toBe('disabled');
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Resend' }).first().waitFor();
    expect((await stripe.webhookEndpoints.retrieve(endpoint!.id)).status).toBe('enabled');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('No webhook endpoints yet.').waitFor();
    expect((await stripe.webhookEndpoints.list()).data).toEqual([]);

    await page.goto(`${stack.url}/#/webhooks/we_missing`);
    expect(await page.getByRole('alert').textContent()).toBe("No such webhook_endpoint: 'we_missing'");
    await page.goto(`${stack.url}/#/events/evt_missing`);
    expect(await page.getByRole('alert').textContent()).toBe("No such event: 'evt_missing'");
    await page.context().close();
  });

  it('checked every developer page for accessibility', () => {
    expect(checked.sort()).toEqual(['event', 'events', 'webhook-endpoint', 'webhooks']);
  });
});
