import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AppConfig } from '../config/app-config.js';
import { envNameOf } from '../config/env-overrides.js';
import { StartupError } from './startup-error.js';

/** Listens on `server.host:server.port`; a taken or forbidden port becomes one clear line. */
export async function listen(app: NestFastifyApplication, config: AppConfig): Promise<string> {
  const { host, port } = config.values.server;
  try {
    await app.listen(port, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const how = `set server.port (${config.sourceOf('server.port')}) or ${envNameOf('server.port')}`;
    if (code === 'EADDRINUSE') {
      throw new StartupError(`port ${port} on ${host} is already in use: stop the other process or ${how}`);
    }
    if (code === 'EACCES') {
      throw new StartupError(
        `not permitted to listen on ${host}:${port} (ports below 1024 need privileges): ${how}`,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new StartupError(
        `cannot listen on ${host}:${port}: address not available; set server.host (${config.sourceOf('server.host')})`,
      );
    }
    throw err;
  }
  const address = app.getHttpServer().address();
  const bound = typeof address === 'object' && address ? address : { address: host, port };
  const shownHost = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return `http://${shownHost}:${bound.port}`;
}
