import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MeterlineStack } from './meterline-stack';

const app = new App();
new MeterlineStack(app, 'Meterline');
Aspects.of(app).add(new AwsSolutionsChecks());
