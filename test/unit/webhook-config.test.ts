import { describe, expect, it } from 'vitest';
import { loadConfig, webhookFirstRetrySeconds } from '../../lib/config';
import { mainTable, usageTable, webhookDeliveriesQueue, webhookDelivery } from '../../lib/store/resources';

const base = { [mainTable.envVar]: 'main', [usageTable.envVar]: 'usage' };

describe('webhook configuration', () => {
  it('retries first after 30 s unless told otherwise', () => {
    expect(webhookFirstRetrySeconds({})).toBe(30);
    expect(webhookFirstRetrySeconds({ [webhookDelivery.firstRetryEnvVar]: '' })).toBe(30);
    expect(webhookFirstRetrySeconds({ [webhookDelivery.firstRetryEnvVar]: '1' })).toBe(1);
    expect(webhookFirstRetrySeconds({ [webhookDelivery.firstRetryEnvVar]: '60' })).toBe(60);
  });

  it.each(['0', '61', '1.5', '-3', 'soon'])('fails loudly for a first retry of %s', (raw) => {
    expect(() => webhookFirstRetrySeconds({ [webhookDelivery.firstRetryEnvVar]: raw })).toThrow(/METERLINE_WEBHOOK_FIRST_RETRY_SECONDS must be a whole number of seconds from 1 to 60/);
  });

  it('requires the deliveries queue URL where the dispatcher runs, and only there', () => {
    expect(() => loadConfig(base, { queue: false, webhooks: true })).toThrow(webhookDeliveriesQueue.envVar);
    expect(loadConfig({ ...base, [webhookDeliveriesQueue.envVar]: 'https://sqs/q' }, { queue: false, webhooks: true }).webhookDeliveriesQueueUrl).toBe('https://sqs/q');
    expect(loadConfig(base, { queue: false }).webhookDeliveriesQueueUrl).toBeUndefined();
  });

  it('requires every endpoint to be publicly reachable where deployed, whatever the environment says', () => {
    expect(loadConfig(base, { queue: false }).webhookPrivateTestUrls).toBe(false);
  });
});
