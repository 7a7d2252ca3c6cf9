import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Identity of this server process, fixed at start. Its own injection token. */
export class InstanceInfo {
  readonly id: string;
  readonly pid = process.pid;
  readonly startedAt: Date;

  constructor(now: number = Date.now(), id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`) {
    this.id = id;
    this.startedAt = new Date(now);
  }
}
