import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { exactNumber, cancellationReasons, type TransactItem } from '../store/dynamo';
import { usageAttributes } from '../store/keys';
import { combinationKey } from '../domain/dimensions';
import type { Claim } from './usage-claims';
import { hourOf, minuteOf, updateLastMinute, type UsageTable } from './usage-table';

/* Taking a cancelled event's contribution back, once: the claim is flagged in the same write. */

/**
 * Cancels an applied sum or count event: flags the claim and subtracts its contribution in one
 * transaction (with `also`: what the cancellation changes elsewhere, such as usage alert
 * progress), so that a second cancel changes nothing. False when the claim or anything `also`
 * checks changed meanwhile.
 */
export async function cancelApplied(table: UsageTable, claim: Claim, nowSeconds: number, also: readonly TransactItem[] = []): Promise<boolean> {
  const minute = minuteOf(claim.timestamp);
  const delta = claim.formula === 'count' ? '-1' : `-${claim.value}`.replace(/^--/, '');
  try {
    await table.db.send(
      new TransactWriteCommand({
        TransactItems: [
          flagCancelled(table, claim, nowSeconds),
          {
            Update: {
              TableName: table.tableName,
              Key: table.keys.usageHour(claim.meterId, claim.customerId, hourOf(claim.timestamp)),
              ...subtract(claim, minute, exactNumber(delta)),
            },
          },
          ...also,
        ],
      }),
    );
    return true;
  } catch (error) {
    if (cancellationReasons(error)) return false;
    throw error;
  }
}

/**
 * Cancels a claim without touching aggregates: for claims never applied, and for `last`
 * meters, whose minute value is then cleared if this event holds it.
 */
export async function cancelUnapplied(table: UsageTable, claim: Claim, nowSeconds: number): Promise<boolean> {
  try {
    await table.db.send(new TransactWriteCommand({ TransactItems: [flagCancelled(table, claim, nowSeconds)] }));
  } catch (error) {
    if (cancellationReasons(error)) return false;
    throw error;
  }
  if (claim.formula === 'last') {
    // Only if this event still holds the minute (the meter's, and its combination's).
    const clear = { UpdateExpression: 'REMOVE #m, #t, #i', ConditionExpression: '#i = :i', ExpressionAttributeValues: { ':i': claim.identifier } };
    await updateLastMinute(table, claim, clear);
    if (claim.dimensions) await updateLastMinute(table, { ...claim, combination: combinationKey(claim.dimensions) }, clear);
  }
  return true;
}

/** The ADD that takes a contribution back from the meter's total and, with dimensions, from its combination's. */
function subtract(claim: Claim, minute: number, delta: unknown) {
  const meter = usageAttributes();
  const names: Record<string, string> = { '#h': meter.total, '#m': meter.minute(minute) };
  let expression = 'ADD #h :d, #m :d';
  if (claim.dimensions) {
    const combination = usageAttributes(combinationKey(claim.dimensions));
    Object.assign(names, { '#ch': combination.total, '#cm': combination.minute(minute) });
    expression += ', #ch :d, #cm :d';
  }
  return { UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: { ':d': delta } };
}

function flagCancelled(table: UsageTable, claim: Claim, nowSeconds: number) {
  return {
    Update: {
      TableName: table.tableName,
      Key: table.keys.eventClaim(claim.identifier),
      UpdateExpression: 'SET cancelled = :now',
      ConditionExpression: 'chunk = :chunk AND attribute_not_exists(cancelled)',
      ExpressionAttributeValues: { ':now': nowSeconds, ':chunk': claim.chunk },
    },
  };
}
