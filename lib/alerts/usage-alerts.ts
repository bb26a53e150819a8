import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContributionPlan, ReceivedEvent, UsageContributor } from '../metering/usage-contributor';
import {
  addUsage,
  appliesTo,
  counts,
  countedBeforeCancel,
  ITEMS_PER_ALERT_CUSTOMER,
  ITEMS_PER_ALERTED_METER,
  lastValueFires,
  type UsageAlertRule,
} from '../domain/alerts';
import { Quantity } from '../domain/quantity';
import { eventPut } from '../events/events';
import { batchGetItems, cancellationReasons, exactNumber } from '../store/dynamo';
import type { Claim, TransactItem } from '../metering/usage-store';
import type { AlertStore } from './alert-store';
import type { AlertTriggered, StoredAlert } from './model';

type AlertLists = ReadonlyMap<string, { version: number; rules: UsageAlertRule[] }>;

/** The active usage alerts of the meters of a batch, as read when the batch was planned. */
export interface UsageAlertSnapshot extends ContributionPlan {
  /** Meter -> its alert list's version and active rules; meters without active alerts are absent. */
  readonly meters: AlertLists;
}

/**
 * The snapshot of `meters`, with what the chunk planner asks of it: per chunk, one item per
 * alerted meter and two per (alert, customer) it may touch; chunks that touch the same
 * (alert, customer) progress apply one after the other.
 */
export function alertSnapshot(meters: AlertLists): UsageAlertSnapshot {
  return {
    meters,
    reserve(meterId, customerId, seen, dryRun = false) {
      const rules = meters.get(meterId)?.rules;
      if (!rules) return 0;
      let items = 0;
      const add = (key: string, n: number) => {
        if (seen.has(key)) return;
        items += n;
        if (!dryRun) seen.add(key);
      };
      add(`meter|${meterId}`, ITEMS_PER_ALERTED_METER);
      for (const rule of rules) if (appliesTo(rule, customerId)) add(`pair|${rule.id}|${customerId}`, ITEMS_PER_ALERT_CUSTOMER);
      return items;
    },
    sharedKeys(meterId, customerId) {
      return (meters.get(meterId)?.rules ?? []).filter((rule) => appliesTo(rule, customerId)).map((rule) => `${rule.id}|${customerId}`);
    },
  };
}

export const NO_USAGE_ALERTS: UsageAlertSnapshot = alertSnapshot(new Map());

const LAST_ATTEMPTS = 5;

/**
 * Usage alert evaluation inside the meter-events consumer (never by polling):
 *
 * - `snapshot` reads each meter's alert list once per batch (consistent); the chunk planner
 *   reserves, per chunk, one item per alerted meter and two per (alert, customer) it may touch;
 * - `chunkWrites` turns a chunk's events into progress writes that commit in the chunk's own
 *   transaction (so they count exactly once, like the hourly items). It reads each (alert,
 *   customer) progress (eventually consistent on the first attempt, consistent on retries):
 *   a fired one is final and costs nothing more; one that this chunk does not take to `gte`
 *   gets an exact ADD on condition that the total stays below `gte` (concurrent chunks of one
 *   customer commute); one that it takes to `gte` gets the new total on condition of the
 *   version read, the `triggered` flag and the `billing.alert.triggered` event. A stale read
 *   only fails a condition, and the chunk retries with consistent reads. Each meter whose
 *   alerts are written gets a ConditionCheck that its alert list is still the version evaluated (so
 *   an alert deactivated or archived before the commit counts nothing). Only alerts of the
 *   snapshot are evaluated, so the chunk never outgrows what the planner reserved; an alert
 *   created after the snapshot was read is younger than every event of the batch anyway.
 * - `fireLast` does the same for `last` meters, whose values are levels: a counted reported
 *   value at or above `gte` fires (once: the progress item is created with the trigger).
 * - `cancelWrites` takes a cancelled sum/count event's value off the progress of the alerts that
 *   counted it and have not fired, in the cancellation's own transaction.
 */
export class UsageAlertEvaluator implements UsageContributor<UsageAlertSnapshot> {
  constructor(
    private readonly alerts: AlertStore,
    private readonly db: DynamoDBDocumentClient,
    private readonly usageTableName: string,
  ) {}

  /** The progress item of (alert, customer), in the alerts' mode. */
  private progressKey(alertId: string, customer: string) {
    return this.alerts.objects.keys.alertProgress(alertId, customer);
  }

  /** The active usage alerts of `meterIds`: one consistent BatchGetItem (per 100 meters). */
  async snapshot(meterIds: readonly string[]): Promise<UsageAlertSnapshot> {
    const lists = await this.alerts.usageLists([...new Set(meterIds)]);
    const meters = new Map<string, { version: number; rules: UsageAlertRule[] }>();
    for (const [meter, list] of lists) {
      const rules = list.entries.filter((entry) => entry.active).map(({ active: _, ...rule }) => rule);
      if (rules.length) meters.set(meter, { version: list.version, rules });
    }
    return alertSnapshot(meters);
  }

