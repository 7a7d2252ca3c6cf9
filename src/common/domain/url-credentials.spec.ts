import { redactUrlCredentials } from './url-credentials.js';

describe('redactUrlCredentials', () => {
  it('hides the password of every URL in a text and keeps user and host', () => {
    expect(redactUrlCredentials('postgres://orch:s3cr3t@db:5432/app and postgresql://a:b@h/x')).toBe(
      'postgres://orch:[redacted]@db:5432/app and postgresql://a:[redacted]@h/x',
    );
  });

  it('hides a password holding URL-encoded characters', () => {
    expect(redactUrlCredentials('postgres://u:p%40ss%3Aw0rd@h/db')).toBe('postgres://u:[redacted]@h/db');
  });

  it('hides a password holding an unencoded @', () => {
    expect(redactUrlCredentials('postgres://u:p@ss@h/db')).toBe('postgres://u:[redacted]@h/db');
  });

  it('leaves URLs without a password alone', () => {
    expect(redactUrlCredentials('postgres://orch@db/app http://h:8000/x')).toBe(
      'postgres://orch@db/app http://h:8000/x',
    );
  });
});
