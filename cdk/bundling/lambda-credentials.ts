/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (see lambda-bundle.ts).
 *
 * Lambda hands every function its execution role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; LocalStack does the same), and the
 * SDK's default chain takes them from there, its first link. The rest of that chain (SSO, shared
 * config files, credential processes, web identity, container and instance metadata) never runs in
 * a function but is about a hundred KB of every bundle: the SSO, SSO-OIDC, STS and sign-in clients
 * it loads. Only the first link is kept. Tests and the local stack run unbundled, with the full chain.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/** The credentials Lambda puts in the function's environment; fails loudly where there are none. */
export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);
