// The check lives with the queue (the producer API uses it too); the routes import it here.
export { checkedId } from '../queue/index.js';
