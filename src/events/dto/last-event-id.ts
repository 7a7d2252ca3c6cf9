import { InvalidInputError } from '../../common/domain/domain-error.js';

/**
 * The `Last-Event-ID` header as a cursor: absent or empty is none; anything but a decimal
 * event id is refused (400), as a client only ever echoes an id the server sent.
 */
export function parseLastEventId(header: string | undefined): number | undefined {
  const text = header?.trim() ?? '';
  if (text === '') return undefined;
  const id = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) {
    throw new InvalidInputError(
      'invalid_last_event_id',
      'Last-Event-ID must be an event id (a whole number of at most 16 digits) as sent in an event stream',
    );
  }
  return id;
}
