// The job types of the browser example: the worker and the API load this module
// (WORKMESH_JOBS=examples/browser/jobs.ts); the page imports only its types.
// In your project: import { Type, defineJob } from 'workmesh/jobs';
import { Type, defineJob } from '../../src/jobs/index.js';

export default [
  defineJob({
    name: 'slugify',
    description: 'Turns a title into a URL slug and counts its words.',
    input: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }) }),
    example: { title: 'Hello, workmesh!' },
    handler: ({ title }) => {
      const words = title.toLowerCase().match(/[a-z0-9]+/g) ?? [];
      return { slug: words.join('-'), words: words.length };
    },
  }),
];
