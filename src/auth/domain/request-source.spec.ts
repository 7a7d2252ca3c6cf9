import { sourceKey } from './request-source.js';

describe('sourceKey', () => {
  it('keeps IPv4 addresses, mapped or not', () => {
    expect(sourceKey('10.1.2.3')).toBe('10.1.2.3');
    expect(sourceKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('groups IPv6 addresses by /64, however they are written', () => {
    expect(sourceKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(sourceKey('2001:0DB8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('names what it cannot read unknown', () => {
    expect(sourceKey(undefined)).toBe('unknown');
    expect(sourceKey('not an address')).toBe('unknown');
  });
});
