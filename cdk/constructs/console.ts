import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { projectRoot } from './meterline-function';

/** Where `npm run build:web` writes the console. */
export const defaultConsoleAssetPath = path.join(projectRoot, 'web/dist');

/** Paths CloudFront sends to the HTTP API instead of the bucket: the API's own routes. */
export const consoleApiPaths = ['/v1/*', '/v2/*', '/healthz', '/i/*'] as const;

/**
 * The console's Content-Security-Policy: everything from the console's own origin (the API
 * included, see `consoleApiPaths`), nothing inline, no plugins, no framing.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Status codes CloudFront would keep in its error cache (10 s by default) for GET requests:
 * API errors are answers to one key and one mode, never to be replayed to another caller.
 */
const uncachedErrorStatuses = [400, 403, 404, 405, 414, 500, 501, 502, 503, 504] as const;

/**
 * Single-page app routing, on the static behavior only: a path without a file extension is a
 * route of the app, so it gets index.html; a missing file of the build stays a 403/404.
 */
const spaRoutingCode = `function handler(event) {
  var request = event.request;
  if (!/\\.[^/]*$/.test(request.uri)) request.uri = '/index.html';
  return request;
}`;

export interface ConsoleProps {
  /** The HTTP API the console calls; CloudFront routes `consoleApiPaths` to its domain. */
  readonly api: { readonly url: string };
  /**
   * The folder of the built console (index.html and its assets).
   * @default web/dist at the repository root (`npm run build:web`)
   */
  readonly assetPath?: string;
}

/**
 * The operator console: a private bucket with the built single-page app behind a CloudFront
 * distribution that also routes /v1, /v2 and /healthz to the HTTP API. One origin for both means
 * the browser needs no CORS and the API key the operator types never leaves the console's origin.
 */
export class Console extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly deployment: s3deploy.BucketDeployment;
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The console's address, e.g. https://d111111abcdef8.cloudfront.net */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);

    const assetPath = props.assetPath ?? defaultConsoleAssetPath;
    if (!existsSync(path.join(assetPath, 'index.html'))) {
      throw new Error(`The console is not built: ${assetPath} has no index.html. Run \`npm run build:web\` first.`);
    }

    // The content is rebuilt from the repository on every deploy, so nothing is lost when the
    // stack is deleted: the bucket goes with it, emptied first.
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    NagSuppressions.addResourceSuppressions(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason: 'Holds only the public build of the console, written by the deployment and read by CloudFront alone.',
      },
    ]);

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Meterline console: strict CSP, HSTS, no sniffing, no referrer, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
    });

    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: new origins.HttpOrigin(Fn.select(2, Fn.split('/', props.api.url)), {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      }),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // Everything but Host (API Gateway routes on its own host name): the Authorization header,
      // the query string and the body's content type must reach the functions.
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Meterline operator console',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: [
          {
            eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
            function: new cloudfront.Function(this, 'SpaRouting', {
              comment: 'Meterline console: app routes get index.html',
              runtime: cloudfront.FunctionRuntime.JS_2_0,
              code: cloudfront.FunctionCode.fromInline(spaRoutingCode),
            }),
          },
        ],
      },
      additionalBehaviors: Object.fromEntries(consoleApiPaths.map((pathPattern) => [pathPattern, apiBehavior])),
      // Not custom error pages mapping 403/404 to index.html: those apply to every behavior, so a
      // Stripe-shaped 404 or 403 of the API would reach the console as index.html with a 200.
      // The function above does the app routing instead; here errors only skip the error cache.
      errorResponses: uncachedErrorStatuses.map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    this.deployment = this.deploy(assetPath);

    NagSuppressions.addResourceSuppressions(this.distribution, [
      { id: 'AwsSolutions-CFR1', reason: 'Operators work from anywhere; the API behind it has no geo restriction either.' },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'Static files and an API that checks a key on every request and is throttled at its stage; WAF is an operator choice.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'API calls are logged by the HTTP API access log; the static files are the public build of the console.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The default *.cloudfront.net certificate allows no minimum TLS version; a custom domain would set TLSv1.2_2021.',
      },
    ]);
  }

  /**
   * Copies the build into the bucket and invalidates the distribution. The deployment function
   * gets its own role and log group, like MeterlineFunction, instead of AWSLambdaBasicExecutionRole.
   */
  private deploy(assetPath: string): s3deploy.BucketDeployment {
    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'DeploymentRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [s3deploy.Source.asset(assetPath)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      // Files of earlier builds stay: a page loaded before a deploy still finds the hashed chunks
      // it loads lazily (the usage chart) instead of a 403.
      prune: false,
      role,
      logGroup,
    });

    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "CDK's BucketDeployment grants read on the staged asset and write on the console bucket by prefix, and CloudFront invalidation supports no resource-level permission.",
          appliesTo: [
            'Action::s3:GetBucket*',
            'Action::s3:GetObject*',
            'Action::s3:List*',
            'Action::s3:Abort*',
            'Action::s3:DeleteObject*',
            'Resource::*',
            { regex: '/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\\/\\*$/' },
            { regex: '/^Resource::<.+\\.Arn>\\/\\*$/' },
          ],
        },
      ],
      true,
    );

    // The deployment function is a singleton CDK creates at the stack's root, outside this construct.
    for (const child of Stack.of(this).node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        NagSuppressions.addResourceSuppressions(child, [
          { id: 'AwsSolutions-L1', reason: "CDK's BucketDeployment handler: aws-cdk-lib chooses its Python runtime." },
        ]);
      }
    }
    return deployment;
  }
}
