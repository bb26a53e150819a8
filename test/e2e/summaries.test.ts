import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import {
  customerParams,
  DAY,
  drained,
  expectInvalid,
  floorTo,
  HOUR,
  iso,
  meterParams,
  MINUTE,
  nowSeconds,
  streamClient,
  unique,
  v2Event,
  type Formula,
} from '../fixtures/stripe';

describe('meter event summaries', () => {
  const { stack, stripe } = useStack();
  let customer: Stripe.Customer;
  const meters = {} as Record<Formula, Stripe.Billing.Meter>;

  // Five events over the last three UTC days (all in the past, none older than 35 days).
  const today = floorTo(nowSeconds(), DAY);
  const dayBefore = today - 2 * DAY;
  const yesterday = today - DAY;
  const usage = [
    { at: dayBefore + 3 * HOUR + 10 * MINUTE + 5, value: '1' },
    { at: dayBefore + 3 * HOUR + 40 * MINUTE, value: '2' },
    { at: dayBefore + 5 * HOUR, value: '4' },
    { at: yesterday + HOUR + 30 * MINUTE, value: '8' },
    { at: today, value: '16' },
  ];
  const [first, second] = usage as [(typeof usage)[0], (typeof usage)[0]];
  const minuteOf = (t: number) => floorTo(t, MINUTE);
  const threeDays = { start_time: dayBefore, end_time: today + DAY };

  beforeAll(async () => {
    customer = await stripe.customers.create(customerParams());
    for (const formula of ['sum', 'count', 'last'] as const) {
      meters[formula] = await stripe.billing.meters.create(meterParams({ default_aggregation: { formula } }));
    }
    const bystander = await stripe.customers.create(customerParams());
    const stream = await streamClient(stack);
    await stream.v2.billing.meterEventStream.create({
      events: Object.values(meters).flatMap((meter) => [
        ...usage.map(({ at, value }) => v2Event(meter, customer, value, { identifier: unique('u'), timestamp: iso(at) })),
        v2Event(meter, bystander, '1000', { timestamp: iso(yesterday + 2 * HOUR) }),
      ]),
    });
    await drained(stack);
  });

  type Range = Omit<Stripe.Billing.MeterListEventSummariesParams, 'customer'>;
  const summaries = async (formula: Formula, range: Range) =>
    (await stripe.billing.meters.listEventSummaries(meters[formula].id, { customer: customer.id, ...range })).data;
  const values = async (formula: Formula, range: Range) => (await summaries(formula, range)).map((s) => s.aggregated_value);
  /** [start_time, aggregated_value] of each summary, newest first. */
  const windows = async (formula: Formula, range: Range) => (await summaries(formula, range)).map((s) => [s.start_time, s.aggregated_value]);

  describe('over a whole range', () => {
    it('returns one summary object for the range', async () => {
      const [summary, ...rest] = await summaries('sum', threeDays);
      expect(rest).toEqual([]);
      expect(summary).toMatchObject({
        object: 'billing.meter_event_summary',
        meter: meters.sum.id,
        livemode: false,
        start_time: threeDays.start_time,
        end_time: threeDays.end_time,
        aggregated_value: 31,
      });
      expect(summary!.id).toMatch(/^mtrusg_/);
    });

    it('counts events on a count meter', async () => {
      expect(await values('count', threeDays)).toEqual([5]);
    });

    it('takes the latest value on a last meter', async () => {
      expect(await values('last', threeDays)).toEqual([16]);
    });

    it('is zero for a customer without usage', async () => {
      const idle = await stripe.customers.create(customerParams());
      const page = await stripe.billing.meters.listEventSummaries(meters.sum.id, { customer: idle.id, ...threeDays });
      expect(page.data.map((s) => s.aggregated_value)).toEqual([0]);
    });
  });

  describe('over minute-aligned sub-ranges', () => {
    it('includes an event in its own minute', async () => {
      expect(await values('sum', { start_time: minuteOf(first.at), end_time: minuteOf(first.at) + MINUTE })).toEqual([1]);
    });

    it('includes the start minute and excludes the end minute', async () => {
      const range = { start_time: minuteOf(first.at), end_time: minuteOf(second.at) };
      expect(await values('sum', range)).toEqual([1]);
      expect(await values('sum', { ...range, end_time: range.end_time + MINUTE })).toEqual([3]);
      expect(await values('sum', { ...range, start_time: range.start_time + MINUTE })).toEqual([0]);
    });

    it('sums part of a day', async () => {
      expect(await values('sum', { start_time: dayBefore + 3 * HOUR, end_time: dayBefore + 6 * HOUR })).toEqual([7]);
      expect(await values('count', { start_time: dayBefore + 3 * HOUR, end_time: dayBefore + 6 * HOUR })).toEqual([3]);
    });

    it('takes the latest value within the range on a last meter', async () => {
      expect(await values('last', { start_time: minuteOf(first.at), end_time: minuteOf(second.at) + MINUTE })).toEqual([2]);
      expect(await values('last', { start_time: dayBefore, end_time: yesterday })).toEqual([4]);
    });
  });

  describe('grouped by day', () => {
    const byDay = { ...threeDays, value_grouping_window: 'day' as const };

    it('returns one summary per UTC day with usage, newest first', async () => {
      const data = await summaries('sum', byDay);
      expect(data.map((s) => [s.start_time, s.end_time, s.aggregated_value])).toEqual([
        [today, today + DAY, 16],
        [yesterday, yesterday + DAY, 8],
        [dayBefore, dayBefore + DAY, 7],
      ]);
    });

    it('applies count and last per day', async () => {
      expect(await windows('count', byDay)).toEqual([
        [today, 1],
        [yesterday, 1],
        [dayBefore, 3],
      ]);
      expect(await windows('last', byDay)).toEqual([
        [today, 16],
        [yesterday, 8],
        [dayBefore, 4],
      ]);
    });

    it('returns no summaries for days without usage', async () => {
      expect(await summaries('sum', { start_time: today - 20 * DAY, end_time: today - 10 * DAY, value_grouping_window: 'day' })).toEqual([]);
    });
  });

  describe('grouped by hour', () => {
    const byHour = { ...threeDays, value_grouping_window: 'hour' as const };
    const expected = [
      [today, 16],
      [yesterday + HOUR, 8],
      [dayBefore + 5 * HOUR, 4],
      [dayBefore + 3 * HOUR, 3],
    ];

    it('returns one summary per hour with usage, newest first', async () => {
      const data = await summaries('sum', byHour);
      expect(data.map((s) => [s.start_time, s.aggregated_value])).toEqual(expected);
      expect(data.every((s) => s.end_time === s.start_time + HOUR)).toBe(true);
    });

    it('pages hours with limit and has_more', async () => {
      const page = await stripe.billing.meters.listEventSummaries(meters.sum.id, { customer: customer.id, ...byHour, limit: 3 });
      expect(page.has_more).toBe(true);
      expect(page.data.map((s) => [s.start_time, s.aggregated_value])).toEqual(expected.slice(0, 3));
    });

    it('auto-paginates hours with for await', async () => {
      const seen: number[][] = [];
      for await (const s of stripe.billing.meters.listEventSummaries(meters.sum.id, { customer: customer.id, ...byHour, limit: 1 })) {
        seen.push([s.start_time, s.aggregated_value]);
      }
      expect(seen).toEqual(expected);
    });
  });

  describe('time bounds', () => {
    it('rejects a start_time not aligned to a minute (400, param start_time)', async () => {
      await expectInvalid(summaries('sum', { start_time: dayBefore + 30, end_time: today }), 'start_time');
    });

    it('rejects an end_time not aligned to a minute (400, param end_time)', async () => {
      await expectInvalid(summaries('sum', { start_time: dayBefore, end_time: today + 1 }), 'end_time');
    });

    it('rejects hourly grouping from a minute that is not an hour (400, param start_time)', async () => {
      await expectInvalid(summaries('sum', { start_time: dayBefore + MINUTE, end_time: today, value_grouping_window: 'hour' }), 'start_time');
    });

    it('rejects daily grouping up to an hour that is not a day (400, param end_time)', async () => {
      await expectInvalid(summaries('sum', { start_time: dayBefore, end_time: today + HOUR, value_grouping_window: 'day' }), 'end_time');
    });

    it('rejects an end_time that is not after start_time (400, param end_time)', async () => {
      await expectInvalid(summaries('sum', { start_time: today, end_time: today }), 'end_time');
    });
  });
});