  /**
   * The alert writes of one sum/count chunk. `reread`: read the alert lists again (a retry after
   * a conflict) instead of trusting the snapshot. Triggered progress is final and costs nothing.
   */
  async chunkWrites(snapshot: UsageAlertSnapshot, events: readonly ReceivedEvent[], nowMs: number, reread: boolean): Promise<TransactItem[]> {
    const chunkMeters = [...new Set(events.map((e) => e.event.meterId))].filter((m) => snapshot.meters.has(m));
    if (!chunkMeters.length) return [];
    const current = reread ? await this.current(snapshot, chunkMeters) : snapshot;

    // Usage each (alert, customer) counts in this chunk.
    const deltas = new Map<string, { rule: UsageAlertRule; meter: string; customer: string; delta: Quantity }>();
    for (const { event, receivedMs } of events) {
      for (const rule of current.meters.get(event.meterId)?.rules ?? []) {
        if (!counts(rule, event.customerId, receivedMs, event.dimensions)) continue;
        const key = `${rule.id}|${event.customerId}`;
        const entry = deltas.get(key) ?? { rule, meter: event.meterId, customer: event.customerId, delta: new Quantity(0) };
        entry.delta = entry.delta.plus(event.value);
        deltas.set(key, entry);
      }
    }
    const pairs = [...deltas.values()].filter((p) => !p.delta.isZero());
    if (!pairs.length) return [];

    const writes: TransactItem[] = [];
    const checkedMeters = new Set<string>();
    const firing: { pair: (typeof pairs)[number]; total: string }[] = [];
    // The progress read decides how each total is written; the writes' conditions keep it exact
    // whatever the read saw, so the first attempt reads eventually consistent (half the price).
    const progress = await this.progressOf(pairs, reread);
    for (const pair of pairs) {
      const read = progress.get(`${pair.rule.id}|${pair.customer}`);
      if (read?.triggered) continue; // Fired already (a fired alert never unfires): nothing more to count.
      const next = addUsage(read?.total ?? '0', pair.delta.toFixed(), pair.rule.gte, false);
      checkedMeters.add(pair.meter);
      if (!next.fires) {
        // Commutative add, on condition that it still does not reach gte: concurrent chunks of one customer do not fail each other.
        writes.push(this.progressAdd(pair.rule.id, pair.customer, pair.delta, pair.rule.gte));
      } else {
        writes.push(this.progressPut(pair.rule.id, pair.customer, next.total, nowMs, read?.version ?? 0));
        firing.push({ pair, total: next.total });
      }
    }
    for (const meter of checkedMeters) writes.push(this.alerts.usageListUnchanged(meter, current.meters.get(meter)!.version));
    if (firing.length) {
      const alerts = new Map((await this.alerts.getMany(firing.map((f) => f.pair.rule.id))).map((s) => [s.alert.id, s]));
      for (const { pair, total } of firing) writes.push(this.triggeredEvent(alerts.get(pair.rule.id), pair.customer, total, nowMs));
    }
    return writes;
  }

  /**
   * Fires the alerts of `last` meters that a counted reported value reaches. Each fires in its
   * own transaction that creates its progress item (only once: a replay finds it) on condition
   * that its meter's alert list is still the version read.
   */
  async fireLast(snapshot: UsageAlertSnapshot, events: readonly ReceivedEvent[], nowMs: number): Promise<void> {
    const meters = [...new Set(events.map((e) => e.event.meterId))].filter((m) => snapshot.meters.has(m));
    if (!meters.length) return;
    for (let attempt = 0; ; attempt++) {
      const current = await this.current(snapshot, meters);
      // The highest counted value per (alert, customer).
      const best = new Map<string, { rule: UsageAlertRule; meter: string; customer: string; value: string }>();
      for (const { event, receivedMs } of events) {
        for (const rule of current.meters.get(event.meterId)?.rules ?? []) {
          if (!counts(rule, event.customerId, receivedMs, event.dimensions) || !lastValueFires(event.value, rule.gte)) continue;
          const key = `${rule.id}|${event.customerId}`;
          const held = best.get(key);
          if (!held || new Quantity(event.value).gt(held.value)) best.set(key, { rule, meter: event.meterId, customer: event.customerId, value: event.value });
        }
      }
      if (!best.size) return;
      const alerts = new Map((await this.alerts.getMany([...new Set([...best.values()].map((b) => b.rule.id))])).map((s) => [s.alert.id, s]));
      let stale = false;
      for (const { rule, meter, customer, value } of best.values()) {
        try {
          await this.db.send(
            new TransactWriteCommand({
              TransactItems: [
                this.progressPut(rule.id, customer, value, nowMs, 0),
                this.alerts.usageListUnchanged(meter, current.meters.get(meter)!.version),
                this.triggeredEvent(alerts.get(rule.id), customer, value, nowMs),
              ],
            }),
          );
        } catch (error) {
          const reasons = cancellationReasons(error);
          if (!reasons) throw error;
          // Fired before (the progress item exists): done. The alert list changed: evaluate again.
          if (reasons[0] !== 'ConditionalCheckFailed') stale = true;
        }
      }
      if (!stale) return;
      if (attempt >= LAST_ATTEMPTS) throw new Error('usage alerts of a last meter kept changing');
    }
  }

