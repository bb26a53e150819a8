import { graceSeconds } from '../config';
import { billingSchedule, invoiceGrace } from '../store/resources';
import { DataVersionError } from './bootstrap';
import { startLocalStack } from './stack';

const SCHEDULE_ENV = 'METERLINE_BILLING_SCHEDULE_SECONDS';

/** Seconds between billing scheduler runs: METERLINE_BILLING_SCHEDULE_SECONDS, 0 to turn it off. */
function scheduleSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env[SCHEDULE_ENV];
  if (raw === undefined || raw === '') return billingSchedule.defaultRateMinutes * 60;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`${SCHEDULE_ENV} must be a number of seconds, 0 or more (0 turns the schedule off), got '${raw}'.`);
  }
  return seconds;
}

/**
 * `npm start`: the local stack on PORT (default 4242) with data persisted under
 * .meterline/dynamodb. METERLINE_API_KEY is registered as a secret key, or one is created. The
 * billing scheduler runs at start and every METERLINE_BILLING_SCHEDULE_SECONDS (default 5 min).
 */
async function main() {
  const port = Number(process.env.PORT ?? 4242);
  const schedule = scheduleSeconds(process.env);
  const grace = graceSeconds(process.env);
  const stack = await startLocalStack({
    port,
    dataDir: process.env.METERLINE_DATA_DIR ?? '.meterline/dynamodb',
    schedulerIntervalMs: schedule * 1000,
    invoiceGraceSeconds: grace,
  });
  const { apiKeys, nowMs } = stack.services;
  const now = Math.floor(nowMs() / 1000);
  const given = process.env.METERLINE_API_KEY;
  const { secret } = await apiKeys.create({ type: 'secret', name: 'local', livemode: given?.startsWith('sk_live_') ?? false, now, secret: given });
  if (stack.recovered) console.log(`Recovered ${stack.recovered} meter-event message(s) acknowledged before the last stop and not yet counted.`);
  console.log(`Meterline is listening on ${stack.url}`);
  console.log(`Console: ${stack.url}/ (sign in with the API key below)`);
  console.log(given ? 'API key: METERLINE_API_KEY' : `API key (created; set METERLINE_API_KEY to choose one): ${secret}`);
  console.log(`Try: curl ${stack.url}/v1/customers -u ${given ? '$METERLINE_API_KEY' : secret}:`);
  console.log(
    `Keys: npm run keys -- list --endpoint ${stack.dynamoEndpoint} --table ${stack.services.config.mainTableName}`,
  );
  console.log(
    `Billing: scheduler ${schedule > 0 ? `every ${schedule} s` : 'off'} (${SCHEDULE_ENV}), ` +
      `invoice grace ${grace} s (${invoiceGrace.envVar})`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining the meter-events and billing-jobs queues, then stopping...`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  // Data this version cannot read is the user's to move: say what to do, without a stack trace.
  console.error(error instanceof DataVersionError ? `Meterline cannot start: ${error.message}` : error);
  process.exit(1);
});
