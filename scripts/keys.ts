import { parseArgs } from 'node:util';
import { ApiKeys, scopes, type Scope } from '../lib/auth/api-keys';
import { createDocumentClient } from '../lib/store/dynamo';
import { mainTable } from '../lib/store/resources';
import { useLocalCredentials } from '../lib/local/emulators';

const usage = `Manage API keys of a Meterline stack.

  npm run keys -- create [--restricted --scope meter_events:write|read_only] [--name NAME] [--live]
  npm run keys -- list
  npm run keys -- revoke key_...

Options:
  --table NAME        the stack's main table (CloudFormation output MainTableName);
                      default: $${mainTable.envVar}
  --endpoint URL      a DynamoDB endpoint (DynamoDB Local, LocalStack); default: AWS
Credentials and region come from the usual AWS environment (AWS_PROFILE, AWS_REGION, ...).
`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      table: { type: 'string' },
      endpoint: { type: 'string' },
      name: { type: 'string', default: 'cli' },
      restricted: { type: 'boolean', default: false },
      scope: { type: 'string', multiple: true },
      live: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, arg] = positionals;
  const table = values.table ?? process.env[mainTable.envVar];
  if (values.help || !command || !table) {
    console.log(usage);
    process.exit(values.help ? 0 : 1);
  }
  const endpoint = values.endpoint ?? process.env.METERLINE_DYNAMODB_ENDPOINT;
  // An emulator (npm start, LocalStack) takes any credentials; AWS uses the environment's.
  if (endpoint) useLocalCredentials();
  const db = createDocumentClient({ endpoint });
  const apiKeys = new ApiKeys(db, table);
  const now = Math.floor(Date.now() / 1000);

  if (command === 'create') {
    const requested = (values.scope ?? []) as Scope[];
    const unknown = requested.filter((s) => !scopes.includes(s));
    if (unknown.length) throw new Error(`Unknown scope ${unknown.join(', ')}; known: ${scopes.join(', ')}`);
    const { secret, record } = await apiKeys.create({
      type: values.restricted ? 'restricted' : 'secret',
      name: values.name!,
      livemode: values.live!,
      scopes: requested,
      now,
    });
    console.log(`${record.id}  ${record.type}  ${record.scopes.join(',')}`);
    console.log(`secret (shown once): ${secret}`);
  } else if (command === 'list') {
    for (const k of await apiKeys.list()) {
      const state = k.revoked ? `revoked ${new Date(k.revoked * 1000).toISOString()}` : 'active';
      console.log(`${k.id}  ${k.type.padEnd(10)}  ...${k.last4}  ${k.name}  ${k.scopes.join(',')}  ${state}`);
    }
  } else if (command === 'revoke' && arg) {
    if (!(await apiKeys.revokeById(arg, now))) throw new Error(`No key ${arg}`);
    console.log(`${arg} revoked (running functions stop accepting it within 30 s)`);
  } else {
    console.log(usage);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
