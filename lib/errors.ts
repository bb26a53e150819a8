/**
 * One error hierarchy for the whole service. Each error carries a stable snake_case code and the
 * HTTP status Stripe would answer with; lib/http/errors.ts maps them to Stripe's error object.
 */

export type StripeErrorType = 'invalid_request_error' | 'api_error' | 'idempotency_error';

export abstract class MeterlineError extends Error {
  abstract readonly status: number;
  abstract readonly type: StripeErrorType;
  constructor(
    message: string,
    readonly code: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: 400, names the parameter. Nothing has been written when it is thrown. */
export class InvalidRequestError extends MeterlineError {
  readonly status = 400;
  readonly type = 'invalid_request_error' as const;
  constructor(message: string, param?: string, code = 'parameter_invalid') {
    super(message, code, param);
  }
}

/** A required parameter is absent. */
export class MissingParameterError extends InvalidRequestError {
  constructor(param: string) {
    super(`Missing required param: ${param}.`, param, 'parameter_missing');
  }
}

export class UnknownParameterError extends InvalidRequestError {
  constructor(param: string) {
    super(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
  }
}

/**
 * A missing object. As in Stripe: 404 when it is the object the URL names (`param` 'id'), 400
 * when a request parameter refers to it (`items[0][price]`, `customer`).
 */
export class NotFoundError extends MeterlineError {
  readonly status: 400 | 404;
  readonly type = 'invalid_request_error' as const;
  constructor(kind: string, id: string, param = 'id') {
    super(`No such ${kind}: '${id}'`, 'resource_missing', param);
    this.status = param === 'id' ? 404 : 400;
  }
}

/** A route that does not exist. */
export class UnknownRouteError extends MeterlineError {
  readonly status = 404;
  readonly type = 'invalid_request_error' as const;
  constructor(method: string, path: string) {
    super(`Unrecognized request URL (${method}: ${path}).`, 'url_invalid');
  }
}

export class AuthenticationError extends MeterlineError {
  readonly status = 401;
  readonly type = 'invalid_request_error' as const;
  constructor(message: string, code = 'api_key_invalid') {
    super(message, code);
  }
}

export class PermissionError extends MeterlineError {
  readonly status = 403;
  readonly type = 'invalid_request_error' as const;
  constructor(message: string) {
    super(message, 'secret_key_required');
  }
}

/** The request conflicts with the object's current state (e.g. a unique name already taken). */
export class ConflictError extends InvalidRequestError {
  constructor(message: string, param: string, code = 'resource_already_exists') {
    super(message, param, code);
  }
}

export class IdempotencyError extends MeterlineError {
  readonly type = 'idempotency_error' as const;
  constructor(
    message: string,
    readonly status: 400 | 409 = 400,
  ) {
    super(message, status === 409 ? 'idempotency_key_in_use' : 'idempotency_error');
  }
}

/** Something on our side failed; the client may retry. Details are logged, never returned. */
export class ServiceUnavailableError extends MeterlineError {
  readonly status = 503;
  readonly type = 'api_error' as const;
  constructor(message: string) {
    super(message, 'service_unavailable');
  }
}
