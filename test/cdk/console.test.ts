import { App, Aspects, Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Console, consoleApiPaths } from '../../cdk/constructs/console';
import { makeConsoleAssets } from './fixtures/console-assets';

interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
  readonly DeletionPolicy?: string;
}

const API_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/';
const API_DOMAIN = 'abc123.execute-api.eu-west-1.amazonaws.com';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const logicalIdOf = (construct: IConstruct): string =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** Runs the code of a CloudFront Function (cloudfront-js-2.0) on a viewer request for `uri`. */
const routedUri = (code: string, uri: string): string => {
  const handler = new Function(`${code}; return handler;`)() as (event: unknown) => { uri: string };
  return handler({ request: { method: 'GET', uri, headers: {}, querystring: {} } }).uri;
};

// The construct alone, in front of an API given by its URL: no function bundling, a quick synth.
describe('Console', () => {
  const assets = makeConsoleAssets();
  let construct: Console;
  let template: Template;
  let annotations: Annotations;

  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'ConsoleOnly');
    construct = new Console(stack, 'Console', { api: { url: API_URL }, assetPath: assets.path });
    Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
    app.synth();
    template = Template.fromStack(stack);
    annotations = Annotations.fromStack(stack);
  });
  afterAll(() => assets.remove());

  const resource = (logicalId: string): CfnResource => {
    const found = template.toJSON().Resources[logicalId] as CfnResource | undefined;
    if (!found) throw new Error(`No resource ${logicalId} in the template`);
    return found;
  };
  const distributionConfig = () => resource(logicalIdOf(construct.distribution)).Properties.DistributionConfig;
  const behaviorFor = (pathPattern: string) => {
    const behavior = distributionConfig().CacheBehaviors.find((b: any) => b.PathPattern === pathPattern);
    if (!behavior) throw new Error(`No behavior for ${pathPattern}`);
    return behavior;
  };
  const originOf = (behavior: { TargetOriginId: string }) =>
    distributionConfig().Origins.find((o: any) => o.Id === behavior.TargetOriginId);

  describe('the bucket', () => {
    it('blocks all public access, is encrypted and refuses requests without TLS', () => {
      const bucket = resource(logicalIdOf(construct.bucket));
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalIdOf(construct.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('lets CloudFront read it for this distribution only', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalIdOf(construct.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 's3:GetObject',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'AWS:SourceArn': Match.objectLike({
                    'Fn::Join': ['', Match.arrayWith([{ Ref: logicalIdOf(construct.distribution) }])],
                  }),
                },
              },
            }),
          ]),
        },
      });
    });

    it('is deleted with the stack, emptied first (its content is rebuilt on every deploy)', () => {
      expect(resource(logicalIdOf(construct.bucket)).DeletionPolicy).toBe('Delete');
      template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    });
  });

  describe('the distribution', () => {
    it('serves the bucket through an origin access control, index.html at the root, HTTPS only', () => {
      const config = distributionConfig();
      expect(config.DefaultRootObject).toBe('index.html');
      const s3Origin = originOf(config.DefaultCacheBehavior);
      expect(s3Origin.DomainName).toEqual({ 'Fn::GetAtt': [logicalIdOf(construct.bucket), 'RegionalDomainName'] });
      expect(s3Origin.S3OriginConfig.OriginAccessIdentity).toBe('');
      const oacId = s3Origin.OriginAccessControlId['Fn::GetAtt'][0] as string;
      expect(resource(oacId).Properties.OriginAccessControlConfig).toMatchObject({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
      expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
      for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
        expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
      }
    });

    it.each(consoleApiPaths)('sends %s to the API uncached, with every method and every header but Host', (pathPattern) => {
      const behavior = behaviorFor(pathPattern);
      expect(behavior.CachePolicyId).toBe(cloudfront.CachePolicy.CACHING_DISABLED.cachePolicyId);
      expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
      expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
      expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);
      expect(behavior.FunctionAssociations).toBeUndefined();
      const origin = originOf(behavior);
      expect(origin.DomainName).toBe(API_DOMAIN);
      expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    });

    it('routes exactly /v1/*, /v2/*, /healthz and the hosted invoices (/i/*) to the API', () => {
      expect(distributionConfig().CacheBehaviors.map((b: any) => b.PathPattern)).toEqual(['/v1/*', '/v2/*', '/healthz', '/i/*']);
    });

    it('never replaces an error with a page (an API 403/404 reaches the console as it is) nor caches one', () => {
      const errors = distributionConfig().CustomErrorResponses as Record<string, unknown>[];
      expect(errors.map((e) => e.ErrorCode)).toEqual(expect.arrayContaining([400, 403, 404, 500, 502, 503, 504]));
      for (const error of errors) {
        expect(error).toEqual({ ErrorCode: error.ErrorCode, ErrorCachingMinTTL: 0 });
      }
    });

    it('answers app routes with index.html and leaves the files of the build alone', () => {
      const [association] = distributionConfig().DefaultCacheBehavior.FunctionAssociations;
      expect(association.EventType).toBe('viewer-request');
      const fn = resource(association.FunctionARN['Fn::GetAtt'][0]);
      expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
      const code = fn.Properties.FunctionCode as string;
      expect(routedUri(code, '/')).toBe('/index.html');
      expect(routedUri(code, '/customers')).toBe('/index.html');
      expect(routedUri(code, '/customers/cus_123/invoices')).toBe('/index.html');
      expect(routedUri(code, '/index.html')).toBe('/index.html');
      expect(routedUri(code, '/assets/index-DV741qqA.js')).toBe('/assets/index-DV741qqA.js');
      expect(routedUri(code, '/assets/usage-chart-CnsZ1jie.css')).toBe('/assets/usage-chart-CnsZ1jie.css');
      expect(routedUri(code, '/favicon.ico')).toBe('/favicon.ico');
    });

    it('sends the strict Content-Security-Policy, HSTS, nosniff, no referrer and DENY framing with the console', () => {
      const policyId = distributionConfig().DefaultCacheBehavior.ResponseHeadersPolicyId.Ref as string;
      expect(policyId).toBe(logicalIdOf(construct.responseHeadersPolicy));
      const headers = resource(policyId).Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
      expect(headers.ContentSecurityPolicy).toEqual({ ContentSecurityPolicy: CSP, Override: true });
      expect(headers.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 63_072_000, Override: true });
      expect(headers.ContentTypeOptions).toEqual({ Override: true });
      expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
      expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    });

    it('gives its URL as https:// and its domain name', () => {
      expect(Stack.of(construct).resolve(construct.url)).toEqual({
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(construct.distribution), 'DomainName'] }]],
      });
    });
  });

  describe('the deployment', () => {
    it('copies the build into the bucket, keeps earlier hashed files and invalidates everything', () => {
      template.resourceCountIs('Custom::CDKBucketDeployment', 1);
      template.hasResourceProperties('Custom::CDKBucketDeployment', {
        DestinationBucketName: { Ref: logicalIdOf(construct.bucket) },
        DistributionId: { Ref: logicalIdOf(construct.distribution) },
        DistributionPaths: ['/*'],
        Prune: false,
      });
    });

    it('runs with its own role, which holds no AWS managed policy, and logs to its own log group', () => {
      // CDK's singleton handler, created at the stack's root.
      const [handler, ...others] = Object.entries(template.findResources('AWS::Lambda::Function'))
        .filter(([id]) => id.startsWith('CustomCDKBucketDeployment'))
        .map(([, fn]) => fn as CfnResource);
      expect(others).toEqual([]);
      if (!handler) throw new Error('No BucketDeployment handler in the template');
      const roleId = handler.Properties.Role['Fn::GetAtt'][0] as string;
      expect(resource(roleId).Properties.ManagedPolicyArns).toBeUndefined();
      const logGroupId = handler.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(resource(logGroupId).Properties.RetentionInDays).toBe(30);
    });
  });

  it('refuses to synthesize without a built console, and says how to build it', () => {
    const stack = new Stack(new App(), 'NotBuilt');
    expect(() => new Console(stack, 'Console', { api: { url: API_URL }, assetPath: `${assets.path}-missing` })).toThrow(
      /npm run build:web/,
    );
  });

  it('passes the cdk-nag AwsSolutions checks (suppressions carry their reasons)', () => {
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});
