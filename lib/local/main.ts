import { startLocalStack } from './stack';

/**
 * `npm start`: the local stack on PORT (default 4242) with data persisted under
 * .meterline/dynamodb. METERLINE_API_KEY is registered as a secret key, or one is created.
 */
async function main() {
  const port = Number(process.env.PORT ?? 4242);
  const stack = await startLocalStack({ port, dataDir: process.env.METERLINE_DATA_DIR ?? '.meterline/dynamodb' });
  const { apiKeys, nowMs } = stack.services;
  const now = Math.floor(nowMs() / 1000);
  const given = process.env.METERLINE_API_KEY;
  const { secret } = await apiKeys.create({ type: 'secret', name: 'local', livemode: given?.startsWith('sk_live_') ?? false, now, secret: given });
  console.log(`Meterline is listening on ${stack.url}`);
  console.log(given ? 'API key: METERLINE_API_KEY' : `API key (created; set METERLINE_API_KEY to choose one): ${secret}`);
  console.log(`Try: curl ${stack.url}/v1/customers -u ${given ? '$METERLINE_API_KEY' : secret}:`);
  console.log(
    `Keys: npm run keys -- list --endpoint ${stack.dynamoEndpoint} --table ${stack.services.config.mainTableName}`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining the meter-events queue, then stopping...`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
