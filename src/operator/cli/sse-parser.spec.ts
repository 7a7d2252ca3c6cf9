import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('dispatches on a blank line: id, event and data; comments (heartbeats) are no events', () => {
    const parser = new SseParser();
    expect(
      parser.push(': connected\n\nid: 5\nevent: task.created\ndata: {"id":5}\n\n: heartbeat\n\n'),
    ).toEqual([{ id: '5', event: 'task.created', data: '{"id":5}' }]);
  });

  it('reads events split across chunks at any byte, CRLF and CR line ends included', () => {
    const text = 'id: 1\r\nevent: a\r\ndata: one\r\n\r\nid: 2\revent: b\rdata: two\r\r: next\n';
    const parser = new SseParser();
    expect([...text].flatMap((char) => parser.push(char))).toEqual([
      { id: '1', event: 'a', data: 'one' },
      { id: '2', event: 'b', data: 'two' },
    ]);
  });

  it('joins data lines with LF, defaults the type to message, and skips blocks without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: lonely\n\ndata: a\ndata:b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('keeps the last id for later events, as the spec says', () => {
    const parser = new SseParser();
    expect(parser.push('id: 9\ndata: x\n\ndata: y\n\n')).toEqual([
      { id: '9', event: 'message', data: 'x' },
      { id: '9', event: 'message', data: 'y' },
    ]);
  });
});
