import { listParams, p, params } from '../../http/schema';

/** POST /v1/test_helpers/test_clocks. */
export const createTestClock = params({
  frozen_time: p.integer({ min: 0 }),
  name: p.optionalString({ maxLength: 300 }),
});

/** POST /v1/test_helpers/test_clocks/:id/advance. */
export const advanceTestClock = params({ frozen_time: p.integer({ min: 0 }) });

/** GET /v1/test_helpers/test_clocks. */
export const listTestClocks = listParams();
