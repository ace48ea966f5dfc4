export { catalogue, type ErrorCode, type ErrorSpec } from './catalogue.js';
export { WorkmeshError, isWorkmeshError } from './workmesh-error.js';
export { validationMessage, validationCode, type SchemaError } from './validation-message.js';
