import { SERVING_V8_FLAGS, tuneHeapForServing } from './heap-tuning.js';

describe('tuneHeapForServing', () => {
  it('turns allocation-site pretenuring off when node was given no such flag', () => {
    expect(SERVING_V8_FLAGS).toContain('--no-allocation-site-pretenuring');
    expect(tuneHeapForServing(['--enable-source-maps'])).toEqual(['--no-allocation-site-pretenuring']);
  });

  it.each([
    ['--allocation-site-pretenuring'],
    ['--no-allocation-site-pretenuring'],
    ['--allocation_site_pretenuring'],
    ['--no_allocation_site_pretenuring'],
  ])("leaves the flag to the operator's %s", (given) => {
    expect(tuneHeapForServing(['--max-old-space-size=512', given])).toEqual([]);
  });
});
