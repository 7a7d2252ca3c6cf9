import { loadWorkflowFile } from './workflow.loader.js';

describe('workflows/agent_workflow.yaml', () => {
  it('loads cleanly', () => {
    const wf = loadWorkflowFile('workflows/agent_workflow.yaml');
    expect(wf.phases.map((p) => p.id)).toEqual(['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE']);
  });
});
