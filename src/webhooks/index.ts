export {
  WebhookAllowList,
  type AllowVerdict,
  type DeliveryVerdict,
  type Resolver,
} from './allow.js';
export { WebhookDispatcher, type DispatcherOptions } from './dispatcher.js';
export { signWebhook, verifyWebhook, webhookSigningKey } from './signature.js';
