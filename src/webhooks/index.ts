export { WebhookAllowList, type AllowVerdict } from './allow.js';
export { WebhookDispatcher, type DispatcherOptions } from './dispatcher.js';
export { signWebhook, verifyWebhook } from './signature.js';
