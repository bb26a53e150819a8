import { eventPut, previousAttributes } from '../events/events';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors';
import { newId } from '../domain/ids';
import { objectItem, type ListPage, type ObjectStore, type ListFilter, type PageQuery } from '../store/objects';

export type Formula = 'sum' | 'count' | 'last';
export const formulas: readonly Formula[] = ['sum', 'count', 'last'];

export interface Meter {
  id: string;
  object: 'billing.meter';
  created: number;
  updated: number;
  display_name: string;
  event_name: string;
  event_time_window: 'day' | 'hour' | null;
  customer_mapping: { event_payload_key: string; type: 'by_id' };
  default_aggregation: { formula: Formula };
  value_settings: { event_payload_key: string };
  /**
   * Payload keys whose values break usage down (model, token type, region): Stripe's preview
   * field. Absent on meters created before dimensions existed, which have none.
   */
  dimension_payload_keys?: string[];
  status: 'active' | 'inactive';
  status_transitions: { deactivated_at: number | null };
  livemode: boolean;
}

export const METER_STATUSES: readonly Meter['status'][] = ['active', 'inactive'];
export const EVENT_TIME_WINDOWS = ['day', 'hour'] as const;

/** The meter's dimension keys (none for meters created before dimensions existed). */
export const dimensionKeysOf = (meter: Pick<Meter, 'dimension_payload_keys'>): readonly string[] => meter.dimension_payload_keys ?? [];

/** Refuses `key` (a filter, group-by key or price condition) unless it is a dimension of the meter, naming `param`. */
export function checkDimensionKey(meter: Pick<Meter, 'id' | 'dimension_payload_keys'>, key: string, param: string): void {
  const keys = dimensionKeysOf(meter);
  if (keys.includes(key)) return;
  const known = keys.length ? `its dimensions: ${keys.join(', ')}` : 'it has none';
  throw new InvalidRequestError(`'${key}' is not a dimension of meter ${meter.id} (${known}).`, param);
}

/** POST /v1/billing/meters. */
export interface CreateMeterCommand {
  display_name: string;
  event_name: string;
  default_aggregation: { formula: Formula };
  customer_mapping?: { event_payload_key: string; type: 'by_id' };
  value_settings?: { event_payload_key: string };
  event_time_window?: (typeof EVENT_TIME_WINDOWS)[number];
  dimension_payload_keys?: string[];
}

/** POST /v1/billing/meters/:id. */
export interface UpdateMeterCommand {
  display_name?: string;
}

/** GET /v1/billing/meters. */
export interface ListMetersCommand {
  page: PageQuery;
  status?: Meter['status'];
}

function statusFilter(meter: Meter): ListFilter {
  return { name: 'status', value: meter.status };
}

/** Meters: how meter events with one event_name aggregate into usage. */
export class Meters {
  constructor(private readonly store: ObjectStore) {}

  /** POST /v1/billing/meters: the meter and its event name's claim, in one transaction. */
  async create(command: CreateMeterCommand, now: number, livemode: boolean): Promise<Meter> {
    const { display_name: displayName, event_name: eventName, event_time_window: window } = command;
    const { formula } = command.default_aggregation;
    const customerKey = command.customer_mapping?.event_payload_key ?? 'stripe_customer_id';
    const valueKey = command.value_settings?.event_payload_key ?? 'value';
    if (customerKey === valueKey) {
      throw new InvalidRequestError('The customer and value payload keys must differ.', 'value_settings[event_payload_key]');
    }
    const dimensionKeys = command.dimension_payload_keys ?? [];
    dimensionKeys.forEach((key, i) => {
      const param = `dimension_payload_keys[${i}]`;
      if (key === customerKey || key === valueKey) throw new InvalidRequestError(`'${key}' is the meter's customer or value payload key; it cannot also be a dimension.`, param);
      if (dimensionKeys.indexOf(key) !== i) throw new InvalidRequestError(`'${key}' is listed twice.`, param);
    });
    const meter: Meter = {
      id: newId('meter', now * 1000),
      object: 'billing.meter',
      created: now,
      updated: now,
      display_name: displayName,
      event_name: eventName,
      event_time_window: window ?? null,
      customer_mapping: { event_payload_key: customerKey, type: 'by_id' },
      default_aggregation: { formula },
      value_settings: { event_payload_key: valueKey },
      dimension_payload_keys: dimensionKeys,
      status: 'active',
      status_transitions: { deactivated_at: null },
      livemode,
    };
    // The event name is claimed in the same transaction: one meter per event_name.
    const created = await this.store.transact([
      { Put: { TableName: this.store.tableName, Item: { ...this.store.keys.meterName(eventName), meter_id: meter.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.store.tableName, Item: objectItem('meter', meter, statusFilter(meter)), ConditionExpression: 'attribute_not_exists(pk)' } },
      this.event('billing.meter.created', meter, now),
    ]);
    if (!created) {
      throw new ConflictError(`A meter with event_name '${eventName}' already exists.`, 'event_name');
    }
    return meter;
  }

  async retrieve(id: string, param = 'id'): Promise<Meter> {
    const meter = await this.store.get<Meter>('meter', id);
    if (!meter) throw new NotFoundError('billing.meter', id, param);
    return meter;
  }

  /** The meter that owns `eventName`, if any. */
  async findByEventName(eventName: string): Promise<Meter | undefined> {
    const Item = await this.store.getItem(this.store.keys.meterName(eventName));
    return typeof Item?.meter_id === 'string' ? this.store.get<Meter>('meter', Item.meter_id) : undefined;
  }

  /** POST /v1/billing/meters/:id: only the display name changes. */
  async update(id: string, { display_name: displayName }: UpdateMeterCommand, now: number): Promise<Meter> {
    const current = await this.retrieve(id);
    if (displayName === '') throw new InvalidRequestError('display_name cannot be empty.', 'display_name');
    return this.save('billing.meter.updated', current, { ...current, display_name: displayName ?? current.display_name, updated: now }, now);
  }

  /** GET /v1/billing/meters: newest first, optionally by status (byFilter). */
  list({ page, status }: ListMetersCommand): Promise<ListPage<Meter>> {
    return this.store.list<Meter>('meter', { ...page, filter: status ? { name: 'status', value: status } : undefined });
  }

  async deactivate(id: string, now: number): Promise<Meter> {
    return this.setStatus(id, now, 'inactive');
  }

  async reactivate(id: string, now: number): Promise<Meter> {
    return this.setStatus(id, now, 'active');
  }

  private async setStatus(id: string, now: number, status: Meter['status']): Promise<Meter> {
    const current = await this.retrieve(id);
    if (current.status === status) {
      throw new InvalidRequestError(`Meter ${id} is already ${status}.`, undefined, `meter_already_${status}`);
    }
    const deactivatedAt = status === 'inactive' ? now : null;
    const type = status === 'inactive' ? 'billing.meter.deactivated' : 'billing.meter.reactivated';
    return this.save(type, current, { ...current, status, status_transitions: { deactivated_at: deactivatedAt }, updated: now }, now);
  }

  private async save(type: string, current: Meter, meter: Meter, now: number): Promise<Meter> {
    const event = this.event(type, meter, now, previousAttributes(current, meter));
    if (!(await this.store.replace('meter', meter, statusFilter(meter), undefined, [event]))) throw new NotFoundError('billing.meter', meter.id);
    return meter;
  }

  private event(type: string, meter: Meter, now: number, previous?: Record<string, unknown>) {
    return eventPut(this.store.tableName, { type, object: meter, created: now, previous, nowMs: now * 1000 });
  }
}
