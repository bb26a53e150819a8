import { eventPut, previousAttributes } from '../events/events';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors';
import { newId } from '../domain/ids';
import type { Params } from '../http/params';
import { objectItem, type ObjectStore, type ListFilter } from '../store/objects';

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
  status: 'active' | 'inactive';
  status_transitions: { deactivated_at: number | null };
  livemode: boolean;
}

const PAYLOAD_KEY = { maxLength: 100, pattern: /^[A-Za-z0-9_.-]+$/ };
const EVENT_NAME = { maxLength: 100, pattern: /^[A-Za-z0-9_.:-]+$/ };

function statusFilter(meter: Meter): ListFilter {
  return { name: 'status', value: meter.status };
}

/** Meters: how meter events with one event_name aggregate into usage. */
export class Meters {
  constructor(private readonly store: ObjectStore) {}

  async create(params: Params, now: number, livemode: boolean): Promise<Meter> {
    const displayName = params.string('display_name', { maxLength: 250 });
    const eventName = params.string('event_name', EVENT_NAME);
    const aggregation = params.object('default_aggregation');
    const formula = aggregation.string('formula', { oneOf: formulas }) as Formula;
    aggregation.done();
    const mapping = params.optionalObject('customer_mapping');
    const customerKey = mapping?.string('event_payload_key', PAYLOAD_KEY) ?? 'stripe_customer_id';
    mapping?.string('type', { oneOf: ['by_id'] });
    mapping?.done();
    const valueSettings = params.optionalObject('value_settings');
    const valueKey = valueSettings?.string('event_payload_key', PAYLOAD_KEY) ?? 'value';
    valueSettings?.done();
    const window = params.optionalString('event_time_window', { oneOf: ['day', 'hour'] }) as Meter['event_time_window'] | undefined;
    params.done();
    if (customerKey === valueKey) {
      throw new InvalidRequestError('The customer and value payload keys must differ.', 'value_settings[event_payload_key]');
    }
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

  async update(id: string, params: Params, now: number): Promise<Meter> {
    const displayName = params.optionalString('display_name', { maxLength: 250 });
    params.done();
    const current = await this.retrieve(id);
    if (displayName === '') throw new InvalidRequestError('display_name cannot be empty.', 'display_name');
    return this.save('billing.meter.updated', current, { ...current, display_name: displayName ?? current.display_name, updated: now }, now);
  }

  async deactivate(id: string, params: Params, now: number): Promise<Meter> {
    return this.setStatus(id, params, now, 'inactive');
  }

  async reactivate(id: string, params: Params, now: number): Promise<Meter> {
    return this.setStatus(id, params, now, 'active');
  }

  private async setStatus(id: string, params: Params, now: number, status: Meter['status']): Promise<Meter> {
    params.done();
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
