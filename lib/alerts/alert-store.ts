import { listVersionCondition, versionCondition, type TransactItem } from '../store/dynamo';
import type { CreditAlertRule, UsageAlertRule } from '../domain/alerts';
import type { Key } from '../store/keys';
import { objectItem, type ObjectStore } from '../store/objects';
import type { StoredAlert } from './model';

/** A meter's usage alert list entry: an active or inactive (not archived) usage alert. */
export interface UsageListEntry extends UsageAlertRule {
  active: boolean;
}

/** A versioned list of alerts (a meter's usage alerts, a customer's credit alerts); version 0 when the item does not exist. */
export interface AlertList<E> {
  version: number;
  entries: E[];
}

interface RawUsageEntry {
  id: string;
  gte: number;
  customer: string | null;
  created_ms: number;
  /** [from, to or null] per pause. */
  pauses?: [number, number | null][];
  active: boolean;
  /** The alert's dimension filters, if any. */
  dimensions?: Record<string, string>;
}

interface RawCreditEntry {
  id: string;
  currency: string;
  lte: number;
  created_ms: number;
  active: boolean;
  triggered: boolean;
}

const toUsageEntry = (raw: RawUsageEntry): UsageListEntry => ({
  id: raw.id,
  gte: Number(raw.gte),
  customer: raw.customer ?? null,
  createdMs: Number(raw.created_ms),
  pauses: (raw.pauses ?? []).map(([from, to]) => ({ fromMs: Number(from), toMs: to === null ? null : Number(to) })),
  active: raw.active === true,
  ...(raw.dimensions ? { dimensions: raw.dimensions } : {}),
});
const fromUsageEntry = (e: UsageListEntry): RawUsageEntry => ({
  id: e.id,
  gte: e.gte,
  customer: e.customer,
  created_ms: e.createdMs,
  pauses: e.pauses.map((p) => [p.fromMs, p.toMs]),
  active: e.active,
  ...(e.dimensions ? { dimensions: { ...e.dimensions } } : {}),
});
const toCreditEntry = (raw: RawCreditEntry): CreditAlertRule => ({
  id: raw.id,
  currency: raw.currency,
  lte: Number(raw.lte),
  createdMs: Number(raw.created_ms),
  active: raw.active === true,
  triggered: raw.triggered === true,
});
const fromCreditEntry = (e: CreditAlertRule): RawCreditEntry => ({
  id: e.id,
  currency: e.currency,
  lte: e.lte,
  created_ms: e.createdMs,
  active: e.active,
  triggered: e.triggered,
});

/**
 * Alerts in the main table: the alert objects (listed by kind, usage alerts also by meter), and
 * two versioned lists that the hot paths read instead of querying alerts: each meter's
 * non-archived usage alerts (read by the meter-events consumer) and each customer's credit
 * balance alerts with their trigger state (read by every ledger change of the customer). Every
 * change of an alert writes its list in the same transaction, on condition of the version read.
 */
export class AlertStore {
  constructor(readonly objects: ObjectStore) {}

  get tableName(): string {
    return this.objects.tableName;
  }

  async get(id: string, consistent = true): Promise<StoredAlert | undefined> {
    const item = await this.objects.getItem(this.objects.keys.object('alert', id), consistent);
    return item ? storedAlertOf(item) : undefined;
  }

  /** Alerts by id (consistent; repeated ids are read once). */
  async getMany(ids: readonly string[]): Promise<StoredAlert[]> {
    const items = await this.objects.getItems([...new Set(ids)].map((id) => this.objects.keys.object('alert', id)), true);
    return items.map(storedAlertOf);
  }

  /** The usage alert lists of `meterIds` (consistent reads, one BatchGetItem per 100 meters); meters without alerts are absent. */
  async usageLists(meterIds: readonly string[]): Promise<Map<string, AlertList<UsageListEntry>>> {
    const lists = new Map<string, AlertList<UsageListEntry>>();
    if (!meterIds.length) return lists;
    const items = await this.objects.getItems(meterIds.map((id) => this.objects.keys.meterUsageAlerts(id)), true);
    for (const item of items) {
      lists.set(String(item.meter), { version: Number(item.version), entries: ((item.alerts ?? []) as RawUsageEntry[]).map(toUsageEntry) });
    }
    return lists;
  }

  async usageList(meterId: string): Promise<AlertList<UsageListEntry>> {
    return (await this.usageLists([meterId])).get(meterId) ?? { version: 0, entries: [] };
  }

  async creditList(customerId: string): Promise<AlertList<CreditAlertRule>> {
    const item = await this.objects.getItem(this.objects.keys.customerCreditAlerts(customerId), true);
    return item ? { version: Number(item.version), entries: ((item.alerts ?? []) as RawCreditEntry[]).map(toCreditEntry) } : { version: 0, entries: [] };
  }

  /** Writes an alert on condition that its version is still `expected` (null: that it does not exist yet). */
  alertPut(stored: StoredAlert, expected: number | null): TransactItem {
    const { alert } = stored;
    const meter = alert.usage_threshold?.meter;
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...objectItem('alert', alert, meter ? { name: 'meter', value: meter } : undefined),
          created_ms: stored.createdMs,
          version: stored.version,
        },
        ...versionCondition(expected),
      },
    };
  }

  /** Replaces a meter's usage alert list, on condition of the version read. */
  usageListPut(meterId: string, list: AlertList<UsageListEntry>): TransactItem {
    return this.listPut(this.objects.keys.meterUsageAlerts(meterId), { meter: meterId }, list.entries.map(fromUsageEntry), list.version);
  }

  /** Replaces a customer's credit alert list, on condition of the version read. */
  creditListPut(customerId: string, list: AlertList<CreditAlertRule>): TransactItem {
    return this.listPut(this.objects.keys.customerCreditAlerts(customerId), { customer: customerId }, list.entries.map(fromCreditEntry), list.version);
  }

  /** A ConditionCheck that a customer's credit alert list is still at the version read (absent for version 0). */
  creditListUnchanged(customerId: string, version: number): TransactItem {
    return this.listUnchanged(this.objects.keys.customerCreditAlerts(customerId), version);
  }

  /** A ConditionCheck that a meter's usage alert list is still at the version read. */
  usageListUnchanged(meterId: string, version: number): TransactItem {
    return this.listUnchanged(this.objects.keys.meterUsageAlerts(meterId), version);
  }

  private listUnchanged(key: Key, version: number): TransactItem {
    return { ConditionCheck: { TableName: this.tableName, Key: key, ...listVersionCondition(version) } };
  }

  private listPut(key: Key, owner: Record<string, string>, alerts: unknown[], readVersion: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...key, ...owner, alerts, version: readVersion + 1 },
        ...listVersionCondition(readVersion),
      },
    };
  }
}

function storedAlertOf(item: Record<string, unknown>): StoredAlert {
  return { alert: item.object as StoredAlert['alert'], createdMs: Number(item.created_ms), version: Number(item.version) };
}
