import type { Logger } from '@aws-lambda-powertools/logger';
import type { AttributeValue, DynamoDBStreamEvent } from 'aws-lambda';
import { HOUR_TOTAL_ATTRIBUTE, parseUsageHourKey, type Mode } from '../store/keys';
import { sortableSequence, type HourChange, type UsageRollupStore } from '../metering/usage-rollup';
import type { StreamHandler } from './event-fanout-handler';

export interface UsageRollupHandlerDeps {
  of(mode: Mode): { rollups: Pick<UsageRollupStore, 'apply'> };
  logger: Pick<Logger, 'debug'>;
}

const hourTotal = (image: Record<string, AttributeValue> | undefined) => image?.[HOUR_TOTAL_ATTRIBUTE]?.N;

/**
 * The changes of hourly usage items a batch of usage-table stream records carries, per mode, one
 * per item (its total before the batch and after it). Other items (claims, markers, the rollups
 * themselves) and items without an hour total (`last` meters) are left out.
 */
export function hourChangesIn(stream: DynamoDBStreamEvent): Map<Mode, HourChange[]> {
  const byItem = new Map<string, { mode: Mode; change: HourChange }>();
  for (const record of stream.Records) {
    const { Keys, NewImage, OldImage, SequenceNumber } = record.dynamodb ?? {};
    const key = parseUsageHourKey(Keys?.pk?.S, Keys?.sk?.S);
    const after = hourTotal(NewImage);
    if (!key || after === undefined || !SequenceNumber) continue;
    const id = `${Keys!.pk!.S}|${Keys!.sk!.S}`;
    const seen = byItem.get(id);
    const sequence = sortableSequence(SequenceNumber);
    if (seen) Object.assign(seen.change, { after, sequence });
    else {
      const { mode, ...where } = key;
      byItem.set(id, { mode, change: { ...where, before: hourTotal(OldImage), after, sequence } });
    }
  }
  const byMode = new Map<Mode, HourChange[]>();
  for (const { mode, change } of byItem.values()) byMode.set(mode, [...(byMode.get(mode) ?? []), change]);
  return byMode;
}

/**
 * The usage rollup as a Lambda DynamoDB-stream handler on the usage table. The event source
 * mapping passes only changes of hourly usage items (its filter); the handler checks the keys
 * again, so the local stream poller can pass everything. A failure throws: the batch is handed
 * over again, and what it already applied is skipped by sequence number.
 */
export function makeUsageRollupHandler(deps: UsageRollupHandlerDeps): StreamHandler {
  return async (stream) => {
    const changes = hourChangesIn(stream);
    for (const [mode, modeChanges] of changes) await deps.of(mode).rollups.apply(modeChanges);
    deps.logger.debug('usage rolled up', { records: stream.Records.length, hours: [...changes.values()].reduce((n, c) => n + c.length, 0) });
  };
}
