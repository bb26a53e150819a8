import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTableInput, DataVersionError, ensureTables } from '../../lib/local/bootstrap';
import { LOCAL_REGION, useLocalCredentials } from '../../lib/local/emulators';
import { startLocalStack } from '../../lib/local/stack';
import { mainTable } from '../../lib/store/resources';
import { stripeFor } from '../support/stack';

/** A local stack on the shared emulators under `prefix`, as `npm start` would keep it between runs. */
function start(prefix: string) {
  useLocalCredentials();
  return startLocalStack({ dynamoEndpoint: inject('dynamoEndpoint'), sqsEndpoint: inject('sqsEndpoint'), prefix });
}

const freshPrefix = () => `v${randomBytes(4).toString('hex')}`;

describe('local data kept between starts', () => {
  it('is read again by the next start, in its mode', async () => {
    const prefix = freshPrefix();
    const first = await start(prefix);
    const { secret } = await first.services.apiKeys.create({ type: 'secret', name: 'kept', livemode: false, now: Math.floor(Date.now() / 1000) });
    const customer = await stripeFor(first.url, secret).customers.create({ name: 'Kept' });
    await first.stop();

    const second = await start(prefix);
    try {
      await expect(stripeFor(second.url, secret).customers.retrieve(customer.id)).resolves.toMatchObject({ id: customer.id, name: 'Kept' });
    } finally {
      await second.stop();
    }
  });

  it('kept in a table made before an index existed gets the index at the next start', async () => {
    const prefix = freshPrefix();
    const dynamo = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: LOCAL_REGION });
    const name = `${prefix}-${mainTable.id}`;
    const older = { ...mainTable, indexes: mainTable.indexes.filter((index) => index.name !== 'byClock') };
    await dynamo.send(new CreateTableCommand(createTableInput(older, name)));
    await ensureTables(dynamo, prefix);
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: name }));
    expect(Table!.GlobalSecondaryIndexes!.map((index) => index.IndexName).sort()).toEqual(mainTable.indexes.map((index) => index.name).sort());
  });

  it('written before the modes had keys of their own is refused, with what to do, and left as it was', async () => {
    const prefix = freshPrefix();
    const dynamo = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: LOCAL_REGION });
    const { names } = await ensureTables(dynamo, prefix);
    const table = names[mainTable.id]!;
    // A customer as data version 1 stored it: no mode in its key, no version item.
    const old = { pk: { S: 'CUSTOMER#cus_old' }, sk: { S: 'OBJECT' }, kind_pk: { S: 'KIND#customer' }, kind_sk: { S: '1780000000#cus_old' } };
    await dynamo.send(new PutItemCommand({ TableName: table, Item: old }));

    const refusal = await start(prefix).then(
      (stack) => stack.stop().then(() => undefined),
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(DataVersionError);
    expect((refusal as Error).message).toMatch(/earlier Meterline, in which test and live mode shared their objects/);
    expect((refusal as Error).message).toMatch(/move the folder away/);
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: old.pk, sk: old.sk } }));
    expect(Item).toEqual(old);
    dynamo.destroy();
  });
});
