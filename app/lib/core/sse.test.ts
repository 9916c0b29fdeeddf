import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse';

function parse(text: string, chunkSize = 3): SseEvent[] {
  const events: SseEvent[] = [];
  const sut = new SseParser((e) => events.push(e));
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += chunkSize) sut.write(bytes.subarray(i, i + chunkSize));
  sut.end();
  return events;
}

describe('SseParser', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r']
  ])('splits events on blank lines with %s endings', (_name, eol) => {
    const text = `event: a${eol}data: {"x":1}${eol}${eol}data:{"x":2}${eol}${eol}`;
    for (const size of [1, 2, 5, 100]) {
      const events = parse(text, size);
      expect(events.map((e) => [e.event, e.data])).toEqual([
        ['a', '{"x":1}'],
        [undefined, '{"x":2}']
      ]);
    }
  });

  it('skips comments, joins multi-line data and flushes a final event without its blank line', () => {
    const events = parse(': OPENROUTER PROCESSING\n\ndata: first\ndata: second\n\n: keep-alive\ndata: [DONE]');
    expect(events.map((e) => e.data)).toEqual(['first\nsecond', '[DONE]']);
  });

  it('ignores events without data and unknown fields', () => {
    const events = parse('event: ping\n\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n');
    expect(events.map((e) => e.data)).toEqual(['x']);
  });
});
