import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { llmTokenBilling } from '../../examples/llm-tokens';

/** The README's runnable examples, run against a test stack so they stay true. */
describe('examples', () => {
  const { stripe } = useStack({ invoiceGraceSeconds: 3600 });

  it('examples/llm-tokens.ts bills six prices of one tokens meter and reports the unpriced model', async () => {
    const lines: string[] = [];
    const { invoice, unpriced, inputsByModel } = await llmTokenBilling(stripe, (line) => lines.push(line));
    expect(inputsByModel.map((s) => [(s as unknown as { dimensions: { model: string } }).dimensions.model, s.aggregated_value])).toEqual([
      ['gpt-experimental', 1234],
      ['gpt-large', 200_000],
      ['gpt-medium', 400_000],
      ['gpt-small', 2_000_000],
    ]);
    expect(unpriced).toEqual([expect.objectContaining({ dimensions: { model: 'gpt-experimental', token_type: 'input' }, quantity: 1234 })]);
    expect(invoice.lines.data.map((l) => [l.description, l.amount])).toEqual([
      ['2000000 × gpt-small input tokens (model: gpt-small, token_type: input)', 100],
      ['500000 × gpt-small output tokens (model: gpt-small, token_type: output)', 100],
      ['400000 × gpt-medium input tokens (model: gpt-medium, token_type: input)', 120],
      ['100000 × gpt-medium output tokens (model: gpt-medium, token_type: output)', 150],
      ['200000 × gpt-large input tokens (model: gpt-large, token_type: input)', 300],
      ['40000 × gpt-large output tokens (model: gpt-large, token_type: output)', 300],
    ]);
    expect(invoice).toMatchObject({ status: 'open', subtotal: 1070, amount_due: 70 });
    expect(lines.at(-1)).toBe('subtotal 1070, credits 1000, amount due 70 (open)');
  });
});