  /**
   * The alert writes of cancelling an applied sum/count event, for the cancellation's transaction:
   * its value comes off the progress of each alert that counted it (see countedBeforeCancel;
   * deactivated alerts too, so that the total they come back to is right) and has not fired (a
   * fired alert never unfires), with a check that the meter's alert list is still the version
   * read. Progress that does not exist counted nothing.
   */
  async cancelWrites(claim: Claim): Promise<TransactItem[]> {
    const list = await this.alerts.usageList(claim.meterId);
    const rules = list.entries.filter((rule) => countedBeforeCancel(rule, claim.customerId, claim.receivedMs, claim.claimedMs, claim.dimensions));
    if (!rules.length) return [];
    const progress = await this.progressOf(rules.map((rule) => ({ rule, customer: claim.customerId })), true);
    const delta = new Quantity(claim.value).negated();
    const writes = rules
      .filter((rule) => progress.get(`${rule.id}|${claim.customerId}`)?.triggered === false)
      .map((rule) => this.progressAdd(rule.id, claim.customerId, delta, rule.gte));
    return writes.length ? [...writes, this.alerts.usageListUnchanged(claim.meterId, list.version)] : [];
  }

  /** The snapshot's rules that are still active now, with the lists' current versions. */
  private async current(snapshot: UsageAlertSnapshot, meters: readonly string[]): Promise<UsageAlertSnapshot> {
    const fresh = await this.snapshot(meters);
    const result = new Map<string, { version: number; rules: UsageAlertRule[] }>();
    for (const meter of meters) {
      const planned = new Set(snapshot.meters.get(meter)?.rules.map((r) => r.id));
      const now = fresh.meters.get(meter);
      const rules = now?.rules.filter((r) => planned.has(r.id)) ?? [];
      // An alert list whose active alerts all went away still has a version to check.
      result.set(meter, { version: now?.version ?? (await this.alerts.usageList(meter)).version, rules });
    }
    return alertSnapshot(result);
  }

  private async progressOf(pairs: readonly { rule: UsageAlertRule; customer: string }[], consistent: boolean) {
    const items = await batchGetItems(this.db, this.usageTableName, pairs.map((p) => this.progressKey(p.rule.id, p.customer)), consistent);
    return new Map(
      items.map((item) => [
        `${String(item.alert)}|${String(item.customer)}`,
        { total: String(item.total), triggered: item.triggered_ms !== undefined, version: Number(item.version) },
      ]),
    );
  }

  /**
   * Adds `delta` to the progress of (alert, customer) on condition that the total stays below
   * `gte` (or the alert fired already: counting on is harmless); the version moves too, so a
   * versioned write planned on an older read fails. When the add would reach `gte` the
   * condition fails, and the chunk's next attempt reads again and fires.
   */
  private progressAdd(alertId: string, customer: string, delta: Quantity, gte: number): TransactItem {
    const below = new Quantity(gte).minus(delta);
    const condition = delta.isNegative() || delta.isZero()
      ? undefined
      : delta.lt(gte)
        ? 'attribute_exists(triggered_ms) OR attribute_not_exists(#t) OR #t < :below'
        : 'attribute_exists(triggered_ms) OR #t < :below';
    return {
      Update: {
        TableName: this.usageTableName,
        Key: this.progressKey(alertId, customer),
        UpdateExpression: 'SET alert = :a, customer = :c ADD #t :d, version :one',
        ExpressionAttributeNames: { '#t': 'total' },
        ExpressionAttributeValues: {
          ':a': alertId,
          ':c': customer,
          ':d': exactNumber(delta.toFixed()),
          ':one': 1,
          ...(condition ? { ':below': exactNumber(below.toFixed()) } : {}),
        },
        ...(condition ? { ConditionExpression: condition } : {}),
      },
    };
  }

  /** The progress item of (alert, customer), on condition of the version read (0: that it does not exist). */
  private progressPut(alertId: string, customer: string, total: string, triggeredMs: number | undefined, readVersion: number): TransactItem {
    return {
      Put: {
        TableName: this.usageTableName,
        Item: {
          ...this.progressKey(alertId, customer),
          alert: alertId,
          customer,
          total: exactNumber(total),
          version: readVersion + 1,
          ...(triggeredMs === undefined ? {} : { triggered_ms: triggeredMs }),
        },
        ...(readVersion === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': readVersion } }),
      },
    };
  }

  private triggeredEvent(stored: StoredAlert | undefined, customer: string, value: string, nowMs: number): TransactItem {
    if (!stored) throw new Error('a firing alert is missing');
    const created = Math.floor(nowMs / 1000);
    const triggered: AlertTriggered = {
      object: 'billing.alert_triggered',
      alert: stored.alert,
      created,
      customer,
      livemode: stored.alert.livemode,
      value: new Quantity(value).toNumber(),
    };
    return eventPut(this.alerts.tableName, { type: 'billing.alert.triggered', object: triggered, created, nowMs });
  }
}
