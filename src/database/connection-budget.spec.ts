import { connectionBudgetWarning, type ConnectionBudget } from './connection-budget.js';

const budget = (over: Partial<ConnectionBudget>): ConnectionBudget => ({
  available: 97,
  maxConnections: 100,
  reserved: 3,
  otherProcesses: 0,
  processes: 1,
  perProcess: 16,
  needed: 16,
  ...over,
});

describe('connectionBudgetWarning', () => {
  it('says nothing while every process can open all its connections', () => {
    expect(connectionBudgetWarning(budget({ needed: 97 }))).toBeNull();
  });

  it('names every number, the keys to change and the PgBouncer way out when they cannot', () => {
    const warning = connectionBudgetWarning(budget({ otherProcesses: 3, processes: 4, needed: 112 }));
    expect(warning).toContain(
      '7 server process(es) (3 already live on the database + server.workers=4) × 16 connections each',
    );
    expect(warning).toContain(
      '= 112, but PostgreSQL allows 97 (max_connections 100 − 3 reserved for superusers)',
    );
    expect(warning).toMatch(/database\.pool_size.*server\.workers.*PgBouncer.*database\.listen_url/);
  });
});
