import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type EventQuery, type OrchestratorEvent } from './domain/event.model.js';
import { type EventBus } from './event-bus.js';

export const SSE_HEARTBEAT_MS = 15_000;

function frame(event: OrchestratorEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

function matches(event: OrchestratorEvent, query: EventQuery): boolean {
  return (!query.type || event.type === query.type) && (!query.task_id || event.task_id === query.task_id);
}

/**
 * Writes history after `query.after`, then live events, as Server-Sent Events until the
 * client goes away. A comment line every 15 s keeps proxies from closing an idle stream.
 */
export function streamEvents(
  bus: EventBus,
  request: FastifyRequest,
  reply: FastifyReply,
  query: EventQuery,
): void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  raw.write(': connected\n\n');
  let lastSent = query.after ?? 0;
  const send = (event: OrchestratorEvent) => {
    if (event.id <= lastSent || !matches(event, query)) return;
    lastSent = event.id;
    raw.write(frame(event));
  };
  const subscription = bus.stream().subscribe({ next: send, complete: () => raw.end() });
  if (query.after !== undefined) {
    for (const event of bus.list({ ...query, limit: Number.MAX_SAFE_INTEGER })) send(event);
  }
  const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), SSE_HEARTBEAT_MS);
  const close = () => {
    clearInterval(heartbeat);
    subscription.unsubscribe();
  };
  request.raw.on('close', close);
  raw.on('error', close);
}
