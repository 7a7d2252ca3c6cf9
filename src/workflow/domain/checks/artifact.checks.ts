import { stringParam } from './artifact-readers.js';
import { type CheckDefinition, fail, pass } from './check.model.js';

export const artifactPresent: CheckDefinition = {
  name: 'artifact_present',
  description: 'The artifact named by `artifact` was submitted (any value but null).',
  params: { artifact: { type: 'string', required: true, description: 'artifact type' } },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', '');
    const value = artifacts[name];
    return value === undefined || value === null
      ? fail(`artifact '${name}' is missing`, name)
      : pass(`'${name}' present`);
  },
};
